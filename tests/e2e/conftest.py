"""Fixtures of the end-to-end tests: the shared PostgreSQL cluster (``postgres_testlib``)."""

from postgres_testlib import postgres_server  # noqa: F401 (fixture)
