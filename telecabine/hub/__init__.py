"""Telecabine hub layer (see shared/design/ARCHITECTURE.md)."""
