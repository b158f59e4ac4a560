"""Call screen: the doctor large, the cabin's own picture inset, vitals strip, the doctor's
requests, the chat (captions of her messages, touch replies, a text reply), documents.

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
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from telecabine.domain.vitals import display_unit
from telecabine.services.consultation import ConsultationError, ConsultationService
from telecabine.ui.screens.call_documents import QtPdfPrinter, first_page_pixmap
from telecabine.ui.widgets.call_view import VideoView, VitalsStrip

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


# Short answers the patient or the staff can touch instead of typing (French source text).
REPLIES = ("Oui", "Non", "D'accord", "Pouvez-vous répéter ?", "Un instant, s'il vous plaît")


def _reply_text(key: str) -> str:
    return {
        "Oui": _t("Oui"),
        "Non": _t("Non"),
        "D'accord": _t("D'accord"),
        "Pouvez-vous répéter ?": _t("Pouvez-vous répéter ?"),
        "Un instant, s'il vous plaît": _t("Un instant, s'il vous plaît"),
    }[key]


def _flag_text(flag: str | None) -> str:
    return {"low": _t("bas"), "high": _t("élevé"), "critical": _t("critique")}.get(flag or "", "")


def _value_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


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
        self._vitals: dict[str, Any] = {}
        self._requests: list[tuple[str, str, str]] = []  # the doctor's pending measurement asks
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
        self.doctor_video = VideoView()
        self.self_view = self.doctor_video.self_view
        self.caption = self.doctor_video.caption
        self.doctor_name = QLabel(wordWrap=True)
        self.doctor_name.setStyleSheet("font-weight:bold;")
        self.live_camera = QLabel(wordWrap=True)
        self.stethoscope = QLabel()
        self.stethoscope.setStyleSheet("background:#b42318;color:#fff;padding:6px;font-weight:700;")
        self.stethoscope.hide()
        self.quality = QLabel(wordWrap=True)
        self.vitals = VitalsStrip()
        self.prompt = QLabel(wordWrap=True)
        self.prompt.setFont(big)
        self.prompt.setStyleSheet("background:#fff4e5;color:#7a4100;padding:12px;")
        self.prompt.hide()
        self.measure_button = self._button(self._on_measure)
        self.measure_button.setProperty("primary", True)
        self.measure_button.hide()
        self.chat_title = QLabel()
        self.chat_title.setStyleSheet("font-weight:bold;")
        self.chat = QListWidget()
        self.chat.setWordWrap(True)
        self.chat.setMinimumHeight(120)
        self.chat.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reply_buttons: dict[str, QPushButton] = {}
        replies = QGridLayout()
        replies.setSpacing(6)
        for i, key in enumerate(REPLIES):
            button = self._button(lambda _=False, k=key: self._send_reply(_reply_text(k)))
            button.setMinimumHeight(56)
            self.reply_buttons[key] = button
            if i < 4:
                replies.addWidget(button, i // 2, i % 2)
            else:  # the fifth, longest, spans the row
                replies.addWidget(button, 2, 0, 1, 2)
        self.reply_input = QLineEdit()
        self.reply_input.setMaxLength(2000)
        self.reply_input.setMinimumHeight(56)
        self.reply_input.returnPressed.connect(self._on_reply_typed)
        self.reply_send = self._button(self._on_reply_typed)
        self.document_preview = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.document_info = QLabel(wordWrap=True)
        self.reprint_button = self._button(self._on_reprint)
        self.reprint_button.hide()
        self.mute_button = self._button(self._on_mute)
        self.mute_button.setCheckable(True)
        self.end_button = self._button(self._on_end)
        self.end_button.setStyleSheet("background:#b42318;color:#fff;font-weight:700;")

        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(self.doctor_video, 1)
        left.addWidget(self.vitals)
        info = QHBoxLayout()
        who = QVBoxLayout()
        who.setSpacing(2)
        who.addWidget(self.doctor_name)
        where = QHBoxLayout()
        for w in (self.live_camera, self.stethoscope, self.quality):
            where.addWidget(w)
        where.addStretch(1)
        who.addLayout(where)
        info.addLayout(who, 1)
        info.addWidget(self.mute_button)
        info.addWidget(self.end_button)
        left.addLayout(info)
        right = QVBoxLayout()
        right.setSpacing(8)
        for w in (self.prompt, self.measure_button, self.chat_title):
            right.addWidget(w)
        right.addWidget(self.chat, 1)
        right.addLayout(replies)
        typed = QHBoxLayout()
        typed.addWidget(self.reply_input, 1)
        typed.addWidget(self.reply_send)
        right.addLayout(typed)
        doc = QHBoxLayout()
        doc.addWidget(self.document_preview)
        doc_col = QVBoxLayout()
        doc_col.addWidget(self.document_info)
        doc_col.addWidget(self.reprint_button)
        doc.addLayout(doc_col, 1)
        right.addLayout(doc)
        body = QHBoxLayout()
        body.addLayout(left, 5)
        body.addLayout(right, 2)
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        root.addWidget(self.banner)
        root.addLayout(body, 1)

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
        self.vitals.clear()
        self.chat.clear()
        self.reply_input.clear()
        self._last_doc = None
        self._prompt_kind = None
        self._requests.clear()
        for label in (self.doctor_video, self.self_view, self.document_preview):
            label.clear()
        for label in (self.document_info, self.quality, self.doctor_name):
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
        self.chat_title.setText(_t("Messages du médecin"))
        self.chat.setAccessibleName(_t("Messages du médecin"))
        for key, button in self.reply_buttons.items():
            button.setText(_reply_text(key))
        self.reply_input.setPlaceholderText(_t("Votre réponse au médecin"))
        self.reply_input.setAccessibleName(_t("Votre réponse au médecin"))
        self.reply_send.setText(_t("Envoyer"))
        self.vitals.set_empty_text(_t("Aucune mesure pour l'instant"))
        self.vitals.setAccessibleName(_t("Mesures"))
        for obs in self._vitals.values():
            self._show_vital(obs)
        self._show_requests()

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
        if all(k != kind for k, _, _ in self._requests):  # asked twice = one measure to take
            self._requests.append((kind, fr, en))
        self._show_requests()

    def _show_requests(self) -> None:
        """The doctor's pending requests, oldest first; the button takes the oldest."""
        self._prompt_kind = self._requests[0][0] if self._requests else None
        lines = [fr if self._lang == "fr" else en for _, fr, en in self._requests]
        self.prompt.setText("\n".join(lines))
        self.prompt.setVisible(bool(lines))
        self.measure_button.setVisible(bool(lines))

    def _on_measure(self) -> None:
        kind = self._prompt_kind
        if self._requests:
            self._requests.pop(0)
        self._show_requests()
        if kind:
            self._spawn(self.consultation.measure(kind))

    def _on_vital(self, obs: Any) -> None:
        known = self._vitals.get(obs.code)
        if known is not None and str(known.measured_at) > str(obs.measured_at):
            return  # a late copy of an older value: the strip shows the latest per measure
        self._vitals[obs.code] = obs
        self._show_vital(obs)

    def _show_vital(self, obs: Any) -> None:
        label = obs.label_fr if self._lang == "fr" else obs.label_en
        flag = _flag_text(obs.flag)
        unit = display_unit(obs.unit)
        value = f"{_value_text(obs.value)} {unit}" + (f" ⚠ {flag}" if flag else "")
        self.vitals.set_vital(obs.code, label, value, obs.flag)

    def _on_chat(self, sender: str, text: str) -> None:
        who = _t("Médecin") if sender == "doctor" else _t("Cabine")
        self.chat.addItem(f"{who} : {text}")
        self.chat.scrollToBottom()
        if sender == "doctor":
            self.doctor_video.set_caption(text)

    def _send_reply(self, text: str) -> None:
        text = text.strip()
        if text and self.consultation.send_chat(text):
            self._on_chat("station", text)

    def _on_reply_typed(self) -> None:
        text = self.reply_input.text().strip()
        if text:
            self._send_reply(text)
            self.reply_input.clear()

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
            self.doctor_video.setPixmap(_to_pixmap(rgb))  # scaled to the area when painted
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
