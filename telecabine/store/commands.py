"""Handlers of ``telecabine store rekey``, ``telecabine audit verify`` and ``telecabine purge``.

``telecabine/cli.py`` lists them in its ``COMMANDS`` table and imports this module lazily.
Output is bilingual (French first) and never contains patient data.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from telecabine.store.errors import StoreError

if TYPE_CHECKING:
    from telecabine.config import Settings


def run_store(settings: Settings, action: str, out: TextIO | None = None) -> int:
    """Run a ``store`` action; 0 on success, 1 on a store error."""
    out = out or sys.stdout
    from telecabine.store.engine import open_store
    from telecabine.store.rekey import rekey_store

    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        if action == "rekey":
            rekey_store(store, actor="cli")
            print("Clé de chiffrement remplacée. / Encryption key rotated.", file=out)
        return 0
    finally:
        store.close()


def run_audit(
    settings: Settings, action: str, out: TextIO | None = None, *, known_head: str | None = None
) -> int:
    """``audit verify``: 0 when the chain holds, 3 on a break, 1 on a store error or bad head.

    Prints the current head (``SEQ:HASH``) so an operator can note it and pass it back later
    with ``--known-head`` to detect a truncated trail.
    """
    out = out or sys.stdout
    from telecabine.store.engine import open_store

    head: tuple[int, str] | None = None
    if known_head:
        seq, _, digest = known_head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            print("--known-head attend SEQ:HASH / expects SEQ:HASH", file=sys.stderr)
            return 1
        head = (int(seq), digest.lower())
    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        broken = store.audit.find_break(known_head=head)
        total = store.audit.count()
        current = store.audit.head()
    finally:
        store.close()
    if broken is None:
        print(
            f"Journal d'audit intact ({total} entrées). / Audit chain intact ({total}).", file=out
        )
        print(f"head {current[0]}:{current[1]}", file=out)
        return 0
    print(
        f"Journal d'audit rompu à l'entrée {broken.seq} ({broken.reason}). / "
        f"Audit chain broken at entry {broken.seq} ({broken.reason}).",
        file=out,
    )
    return 3


def run_purge(
    settings: Settings, dry_run: bool, retention_days: int | None, out: TextIO | None = None
) -> int:
    """``purge``: delete (or list) encounters past retention; counts and ids only."""
    out = out or sys.stdout
    from telecabine.store.engine import open_store
    from telecabine.store.retention import purge

    days = retention_days if retention_days is not None else settings.retention_days
    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        report = purge(store, days, dry_run=dry_run, actor="cli")
    finally:
        store.close()
    verb = "seraient supprimées / would be purged" if dry_run else "supprimées / purged"
    print(
        f"Consultations {verb} : {len(report.encounter_ids)} "
        f"(avant / before {report.cutoff.isoformat()})",
        file=out,
    )
    for name, n in sorted(report.counts.items()):
        print(f"  {name}: {n}", file=out)
    for eid in report.encounter_ids:
        print(f"  - {eid}", file=out)
    return 0
