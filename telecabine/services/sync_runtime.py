"""Wiring of the billing sync for the app and the operator's commands.

``telecabine sync --once`` drains the outbox and prints the status in words;
``telecabine sync --set-token`` stores the station token (read from stdin) in the keyring;
``telecabine sync --parked`` / ``--requeue UUID`` list and retry records parked after a 409/422;
``telecabine export billing --format csv`` writes the local billing records as CSV.
The station token lives in the OS keyring (service ``telecabine-hub-token``, account = station
id), never in a settings file; the insecure file fallback is used only when explicitly allowed.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, TextIO

from telecabine.services.sync_outbox import StoreOutbox
from telecabine.sync.client import BillingClient
from telecabine.sync.status import PROBLEMS
from telecabine.sync.worker import SyncWorker

if TYPE_CHECKING:
    from telecabine.config import Settings
    from telecabine.store.engine import Store

TOKEN_SERVICE = "telecabine-hub-token"


def _file_fallback(settings: Settings):
    from telecabine.store.keys import InsecureFileKeyStore, secure_keyring_available

    if secure_keyring_available() or not settings.insecure_file_keyring:
        return None
    from telecabine.store.keys import INSECURE_KEY_FILENAME

    return InsecureFileKeyStore(settings.data_dir / INSECURE_KEY_FILENAME)


def load_station_token(settings: Settings) -> str | None:
    """The station token from the keyring (or the allowed insecure file), None when absent."""
    fallback = _file_fallback(settings)
    if fallback is not None:
        return fallback.get(f"{TOKEN_SERVICE}:{settings.station_id}")
    import keyring

    return keyring.get_password(TOKEN_SERVICE, settings.station_id)


def save_station_token(settings: Settings, token: str) -> None:
    """Store the station token given by the hub operator (``telecabine hub add-station``)."""
    fallback = _file_fallback(settings)
    if fallback is not None:
        fallback.set(f"{TOKEN_SERVICE}:{settings.station_id}", token)
        return
    import keyring

    keyring.set_password(TOKEN_SERVICE, settings.station_id, token)


def build_worker(settings: Settings, store: Store, token: str, **kwargs) -> SyncWorker:
    """A worker over the store's outbox, uploading to ``settings.hub_url`` (verified TLS)."""
    from telecabine.services.enrolment import client_ssl

    client = BillingClient(
        settings.hub_url, token, timeout_s=settings.sync_timeout_s, max_connections=16,
        tls=client_ssl(settings),
    )  # fmt: skip
    kwargs.setdefault("concurrency", settings.sync_concurrency)
    return SyncWorker(StoreOutbox(store), client, **kwargs)


async def sync_once(settings: Settings, store: Store, out: TextIO) -> int:
    """Drain once; exit code 0 when nothing is left pending, 3 when some wait, 4 on 401."""
    token = load_station_token(settings)
    if not token:
        fr, en = PROBLEMS["no_token"]
        print(f"{fr}\n{en}", file=sys.stderr)
        return 4
    worker = build_worker(settings, store, token)
    try:
        report = await worker.run_once()
    finally:
        await worker.aclose()
    status = worker.status
    print(f"Envoyés / sent: {report.sent}", file=out)
    print(status.words("fr"), file=out)
    print(status.words("en"), file=out)
    if status.stopped:
        return 4
    return 0 if status.pending == 0 else 3


def run_sync_command(settings: Settings, once: bool, set_token: bool, out: TextIO | None) -> int:
    """Handler of ``telecabine sync``."""
    out = out or sys.stdout
    if set_token:
        token = sys.stdin.readline().strip()
        if not token:
            print("Jeton vide. / Empty token.", file=sys.stderr)
            return 2
        save_station_token(settings, token)
        print("Jeton enregistré. / Token stored.", file=out)
        return 0
    from telecabine.store.engine import open_store
    from telecabine.store.errors import StoreError

    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        if once:
            return asyncio.run(sync_once(settings, store, out))
        return asyncio.run(_forever(settings, store, out))
    finally:
        store.close()


async def _forever(settings: Settings, store: Store, out: TextIO) -> int:
    token = load_station_token(settings)
    if not token:
        print("\n".join(PROBLEMS["no_token"]), file=sys.stderr)
        return 4
    worker = build_worker(settings, store, token)
    worker.add_listener(lambda s: print(s.words(settings.language), file=out, flush=True))
    try:
        await worker.start()
    finally:
        await worker.aclose()
    return 0


def run_parked_command(settings: Settings, requeue: str | None, out: TextIO | None) -> int:
    """``sync --parked`` lists records needing a person; ``sync --requeue UUID`` retries one."""
    from datetime import UTC, datetime

    from telecabine.store.engine import open_store
    from telecabine.store.errors import StoreError

    out = out or sys.stdout
    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        outbox = StoreOutbox(store)
        parked = outbox.parked()
        if requeue is None:
            for record_uuid, status, error in parked:
                print(f"{record_uuid}\t{status}\t{error or ''}", file=out)
            print(f"{len(parked)} à vérifier / need attention", file=sys.stderr)
            return 0
        if requeue not in {u for u, _, _ in parked}:
            print("Enregistrement introuvable parmi ceux à vérifier. / Not a parked record.",
                  file=sys.stderr)  # fmt: skip
            return 2
        outbox.requeue(requeue, datetime.now(UTC))
        print("Remis dans la file d'envoi. / Back in the sending queue.", file=out)
        return 0
    finally:
        store.close()


def run_export_command(settings: Settings, what: str, fmt: str, out: TextIO | None) -> int:
    """Handler of ``telecabine export billing --format csv`` (UTF-8 with BOM for Excel FR)."""
    if what != "billing" or fmt != "csv":
        print(
            "Seul « billing --format csv » existe. / Only 'billing --format csv'.", file=sys.stderr
        )
        return 2
    from telecabine.store.engine import open_store
    from telecabine.store.errors import StoreError

    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        stream = out or sys.stdout
        stream.write("\ufeff")
        n = StoreOutbox(store).export_csv(stream)
        from telecabine.services.audit import AuditTrail

        AuditTrail(store).export(None, "billing_csv", n)  # issue 9: every export is audited
    finally:
        store.close()
    print(f"{n} enregistrement(s) exporté(s) / record(s) exported", file=sys.stderr)
    return 0
