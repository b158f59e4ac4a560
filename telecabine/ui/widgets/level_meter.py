"""Audio level bar: shows an input's dBFS level (RMS, with the peak in the text), polled.

The audio callback thread updates a plain ``LevelMeter``; this widget reads it on a 10 Hz
``QTimer`` (two floats, nothing to convert), so the UI thread never waits on audio.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QProgressBar, QWidget

FLOOR_DB = -60


class MeterLike(Protocol):
    """What the bar needs of ``devices.audio_dsp.LevelMeter``."""

    rms_dbfs: float
    peak_dbfs: float


class LevelBar(QProgressBar):
    """A horizontal bar from -60 dBFS (empty) to 0 dBFS (full)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(FLOOR_DB, 0)
        self.setMinimumHeight(28)
        self.setValue(FLOOR_DB)
        self._meter: Any = None
        self._name = ""
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self.refresh)

    def set_meter(self, meter: MeterLike | None, name: str = "") -> None:
        """Follow this meter (None: empty bar, polling stops)."""
        self._meter, self._name = meter, name
        if meter is None:
            self._timer.stop()
            self.setValue(FLOOR_DB)
            self.setFormat(name)
        else:
            self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        """Show the newest level."""
        if self._meter is None:
            return
        rms = max(FLOOR_DB, min(0, round(self._meter.rms_dbfs)))
        peak = round(max(-120.0, self._meter.peak_dbfs))
        self.setValue(rms)
        text = QCoreApplication.translate("LevelBar", "%1 : %2 dB (crête %3 dB)")
        self.setFormat(text.replace("%1", self._name).replace("%2", str(rms)).replace(
            "%3", str(peak)))  # fmt: skip
        self.setAccessibleName(self.format())

    def stop(self) -> None:
        """Stop polling."""
        self._timer.stop()
