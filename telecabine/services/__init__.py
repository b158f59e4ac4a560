"""Telecabine services layer (see shared/design/ARCHITECTURE.md)."""
