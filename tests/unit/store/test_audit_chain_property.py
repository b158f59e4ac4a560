"""Any single change to a chained audit entry, a deletion or a swap breaks the chain (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from telecabine.store.repositories.audit import GENESIS_HASH, entry_hash, first_break
from telecabine.store.tables import AuditEntry

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _chain(n: int) -> list[AuditEntry]:
    rows, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        e = AuditEntry(
            seq=i, at=T0 + timedelta(seconds=i), actor=f"staff:{i % 3}", action="sign_in",
            object_type="staff", object_id=str(i), details_json=json.dumps({"i": i}),
            prev_hash=prev, hash="",
        )  # fmt: skip
        e.hash = entry_hash(prev, e)
        rows.append(e)
        prev = e.hash
    return rows


def _copy(e: AuditEntry, **changes) -> AuditEntry:
    data = e.model_dump()
    data.update(changes)
    return AuditEntry(**data)


FIELDS = {
    "actor": "staff:99",
    "action": "sign_out",
    "object_id": "x",
    "details_json": '{"i":-1}',
    "at": T0 - timedelta(days=1),
    "hash": "f" * 64,
    "prev_hash": "e" * 64,
}


def test_intact_chain_has_no_break() -> None:
    assert first_break(_chain(8)) is None


@given(n=st.integers(2, 12), data=st.data())
def test_edit_is_detected_at_that_row(n: int, data: st.DataObject) -> None:
    rows = _chain(n)
    k = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(sorted(FIELDS)))
    rows[k] = _copy(rows[k], **{field: FIELDS[field]})
    broken = first_break(rows)
    assert broken is not None and broken.seq == k + 1


@given(n=st.integers(2, 12), data=st.data())
def test_delete_or_swap_is_detected(n: int, data: st.DataObject) -> None:
    rows = _chain(n)
    i = data.draw(st.integers(0, n - 2))
    if data.draw(st.booleans()):
        del rows[i]  # a deleted row, later ones keep their seq: gap
    else:
        a, b = rows[i], rows[i + 1]  # content swapped, seq kept in place
        rows[i] = _copy(b, seq=a.seq)
        rows[i + 1] = _copy(a, seq=b.seq)
    broken = first_break(rows)
    assert broken is not None and broken.seq == i + 1
