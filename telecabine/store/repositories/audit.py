"""Hash-chained, append-only audit trail (issue 9 item 3).

Each entry's ``hash = sha256(prev_hash + canonical JSON of its own content)`` where the content
includes its ``seq``, so an edited row, a deleted row (gap or broken link) and two swapped rows
all break the chain. Details must carry **no patient data**: ids and codes only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, select

from telecabine.store.clock import utc_now
from telecabine.store.errors import IntegrityProblem
from telecabine.store.tables import AuditEntry

if TYPE_CHECKING:
    from telecabine.store.engine import Store

GENESIS_HASH = "0" * 64

# Audit actions named in issue 9; other values are accepted, these are the ones screens use.
ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "lock",
    "unlock",
    "patient_created",
    "patient_viewed",
    "consent_recorded",
    "call_started",
    "call_ended",
    "document_received",
    "document_printed",
    "export",
    "settings_changed",
    "purge",
    "staff_created",
    "pin_reset",
    "pin_changed",
    "staff_updated",
    "store_rekey",
    "encounter_closed",
)
_FORBIDDEN_DETAIL_KEYS = frozenset(
    {"name", "birth_name", "first_names", "used_name", "nir", "birth_date", "dob", "text"}
)


def canonical_content(entry: AuditEntry) -> str:
    """Canonical JSON (sorted keys, no spaces, UTF-8) of the hashed fields of ``entry``."""
    content = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": json.loads(entry.details_json),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """sha256 hex of ``prev_hash`` followed by the canonical content."""
    return hashlib.sha256((prev_hash + canonical_content(entry)).encode("utf-8")).hexdigest()


def append_in(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry inside an open write transaction (so it commits with the change)."""
    details = details or {}
    bad = _FORBIDDEN_DETAIL_KEYS.intersection(details)
    if bad:
        raise IntegrityProblem(
            f"Le journal d'audit refuse des données patient ({', '.join(sorted(bad))}).",
            f"The audit trail refuses patient data ({', '.join(sorted(bad))}).",
        )
    last = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        # Microseconds dropped: the canonical form must survive the DB round trip unchanged.
        at=utc_now(now).replace(microsecond=0),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details_json=json.dumps(details, sort_keys=True, separators=(",", ":")),
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
    )
    entry.hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain breaks: the first bad ``seq`` and why (no row content)."""

    seq: int
    reason: str


def first_break(rows: Iterable[AuditEntry]) -> ChainBreak | None:
    """Walk entries in ``seq`` order; the first one whose seq, link or hash is wrong, or None."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for row in rows:
        if row.seq != expected_seq:
            return ChainBreak(expected_seq, "missing_or_reordered")
        if row.prev_hash != prev_hash:
            return ChainBreak(row.seq, "broken_link")
        if entry_hash(prev_hash, row) != row.hash:
            return ChainBreak(row.seq, "content_changed")
        prev_hash = row.hash
        expected_seq += 1
    return None


class AuditRepository:
    """Append to and verify the audit trail."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self,
        actor: str,
        action: str,
        object_type: str | None = None,
        object_id: str | None = None,
        details: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> AuditEntry:
        """Append one entry in its own transaction. ``actor`` is e.g. ``staff:3`` or ``system``."""
        with self._store.write() as session:
            return append_in(
                session,
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=object_id,
                details=details,
                now=now,
            )

    def entries(self, since_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Entries after ``since_seq`` in order (for display and export)."""
        with self._store.read() as session:
            stmt = (
                select(AuditEntry)
                .where(AuditEntry.seq > since_seq)
                .order_by(AuditEntry.seq)
                .limit(limit)
            )
            return list(session.exec(stmt))

    def count(self) -> int:
        """Number of entries."""
        with self._store.read() as session:
            return session.exec(select(func.count()).select_from(AuditEntry)).one()

    def head(self) -> tuple[int, str]:
        """(last seq, its hash), (0, genesis) when empty: export it off the station (hub,
        printout) so a later truncation of the trail can be detected with ``known_head``."""
        with self._store.read() as session:
            last = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
        return (last.seq, last.hash) if last else (0, GENESIS_HASH)

    def find_break(self, known_head: tuple[int, str] | None = None) -> ChainBreak | None:
        """First broken link (edited, deleted or reordered row), or None if the chain holds.

        With ``known_head`` (a ``head()`` recorded earlier), a trail cut or rewritten before
        that point is reported too (a hash chain alone cannot see its last rows removed).
        """
        with self._store.read() as session:
            # seq is the INTEGER PRIMARY KEY (the rowid); moving a row's content to another seq
            # changes its canonical content, so reordering shows up as a hash mismatch.
            broken = first_break(session.exec(select(AuditEntry).order_by(AuditEntry.seq)))
            if broken is not None or known_head is None or known_head[0] == 0:
                return broken
            seq, digest = known_head
            row = session.get(AuditEntry, seq)
        if row is None:
            return ChainBreak(seq, "truncated")
        if row.hash != digest:
            return ChainBreak(seq, "rewritten")
        return None

    def verify_chain(self) -> int | None:
        """First broken ``seq`` or None (the contract the CLI and tests use)."""
        broken = self.find_break()
        return broken.seq if broken else None
