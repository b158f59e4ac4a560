"""Regression test for the mid-call crash ("Fatal Python error: none_dealloc").

PySide6 6.12.0 on Python 3.11 took one reference from ``None`` at each ``QWidget.update()``,
``QLabel.setText/setPixmap/clear/setMinimumSize`` and ``setVisible`` call; a call screen makes
~860 such calls a second, so the station died 65-105 s into every call. The project runs on
Python 3.12+ (``None`` is immortal there) with the locked PySide6. This test calls the methods
that leaked a few hundred thousand times in a fresh interpreter and checks that the process
survives and that ``None``'s count did not fall. Any dependency upgrade must keep it green.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CALLS = 200_000

SCRIPT = textwrap.dedent(
    f"""
    import sys
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QApplication, QLabel, QWidget

    app = QApplication([])
    w = QWidget()
    label = QLabel(w)
    pixmap = QPixmap(4, 4)
    before = sys.getrefcount(None)
    for i in range({CALLS}):
        w.update()
        label.setText("x")
        if i % 4 == 0:
            label.setPixmap(pixmap)
            label.clear()
            label.setMinimumSize(1, 1)
            label.setVisible(bool(i % 8))
    after = sys.getrefcount(None)
    print(before, after)
    w.deleteLater()
    app.processEvents()
    """
)


def test_pyside_calls_leave_none_refcount_intact() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=110
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    before, after = (int(x) for x in proc.stdout.split())
    # On 3.12+ None is immortal: its count never moves. On a mortal None it may only rise.
    assert after >= before, f"None's reference count fell from {before} to {after}"


def test_interpreter_is_one_where_none_is_immortal() -> None:
    """The project must not go back to 3.11 with PySide6 6.12 (see the module docstring)."""
    assert sys.version_info >= (3, 12)
