"""Telecabine session layer (see shared/design/ARCHITECTURE.md)."""
