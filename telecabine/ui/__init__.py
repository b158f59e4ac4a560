"""Telecabine ui layer (see shared/design/ARCHITECTURE.md)."""
