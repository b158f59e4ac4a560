"""Encounter search on the encrypted station DB at 100,000 encounters (goal: p95 < 50 ms).

Anchor: the very same schema, data, indexes and repository code on a plain (unencrypted)
SQLite file, so the ratio is the cost of SQLCipher. Also reports the time to open the store
(raw 256-bit key, no PBKDF2) and to run a single keyed connection.
Run: ``uv run python -m bench db_search`` (``--quick``: 10,000 encounters).
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert
from sqlmodel import SQLModel

from bench.common import percentile, write_result

SYLLABLES = ["ber", "dan", "mar", "tin", "lo", "ra", "vi", "chon", "gue", "pe", "lan", "dou",
             "ri", "zo", "fa", "mon", "cla", "bru", "ne", "sel"]  # fmt: skip
FIRST = ["Marie", "Jean", "Pierre", "Michel", "Anne", "Louise", "Paul", "Jacques", "Sophie",
         "Nathalie", "Isabelle", "Alain", "Camille", "Léa", "Hugo", "Chloé"]  # fmt: skip
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def _nir(rng: random.Random, sex: str, born: date) -> str:
    body = f"{1 if sex == 'M' else 2}{born.year % 100:02d}{born.month:02d}"
    body += f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return body + f"{97 - int(body) % 97:02d}"  # NIR key: 97 - (13 digits mod 97)


def _populate(engine, n_encounters: int, seed: int = 7) -> dict[str, list]:
    from telecabine.store.search_keys import name_key
    from telecabine.store.tables import Encounter, Patient

    rng = random.Random(seed)
    n_patients = int(n_encounters * 0.7)
    patients, samples = [], {"names": [], "nirs": [], "births": [], "days": []}
    for i in range(1, n_patients + 1):
        sex = rng.choice("MF")
        born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 90 * 365))
        birth_name, first = _name(rng), rng.choice(FIRST)
        nir = _nir(rng, sex, born)
        patients.append(
            {"id": i, "birth_name": birth_name, "first_names": first, "birth_date": born,
             "sex": sex, "nir": nir, "ins_status": "provisoire", "name_key": name_key(birth_name),
             "first_name_key": name_key(first), "created_at": T0, "updated_at": T0}
        )  # fmt: skip
        if i % 97 == 0:
            samples["names"].append(birth_name[:3])
            samples["nirs"].append(nir[:7])
            samples["births"].append(born.strftime("%d/%m/%Y"))
    encounters = []
    for _ in range(n_encounters):
        at = T0 + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        encounters.append(
            {"id": str(uuid.UUID(int=rng.getrandbits(128))), "state": "closed",
             "patient_id": rng.randint(1, n_patients), "station_id": "bench",
             "draft_json": "{}", "created_at": at, "updated_at": at, "closed_at": at}
        )  # fmt: skip
        if len(samples["days"]) < 200:
            samples["days"].append(at.date().isoformat())
    with engine.begin() as conn:
        conn.execute(insert(Patient), patients)
        conn.execute(insert(Encounter), encounters)
        conn.exec_driver_sql("ANALYZE")
    return samples


def _queries(samples: dict[str, list], n: int, rng: random.Random) -> list[tuple[str, str]]:
    out = []
    for kind in ("names", "nirs", "births", "days"):
        out += [(kind, rng.choice(samples[kind])) for _ in range(n)]
    rng.shuffle(out)
    return out


def _measure(store, queries) -> dict[str, Any]:
    times: dict[str, list[float]] = {}
    hits = 0
    for text, q in [(k, q) for k, q in queries]:
        t = time.perf_counter()
        hits += len(store.encounters.search(q, limit=20))
        times.setdefault(text, []).append((time.perf_counter() - t) * 1000)
    every = [x for v in times.values() for x in v]
    return {
        "p50_ms": round(percentile(every, 50), 3),
        "p95_ms": round(percentile(every, 95), 3),
        "by_kind_p95_ms": {k: round(percentile(v, 95), 3) for k, v in times.items()},
        "hits": hits,
    }


def _plain_store(path: Path):
    """Same repositories over an unencrypted SQLite file (the anchor)."""
    from telecabine.store import tables  # noqa: F401
    from telecabine.store.engine import CACHE_KIB, Store
    from telecabine.store.keys import InsecureFileKeyStore

    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _rec):  # type: ignore[no-untyped-def]
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # same cache as the station's store

    SQLModel.metadata.create_all(engine)
    return Store(path, engine, InsecureFileKeyStore(path.with_suffix(".key")), str(path))


def run(quick: bool = False) -> dict[str, Any]:
    """Populate both databases, time the searches, write ``results/db_search.json``."""
    from telecabine.config import load_settings
    from telecabine.store import open_store

    n = 10_000 if quick else 100_000
    n_queries = 25 if quick else 150
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "enc", insecure_file_keyring=True)
        t = time.perf_counter()
        enc = open_store(settings)
        create_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        samples = _populate(enc.engine, n)
        fill_s = time.perf_counter() - t
        enc.close()
        t = time.perf_counter()
        enc = open_store(settings)  # existing file: key check + "already at head"
        open_ms = (time.perf_counter() - t) * 1000
        queries = _queries(samples, n_queries, random.Random(11))
        _measure(enc, queries[:20])  # warm the page cache like a running station
        ours = _measure(enc, queries)
        enc.close()

        plain = _plain_store(Path(tmp) / "plain.db")
        _populate(plain.engine, n)
        _measure(plain, queries[:20])
        anchor = _measure(plain, queries)
        plain.engine.dispose()
    return write_result(
        "db_search",
        value=ours["p95_ms"],
        unit="ms (p95 search, limit 20)",
        anchor="same schema, data and repository on plain unencrypted SQLite",
        anchor_value=anchor["p95_ms"],
        goal="p95 < 50 ms at 100,000 encounters",
        details={
            "encounters": n,
            "patients": int(n * 0.7),
            "queries": len(queries),
            "query_kinds": "name prefix (3 letters), NIR prefix (7), birth date, visit day",
            "encrypted": ours,
            "plain": anchor,
            "open_existing_store_ms": round(open_ms, 1),
            "create_store_ms": round(create_ms, 1),
            "bulk_fill_s": round(fill_s, 1),
        },
        quick=quick,
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=False), indent=2))
