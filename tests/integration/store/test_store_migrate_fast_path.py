"""The start-up fast path agrees with Alembic on what the head is, and skips only at head."""

from __future__ import annotations

import subprocess
import sys

from telecabine.store.migrate import head_revision, shipped_heads


def test_text_heads_match_alembic_heads(tmp_path) -> None:
    assert shipped_heads() == frozenset({head_revision()})
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text('revision = "a1"\ndown_revision = None\n')
    (versions / "b.py").write_text("revision: str = 'b2'\ndown_revision: str | None = 'a1'\n")
    (versions / "c.py").write_text('revision = "c3"\ndown_revision = ("a1",)\n')
    assert shipped_heads(versions) == frozenset({"b2", "c3"})  # a branch: two heads
    (versions / "d.py").write_text("rev = 1\n")
    assert shipped_heads(versions) is None  # unreadable: Alembic decides


def test_reopening_a_current_database_does_not_import_alembic(station_store) -> None:
    settings_dir = station_store.db_path.parent
    station_store.close()
    code = (
        "import sys\n"
        "from telecabine.config import load_settings\n"
        "from telecabine.store import open_store\n"
        f"s = open_store(load_settings(data_dir={str(settings_dir)!r}, insecure_file_keyring=True))\n"
        "s.close()\n"
        "print('alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
