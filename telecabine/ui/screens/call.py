"""Call screen: the doctor large, the cabin's own picture small, vitals, prompts, documents.

Follows the screen contract (``sig_next`` when the call is over -> wrap-up, ``sig_back`` when
staff withdraw the patient from the waiting room, ``on_enter(ctx)``, ``clear()``,
``retranslate()``). The service's events arrive on the qasync loop thread, so handlers touch
widgets directly. Video is converted once per displayed frame, at display size.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from telecabine.services.consultation import ConsultationError, ConsultationService
from telecabine.ui.screens.call_documents import QtPdfPrinter, first_page_pixmap

log = logging.getLogger(__name__)
CTX = "CallScreen"
FPS = 25  # display rate; the call itself runs at 30 fps


def _t(text: str) -> str:
    return QCoreApplication.translate(CTX, text)


def _state_text(state: str, position: int | None) -> str:
    if state == "waiting":
        if position:
            return _t("En attente d'un médecin — position {n}").format(n=position)
        return _t("En attente d'un médecin…")
    return {
        "idle": _t("Préparation de l'appel…"),
        "connecting": _t("Connexion au médecin…"),
        "in_call": _t("En consultation"),
        "reconnecting": _t("Reconnexion… l'appel va reprendre"),
        "ended": _t("Consultation terminée"),
    }.get(state, state)


def _camera_text(role: str) -> str:
    return {
        "room": _t("Caméra de la pièce"),
        "otoscope": _t("Otoscope"),
        "dermatoscope": _t("Dermatoscope"),
        "document": _t("Caméra document"),
    }.get(role, role)


def _to_pixmap(rgb) -> QPixmap:
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    # Copied: fromImage copies the pixels, and ``image`` (a view on ``rgb``) dies here.
    return QPixmap.fromImage(image)


class CallScreen(QWidget):
    """The consultation as the cabin sees it."""

    sig_next = Signal()
    sig_back = Signal()

    def __init__(self, consultation: ConsultationService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.consultation = consultation
        self._lang = "fr"
        self._state = "idle"
        self._position: int | None = None
        self._prompt_kind: str | None = None
        self._last_doc: tuple[bytes, str] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._vitals: dict[str, str] = {}
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // FPS)
        self._timer.timeout.connect(self.refresh_video)
        self._subscribe()
        self.retranslate()

    # --- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        big = QFont()
        big.setPointSize(20)
        big.setBold(True)
        self.banner = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.banner.setObjectName("callBanner")
        self.banner.setFont(big)
        self.banner.setAccessibleName("état de l'appel / call state")
        self.doctor_video = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.doctor_video.setMinimumSize(640, 360)
        self.doctor_video.setStyleSheet("background:#000;color:#fff;")
        self.self_view = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.self_view.setFixedSize(256, 144)
        self.self_view.setStyleSheet("background:#222;border:2px solid #fff;")
        self.doctor_name = QLabel()
        self.live_camera = QLabel()
        self.stethoscope = QLabel()
        self.stethoscope.setStyleSheet("background:#b42318;color:#fff;padding:6px;font-weight:700;")
        self.stethoscope.hide()
        self.quality = QLabel(wordWrap=True)
        self.vitals = QLabel(wordWrap=True)
        self.prompt = QLabel(wordWrap=True)
        self.prompt.setFont(big)
        self.prompt.setStyleSheet("background:#fff4e5;color:#7a4100;padding:12px;")
        self.prompt.hide()
        self.measure_button = self._button(self._on_measure)
        self.measure_button.hide()
        self.chat = QLabel(wordWrap=True)
        self.document_preview = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.document_info = QLabel(wordWrap=True)
        self.reprint_button = self._button(self._on_reprint)
        self.reprint_button.hide()
        self.mute_button = self._button(self._on_mute)
        self.mute_button.setCheckable(True)
        self.end_button = self._button(self._on_end)
        self.end_button.setStyleSheet("background:#b42318;color:#fff;font-weight:700;")

        left = QVBoxLayout()
        left.addWidget(self.banner)
        left.addWidget(self.doctor_video, 1)
        row = QHBoxLayout()
        row.addWidget(self.self_view)
        col = QVBoxLayout()
        for w in (self.doctor_name, self.live_camera, self.stethoscope, self.quality):
            col.addWidget(w)
        row.addLayout(col, 1)
        left.addLayout(row)
        right = QVBoxLayout()
        for w in (self.prompt, self.measure_button, self.vitals, self.chat, self.document_preview,
                  self.document_info, self.reprint_button):  # fmt: skip
            right.addWidget(w)
        right.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.mute_button)
        buttons.addWidget(self.end_button)
        right.addLayout(buttons)
        root = QHBoxLayout(self)
        root.addLayout(left, 3)
        root.addLayout(right, 1)

    def _button(self, slot) -> QPushButton:
        button = QPushButton()
        button.setMinimumHeight(56)
        button.clicked.connect(slot)
        return button

    def _subscribe(self) -> None:
        ev = self.consultation.events
        ev.state.append(self._on_state)
        ev.position.append(self._on_position)
        ev.doctor.append(self._on_doctor)
        ev.prompt.append(self._on_prompt)
        ev.chat.append(self._on_chat)
        ev.document.append(self._on_document)
        ev.quality.append(self._on_quality)
        ev.camera.append(self._on_camera)
        ev.stethoscope.append(self._on_stethoscope)
        ev.vital.append(self._on_vital)
        ev.ended.append(self._on_ended)

    # --- screen contract -------------------------------------------------------------------------

    def on_enter(self, ctx: Any) -> None:
        """Start the call for ``ctx`` (encounter_id, reason, age_band, flagged_vitals, lang)."""

        def get(name: str, default=None):
            if isinstance(ctx, Mapping):
                return ctx.get(name, default)
            return getattr(ctx, name, default)

        self.clear()
        lang = get("lang")
        self.retranslate(lang if lang in ("fr", "en") else None)
        self._timer.start()
        self._spawn(self._start(get("encounter_id"), get("reason", ""), get("age_band", "?"),
                                list(get("flagged_vitals", []) or [])))  # fmt: skip

    async def _start(self, encounter_id: str, reason: str, age_band: str, flagged: list[str]):
        try:
            await self.consultation.start_call(encounter_id, reason, age_band, flagged)
        except ConsultationError as exc:
            self.banner.setText(str(exc))

    def clear(self) -> None:
        """Forget the previous call (pictures, vitals, prompts, documents)."""
        self._timer.stop()
        self._vitals.clear()
        self._last_doc = None
        self._prompt_kind = None
        for label in (self.doctor_video, self.self_view, self.document_preview):
            label.clear()
        for label in (self.vitals, self.chat, self.document_info, self.quality, self.doctor_name):
            label.setText("")
        self.prompt.hide()
        self.measure_button.hide()
        self.reprint_button.hide()
        self.stethoscope.hide()
        self._state, self._position = "idle", None

    def retranslate(self, lang: str | None = None) -> None:
        """Re-apply every string."""
        self._lang = lang or self._lang
        self.banner.setText(_state_text(self._state, self._position))
        self.stethoscope.setText(_t("Stéthoscope écouté par le médecin"))
        self.measure_button.setText(_t("Mesurer maintenant"))
        self.reprint_button.setText(_t("Imprimer à nouveau"))
        self.mute_button.setText(
            _t("Micro coupé") if self.mute_button.isChecked() else _t("Couper le micro")
        )
        self.end_button.setText(_t("Terminer l'appel"))
        self.doctor_video.setAccessibleName(_t("Vidéo du médecin"))
        self.self_view.setAccessibleName(_t("Image envoyée au médecin"))

    # --- service events --------------------------------------------------------------------------

    def _on_state(self, state: str) -> None:
        self._state = state
        self.banner.setText(_state_text(state, self._position))
        color = {"reconnecting": "#e8890c", "in_call": "#1a7f37"}.get(state, "#0b5cad")
        self.banner.setStyleSheet(f"background:{color};color:#fff;padding:8px;")

    def _on_position(self, position: int) -> None:
        self._position = position
        self._on_state(self._state)

    def _on_doctor(self, name: str, specialty: str) -> None:
        self.doctor_name.setText(f"{name} — {specialty}")

    def _on_prompt(self, kind: str, fr: str, en: str) -> None:
        self._prompt_kind = kind
        self.prompt.setText(fr if self._lang == "fr" else en)
        self.prompt.show()
        self.measure_button.show()

    def _on_measure(self) -> None:
        kind, self._prompt_kind = self._prompt_kind, None
        self.prompt.hide()
        self.measure_button.hide()
        if kind:
            self._spawn(self.consultation.measure(kind))

    def _on_vital(self, obs: Any) -> None:
        label = obs.label_fr if self._lang == "fr" else obs.label_en
        flag = f" ⚠ {obs.flag}" if obs.flag and obs.flag != "normal" else ""
        self._vitals[obs.code] = f"{label} : {obs.value:g} {obs.unit}{flag}"
        self.vitals.setText("\n".join(self._vitals.values()))

    def _on_chat(self, sender: str, text: str) -> None:
        who = _t("Médecin") if sender == "doctor" else _t("Cabine")
        self.chat.setText(f"{who} : {text}")

    def _on_document(self, kind: str, filename: str, data: bytes, printed_to: str | None) -> None:
        self._last_doc = (data, filename)
        try:
            self.document_preview.setPixmap(first_page_pixmap(data, 240))
        except Exception:  # a preview failure must not hide that the document arrived
            log.exception("document preview failed")
        what = _t("Ordonnance reçue") if kind == "prescription" else _t("Compte rendu reçu")
        where = (
            _t("imprimée") if printed_to else _t("non imprimée : utilisez « Imprimer à nouveau »")
        )
        self.document_info.setText(f"{what} — {where}")
        self.reprint_button.show()

    def _on_reprint(self) -> None:
        printer = self.consultation.printer
        if self._last_doc and isinstance(printer, QtPdfPrinter):
            printer.print_now(*self._last_doc)

    def _on_quality(self, level: str, words: str) -> None:
        self.quality.setText(words)

    def _on_camera(self, role: str) -> None:
        self.live_camera.setText(_t("En direct : {cam}").format(cam=_camera_text(role)))

    def _on_stethoscope(self, on: bool) -> None:
        self.stethoscope.setVisible(on)

    def _on_ended(self, summary: dict | None) -> None:
        self._timer.stop()
        self.sig_next.emit()

    # --- buttons ---------------------------------------------------------------------------------

    def _on_mute(self) -> None:
        self.consultation.set_muted(self.mute_button.isChecked())
        self.retranslate()

    def _on_end(self) -> None:
        if self._state == "waiting":
            self._spawn(self.consultation.cancel())
            self.sig_back.emit()
        else:
            self._spawn(self.consultation.hang_up())

    # --- video -----------------------------------------------------------------------------------

    def refresh_video(self) -> None:
        """Show the newest doctor frame and the newest frame of the live camera."""
        call = self.consultation.call
        if call is None:
            return
        rgb = call.remote_video.latest_rgb(max_width=max(320, self.doctor_video.width()))
        if rgb is not None:
            self.doctor_video.setPixmap(_to_pixmap(rgb))
        if not self.live_camera.text():
            self._on_camera(call.video.role)
        mailbox = call.cameras.get(call.video.role)
        frame = mailbox.latest()[1] if mailbox is not None else None
        if frame is not None:
            small = frame.image[
                :: max(1, frame.image.shape[0] // 144), :: max(1, frame.image.shape[1] // 256)
            ]
            rgb_small = small[:, :, ::-1].copy()  # BGR -> RGB on a ~256 px image only
            self.self_view.setPixmap(_to_pixmap(rgb_small).scaled(
                self.self_view.size(), Qt.AspectRatioMode.KeepAspectRatio))  # fmt: skip

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
