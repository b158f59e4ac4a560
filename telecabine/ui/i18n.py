"""Run-time translations: French is the source language in code, English comes from ``.ts``.

``python -m telecabine.ui.i18n build`` compiles every ``resources/i18n/*.ts`` to ``.qm`` with
``pyside6-lrelease`` (shipped in PySide6-Essentials). At start-up :class:`Translations` loads
the ``.qm`` files, compiling them first when missing or older than their ``.ts``; if lrelease
cannot run (a trimmed installer), it reads the ``.ts`` XML directly (:class:`TsTranslator`), so
English always works. ``pseudo`` is a pseudo-translation (accented, 30 % longer, bracketed) to
spot untranslated or clipped text in screenshots.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

I18N_DIR = Path(__file__).resolve().parents[2] / "resources" / "i18n"
LANGUAGES = ("fr", "en")
_PLACEHOLDER = re.compile(r"(\{[a-z_]*\})")
_PSEUDO = str.maketrans("aeiouAEIOUcn", "àéîõüÀÉÎÕÜçñ")


def lrelease_path() -> Path | None:
    """``pyside6-lrelease`` next to the running interpreter, or on PATH."""
    local = Path(sys.executable).parent / "pyside6-lrelease"
    if local.exists():
        return local
    found = shutil.which("pyside6-lrelease")
    return Path(found) if found else None


def build(directory: Path = I18N_DIR, *, force: bool = False) -> list[Path]:
    """Compile each ``*.ts`` to ``*.qm`` (only stale ones unless ``force``); returns the .qm."""
    tool = lrelease_path()
    if tool is None:
        raise FileNotFoundError("pyside6-lrelease not found / pyside6-lrelease introuvable")
    built: list[Path] = []
    for ts in sorted(directory.glob("*.ts")):
        qm = ts.with_suffix(".qm")
        if force or not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:
            subprocess.run(
                [str(tool), "-silent", str(ts), "-qm", str(qm)],
                check=True,
                capture_output=True,
                timeout=60,
            )
        built.append(qm)
    return built


def read_ts(path: Path) -> dict[tuple[str, str], str]:
    """``(context, source) -> translation`` for the finished messages of one ``.ts`` file."""
    table: dict[tuple[str, str], str] = {}
    root = ET.parse(path).getroot()
    for context in root.iter("context"):
        name = context.findtext("name", default="")
        for message in context.iter("message"):
            source = message.findtext("source")
            node = message.find("translation")
            if source is None or node is None or node.get("type") in ("unfinished", "obsolete"):
                continue
            if node.text:
                table[(name, source)] = node.text
    return table


class TsTranslator(QTranslator):
    """Translates from a ``(context, source) -> text`` table (``.ts`` read directly)."""

    def __init__(self, table: dict[tuple[str, str], str], parent=None) -> None:
        super().__init__(parent)
        self._table = table

    def translate(self, context, source_text, disambiguation=None, n=-1):
        return self._table.get((context, source_text), "")

    def isEmpty(self) -> bool:
        """Never empty, so Qt asks us."""
        return False


class PseudoTranslator(QTranslator):
    """Accented, 30 % longer, bracketed text: finds hard-coded strings and clipping."""

    def translate(self, context, source_text, disambiguation=None, n=-1):
        pad = "~" * max(1, len(source_text) * 3 // 10)
        # Keep {placeholders} intact: the code formats them after translation.
        parts = _PLACEHOLDER.split(source_text)
        text = "".join(p if _PLACEHOLDER.fullmatch(p) else p.translate(_PSEUDO) for p in parts)
        return f"[{text}{pad}]"

    def isEmpty(self) -> bool:
        """Never empty, so Qt asks us."""
        return False


class Translations:
    """Installs and removes the translators of the current language on the application."""

    def __init__(self, directory: Path = I18N_DIR) -> None:
        self._dir = directory
        self._installed: list[QTranslator] = []
        self.source = "none"  # "qm", "ts" or "pseudo": how English was loaded (for the report)

    def set_language(self, lang: str) -> None:
        """Switch to ``lang`` ("fr" = source strings, "en", or "pseudo")."""
        app = QCoreApplication.instance()
        for translator in self._installed:
            app.removeTranslator(translator)
        self._installed = []
        if lang == "fr":
            return
        if lang == "pseudo":
            self._install(app, [PseudoTranslator()], "pseudo")
            return
        self._install(app, self._load_en(), self.source)

    def _install(self, app, translators: list[QTranslator], source: str) -> None:
        self.source = source
        for translator in translators:
            app.installTranslator(translator)
            self._installed.append(translator)

    def _load_en(self) -> list[QTranslator]:
        sources = sorted(self._dir.glob("*_en.ts"))
        try:
            build(self._dir)
            translators = []
            for ts in sources:
                translator = QTranslator()
                if not translator.load(str(ts.with_suffix(".qm"))):
                    raise OSError(f"cannot load {ts.with_suffix('.qm').name}")
                translators.append(translator)
            self.source = "qm"
            return translators
        except (OSError, subprocess.SubprocessError):
            # No working lrelease (or read-only install dir): read the .ts sources directly.
            table: dict[tuple[str, str], str] = {}
            for ts in sources:
                table.update(read_ts(ts))
            self.source = "ts"
            return [TsTranslator(table)]


def main(argv: list[str] | None = None) -> int:
    """``python -m telecabine.ui.i18n build``: compile the translations."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["build"]:
        print("usage: python -m telecabine.ui.i18n build", file=sys.stderr)
        return 2
    for qm in build(force=True):
        print(qm)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
