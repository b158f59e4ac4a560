"""Telecabine domain layer (see shared/design/ARCHITECTURE.md)."""
