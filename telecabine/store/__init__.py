"""Telecabine store layer (see shared/design/ARCHITECTURE.md)."""
