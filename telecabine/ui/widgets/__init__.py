"""Telecabine ui/widgets layer (see shared/design/ARCHITECTURE.md)."""
