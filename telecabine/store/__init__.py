"""Telecabine store layer: the encrypted station database (see shared/design/ARCHITECTURE.md).

Public entry points: ``open_store(settings) -> Store``; ``Store.patients``, ``.encounters``,
``.outbox``, ``.staff``, ``.audit`` repositories; ``purge`` and ``rekey`` helpers.
"""

from telecabine.store.engine import Store, open_store
from telecabine.store.errors import (
    IntegrityProblem,
    KeyringUnavailableError,
    NotFoundError,
    StoreError,
    StoreKeyError,
)

__all__ = [
    "IntegrityProblem",
    "KeyringUnavailableError",
    "NotFoundError",
    "Store",
    "StoreError",
    "StoreKeyError",
    "open_store",
]
