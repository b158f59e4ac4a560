"""Telecabine devices/ble layer (see shared/design/ARCHITECTURE.md)."""
