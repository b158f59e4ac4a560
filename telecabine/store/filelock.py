"""Advisory lock beside the database: every open store holds it shared; rekey needs it alone.

``telecabine store rekey`` run while the station app has the database open would re-encrypt
pages under the app's feet (its next connection would fail until restart). POSIX ``flock``
makes that a clear refusal instead. On Windows this is a no-op: ``msvcrt`` has no shared locks,
and the installer's service stops the station before maintenance commands.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from telecabine.store.errors import StoreError


class StoreBusyError(StoreError):
    """Another process (the running station) has the database open."""

    key = "store.busy"


class DatabaseLock:
    """A shared ``flock`` on ``<db>.lock``, upgradable to exclusive for maintenance."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fh: IO[bytes] | None = None

    def acquire_shared(self) -> None:
        """Take the shared lock (never blocks: shared locks do not conflict with each other)."""
        if os.name != "posix" or self._fh is not None:
            return
        import fcntl

        self._fh = open(self.path, "ab")  # noqa: SIM115  (held for the store's lifetime)
        os.chmod(self.path, 0o600)
        fcntl.flock(self._fh, fcntl.LOCK_SH)

    def upgrade_exclusive(self) -> None:
        """Become the only holder or raise ``StoreBusyError`` at once (no waiting)."""
        if os.name != "posix" or self._fh is None:
            return
        import fcntl

        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fcntl.flock(self._fh, fcntl.LOCK_SH)  # an upgrade attempt can drop the lock
            raise StoreBusyError(
                "La base est ouverte par la station : arrêtez-la avant cette opération.",
                "The database is open in the station: stop it before this operation.",
            ) from exc

    def downgrade_shared(self) -> None:
        """Back to shared after maintenance."""
        if os.name != "posix" or self._fh is None:
            return
        import fcntl

        fcntl.flock(self._fh, fcntl.LOCK_SH)

    def release(self) -> None:
        """Drop the lock (closing the file releases it)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
