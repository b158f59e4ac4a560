"""Widgets of the cabin's call screen: the doctor's video filling its area with the cabin's own
picture inset and a caption of the doctor's last message, and the vitals strip.

No user-visible words here (the screen passes translated text in).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

BACKDROP = QColor("#0b2545")  # the header's navy: no large black area around the picture
FLAG_STYLES = {
    "normal": "background:#e3f4e8;color:#13632c;border:2px solid #13632c;",
    "low": "background:#fff4e5;color:#7a4100;border:3px solid #7a4100;",
    "high": "background:#fff4e5;color:#7a4100;border:3px solid #7a4100;",
    "critical": "background:#a00000;color:#ffffff;border:3px solid #a00000;",
    None: "background:#e8eef6;color:#0b2545;border:2px solid #0b2545;",
}


class VideoView(QWidget):
    """The doctor's picture scaled to the widget (aspect kept, centred), the cabin's own
    picture inset top-right (``self_view``) and a caption band at the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(480, 270)
        self.self_view = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter)
        self.self_view.setStyleSheet("background:#222;border:2px solid #fff;")
        self.caption = QLabel(self, wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.caption.setObjectName("callCaption")
        self.caption.setStyleSheet(
            "background:rgba(0,0,0,190);color:#fff;font-size:26px;font-weight:bold;padding:8px;"
        )
        self.caption.hide()

    # QLabel-like API (the screen and the tests use it)
    def setPixmap(self, pixmap: QPixmap) -> None:
        """Show a new frame (scaled at paint time)."""
        self._pixmap = pixmap
        self.update()

    def pixmap(self) -> QPixmap:
        """The last frame shown (null when none)."""
        return self._pixmap

    def clear(self) -> None:
        """Forget the picture and the caption."""
        self._pixmap = QPixmap()
        self.self_view.clear()
        self.set_caption("")
        self.update()

    def set_caption(self, text: str) -> None:
        """Show the doctor's last message over the bottom of the picture ("" hides it)."""
        self.caption.setText(text)
        self.caption.setVisible(bool(text))
        self._place()

    def picture_rect(self) -> QRect:
        """Where the frame is drawn: the largest rectangle of its aspect inside the widget."""
        if self._pixmap.isNull():
            return self.rect()
        size = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) // 2
        y = (self.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKDROP)
        if not self._pixmap.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(self.picture_rect(), self._pixmap)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        w, h = self.width(), self.height()
        inset_w = max(160, w // 5)
        inset_h = inset_w * 9 // 16
        self.self_view.setGeometry(w - inset_w - 12, 12, inset_w, inset_h)
        self.self_view.raise_()
        if not self.caption.isHidden():  # placed even while the screen itself is hidden
            cap_h = self.caption.heightForWidth(w - 24)
            cap_h = max(56, cap_h if cap_h > 0 else 56)
            self.caption.setGeometry(12, h - cap_h - 12, w - 24, cap_h)
            self.caption.raise_()


class VitalsStrip(QWidget):
    """One chip per measure: its latest value, coloured by its flag (``COLUMNS`` per row)."""

    COLUMNS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)
        self._empty = QLabel()
        self._empty.setStyleSheet("color:#333;")
        self._layout.addWidget(self._empty, 0, 0, 1, self.COLUMNS)
        for column in range(self.COLUMNS):
            self._layout.setColumnStretch(column, 1)
        self.chips: dict[str, QLabel] = {}

    def set_empty_text(self, text: str) -> None:
        """What shows before the first measure."""
        self._empty.setText(text)

    def set_vital(self, code: str, label: str, value: str, flag: str | None) -> None:
        """Show (or replace) the chip of ``code``: its label above its value."""
        chip = self.chips.get(code)
        if chip is None:
            chip = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
            chip.setMinimumHeight(48)
            n = len(self.chips)
            self.chips[code] = chip
            self._layout.addWidget(chip, 1 + n // self.COLUMNS, n % self.COLUMNS)
        chip.setText(f"{label}\n{value}")
        chip.setAccessibleName(f"{label} : {value}")
        chip.setProperty("flag", flag or "")
        style = FLAG_STYLES.get(flag, FLAG_STYLES[None])
        chip.setStyleSheet(f"{style}border-radius:8px;padding:4px 12px;font-weight:bold;")
        self._empty.hide()

    def text(self) -> str:
        """All chips' text, one per line (for tests and accessibility)."""
        return "\n".join(c.accessibleName() for c in self.chips.values())

    def clear(self) -> None:
        """No measure shown."""
        for chip in self.chips.values():
            chip.deleteLater()
        self.chips.clear()
        self._empty.show()
