"""Telecabine devices layer (see shared/design/ARCHITECTURE.md)."""
