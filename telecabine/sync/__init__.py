"""Telecabine sync layer (see shared/design/ARCHITECTURE.md)."""
