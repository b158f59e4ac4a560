"""Telecabine protocol layer (see shared/design/ARCHITECTURE.md)."""
