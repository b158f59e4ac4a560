"""Telecabine ui/screens layer (see shared/design/ARCHITECTURE.md)."""
