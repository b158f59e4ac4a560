"""Live preview at 720p30 from the simulated camera (offscreen Qt): frame rate and UI busy share.

Figure: share of wall time the UI (main) thread is busy converting, scaling and painting while
the preview shows a 1280x720 30 fps simulated camera scaled into a 960x540 widget. Wall time,
not CPU time, because that is what the UI cannot use for anything else (it also counts waiting
for the CPU on a loaded machine, so it is conservative). Also reported: the main thread's CPU
time share (``time.thread_time``; Qt may hand large image scaling to its own worker threads,
which then show under other threads), frames shown per second, frames skipped, age of the
frame when shown, and the capture thread's cost.

Anchor, measured in the same run: the common naive preview (convert BGR->RGB with
``cv2.cvtColor``, ``QPixmap.fromImage``, smooth scaling at every paint).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _measure(seconds: float, naive: bool) -> dict[str, Any]:
    import cv2
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QImage, QPainter, QPixmap
    from PySide6.QtWidgets import QApplication

    from telecabine.devices.simulated import SimulatedCamera
    from telecabine.ui.widgets.preview import VideoPreview

    app = QApplication.instance() or QApplication([])

    class NaivePreview(VideoPreview):
        """Converts on every tick and scales smoothly at every paint (the anchor)."""

        def _on_tick(self) -> None:
            seq, frame = self._mailbox.latest()  # type: ignore[union-attr]
            if seq == self._last_seq or frame is None:
                return
            t0 = time.perf_counter()
            self._last_seq = seq
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            h, w = rgb.shape[:2]
            self._pix = QPixmap.fromImage(QImage(rgb.data, w, h, rgb.strides[0],
                                                 QImage.Format.Format_RGB888))  # fmt: skip
            self.frames_shown += 1
            self.busy_s += time.perf_counter() - t0
            self.update()

        def paintEvent(self, event) -> None:
            t0 = time.perf_counter()
            p = QPainter(self)
            if getattr(self, "_pix", None) is not None:
                p.drawPixmap(self.rect(), self._pix.scaled(
                    self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation))  # fmt: skip
            p.end()
            self.busy_s += time.perf_counter() - t0

    cam = SimulatedCamera("room", width=1280, height=720, fps=30)
    view = NaivePreview() if naive else VideoPreview()
    view.resize(960, 540)
    view.show()
    ages: list[float] = []
    original_tick = view._on_tick

    def tick() -> None:
        before = view.frames_shown
        original_tick()
        if view.frames_shown > before:
            ages.append(time.monotonic() - view._mailbox.latest()[1].captured_at)  # type: ignore[union-attr]

    view._timer.timeout.disconnect()
    view._timer.timeout.connect(tick)
    cam.start()
    view.set_source(cam.mailbox)
    warm = QEventLoop()
    QTimer.singleShot(1000, warm.quit)
    warm.exec()
    shown0, skipped0, busy0, cap0 = view.frames_shown, view.frames_skipped, view.busy_s, 0
    cap0 = cam.frames_captured
    ages.clear()
    t_wall, t_ui, t_proc = time.perf_counter(), time.thread_time(), time.process_time()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    wall = time.perf_counter() - t_wall
    ui_cpu = time.thread_time() - t_ui
    proc_cpu = time.process_time() - t_proc
    shown = view.frames_shown - shown0
    result = {
        "preview_fps": round(shown / wall, 1),
        "captured_fps": round((cam.frames_captured - cap0) / wall, 1),
        "ui_thread_cpu_share": round(ui_cpu / wall, 4),
        "ui_convert_scale_paint_share": round((view.busy_s - busy0) / wall, 4),
        "capture_and_other_threads_share": round(max(0.0, proc_cpu - ui_cpu) / wall, 4),
        "frames_skipped": view.frames_skipped - skipped0,
        "frame_age_at_display_ms_mean": round(1000 * sum(ages) / max(1, len(ages)), 1),
        "seconds": round(wall, 1),
        "threads": threading.active_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),  # shared machine: read with this
    }
    view.stop()
    cam.stop()
    view.close()
    app.processEvents()
    return result


def run(quick: bool = False) -> dict[str, Any]:
    """Measure ours and the naive anchor; write ``results/preview.json``."""
    from bench.common import write_result

    seconds = 2.0 if quick else 10.0
    ours = _measure(seconds, naive=False)
    anchor = _measure(seconds, naive=True)
    return write_result(
        "preview",
        value=ours["ui_convert_scale_paint_share"],
        unit="share of wall time the UI thread is busy (preview 1280x720@30 -> 960x540)",
        anchor="naive preview: cvtColor BGR->RGB + QPixmap + smooth scale at every paint",
        anchor_value=anchor["ui_convert_scale_paint_share"],
        goal="preview >= 29 fps with the UI thread busy < 25 % of a core",
        details={"ours": ours, "naive": anchor},
        quick=quick,
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=False), indent=2))
