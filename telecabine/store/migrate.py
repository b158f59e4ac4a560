"""Run the station's Alembic migrations programmatically (script location ships in the wheel).

At every start the station checks that its database is at the newest revision. Importing
Alembic (and Mako through it) costs ~0.7 s on the cabin PC, in the thread that opens the store
while Qt paints the first page, competing for the GIL; so :func:`upgrade_to_head` first
compares the ``alembic_version`` row with the heads read as text from the shipped revision
files, and only imports Alembic when they differ (first start, upgrade, or anything unusual).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"""^revision\s*(?::\s*str\s*)?=\s*['"]([^'"]+)['"]""", re.MULTILINE)
_DOWN = re.compile(r"""^down_revision\s*(?::[^=]*)?=\s*(.+)$""", re.MULTILINE)
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")


def alembic_config() -> Config:
    """An Alembic config pointing at ``telecabine/store/migrations`` (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def shipped_heads(versions_dir: Path = MIGRATIONS_DIR / "versions") -> frozenset[str] | None:
    """Head revisions of the shipped scripts, read as text; None if a file cannot be read so."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions_dir.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN.search(source)
        if rev is None or down is None:
            return None  # unusual layout: let Alembic decide
        revisions.add(rev.group(1))
        parents.update(_QUOTED.findall(down.group(1)))
    heads = frozenset(revisions - parents)
    return heads or None


def _stored_revisions(engine: Engine) -> frozenset[str]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return frozenset(rows)
    except OperationalError:  # no alembic_version table yet: a new database
        return frozenset()


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database to the newest revision (no-op when already there)."""
    heads = shipped_heads()
    if heads is not None and _stored_revisions(engine) == heads:
        return  # already at head: no Alembic import on the way to the first page
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
