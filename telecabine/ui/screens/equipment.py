"""Equipment check screen: live camera preview, one line per item, speaker question, role chooser.

Follows the screen contract (``sig_next``, ``sig_back``, ``on_enter(ctx)``, ``clear()``,
``retranslate()``). The check itself is :class:`telecabine.services.preflight.Preflight`, run as
an asyncio task on the qasync loop; each result repaints its line. Camera status events come
from capture threads through a queued Qt signal and show as a banner saying what to do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from telecabine.devices.video_health import SourceEvent
from telecabine.services.preflight import CheckResult, CheckStatus, Preflight, PreflightReport
from telecabine.services.preflight_text import label
from telecabine.ui.screens.base import Screen, title_label, touch_button
from telecabine.ui.screens.equipment_roles import RoleChooser
from telecabine.ui.widgets.level_meter import LevelBar
from telecabine.ui.widgets.preview import VideoPreview

log = logging.getLogger(__name__)
CTX = "EquipmentScreen"

# Status word, symbol (never colour alone) and colour of each state.
STATE_STYLE = {
    CheckStatus.PENDING: ("…", "#555555"),
    CheckStatus.RUNNING: ("⟳", "#1a4f8b"),
    CheckStatus.OK: ("✔", "#1b6e20"),
    CheckStatus.WARNING: ("⚠", "#8a5a00"),
    CheckStatus.FAILED: ("✖", "#a40000"),
}


def state_word(status: CheckStatus) -> str:
    """Translated word for a state."""
    return {
        CheckStatus.PENDING: QCoreApplication.translate("EquipmentScreen", "En attente"),
        CheckStatus.RUNNING: QCoreApplication.translate("EquipmentScreen", "En cours"),
        CheckStatus.OK: QCoreApplication.translate("EquipmentScreen", "Correct"),
        CheckStatus.WARNING: QCoreApplication.translate("EquipmentScreen", "Attention"),
        CheckStatus.FAILED: QCoreApplication.translate("EquipmentScreen", "Échec"),
    }[status]


class CheckRow:
    """The widgets of one item: state badge, name, sentence."""

    def __init__(self, grid: QGridLayout, row: int, key: str) -> None:
        self.key = key
        self.badge = QLabel()
        self.badge.setMinimumWidth(140)
        self.name = QLabel()
        self.name.setFont(QFont(self.name.font().family(), 14, QFont.Weight.DemiBold))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.result: CheckResult | None = None
        self.status = CheckStatus.PENDING
        for col, w in enumerate((self.badge, self.name, self.message)):
            grid.addWidget(w, row, col)

    def show(self, result: CheckResult, lang: str) -> None:
        """Render a state (and, when done, the result's sentence in ``lang``)."""
        self.status = result.status
        if result.status not in (CheckStatus.PENDING, CheckStatus.RUNNING):
            self.result = result
        symbol, colour = STATE_STYLE[result.status]
        self.badge.setText(f"{symbol} {state_word(result.status)}")
        self.badge.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 15px;")
        self.badge.setAccessibleName(state_word(result.status))
        self.name.setText(result.label_fr if lang == "fr" else result.label_en)
        msg = result.message_fr if lang == "fr" else result.message_en
        self.message.setText(msg if self.result is result else "")


class EquipmentScreen(Screen):
    """Runs the equipment check and shows every item's state; Continue once nothing required fails."""

    screen_name = "equipment"
    sig_device_event = Signal(object)  # SourceEvent, emitted from capture threads (queued)
    sig_report = Signal(object)  # PreflightReport when a run finishes

    def __init__(self, preflight: Preflight, lang: str = "fr", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("equipmentScreen")
        self.preflight = preflight
        self.registry = preflight.registry
        self._lang = lang
        self._task: asyncio.Task[Any] | None = None
        self._answer: asyncio.Future[bool | None] | None = None
        self._watched: list[Any] = []
        self.rows: dict[str, CheckRow] = {}
        self.report: PreflightReport | None = None
        self.last_event: SourceEvent | None = None
        preflight.confirm = self._confirm
        self._build()
        self.sig_device_event.connect(self._on_device_event)
        self.retranslate(lang)

    # --- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        self.title = title_label(self)
        self.title.setFont(QFont(self.font().family(), 22, QFont.Weight.Bold))
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff3cd; color: #5c3c00; padding: 8px; font-size: 15px;"
        )
        self.banner.hide()
        root.addWidget(self.title)
        root.addWidget(self.banner)
        body = QHBoxLayout()
        left = QVBoxLayout()
        self.preview = VideoPreview()
        left.addWidget(self.preview, 1)
        # Two per row: four role buttons side by side made the preview column ~970 px wide
        # and squeezed the results into an unreadable strip (seen on the screenshot).
        self.camera_buttons = QGridLayout()
        left.addLayout(self.camera_buttons)
        # Choosing cameras is an installer's task, rarely needed: folded behind one button so
        # the preview keeps its height at 1280x800 (the Xvfb screenshot showed it squeezed).
        self.roles_toggle = QPushButton()
        self.roles_toggle.setCheckable(True)
        self.roles_toggle.setMinimumHeight(48)
        left.addWidget(self.roles_toggle)
        self.roles = RoleChooser(self.preflight.settings)
        self.roles.hide()
        self.roles_toggle.toggled.connect(self.roles.setVisible)
        left.addWidget(self.roles)
        body.addLayout(left, 3)
        # Eleven result rows with their sentences do not fit beside the preview on a 800 px
        # screen: they scroll instead of overlapping each other.
        panel = QWidget()
        right = QVBoxLayout(panel)
        right.setContentsMargins(0, 0, 8, 0)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(2, 1)
        right.addLayout(self.grid)
        self.question = QFrame()
        self.question.setFrameShape(QFrame.Shape.StyledPanel)
        q = QVBoxLayout(self.question)
        self.question_label = QLabel()
        self.question_label.setWordWrap(True)
        self.question_label.setFont(QFont(self.font().family(), 16))
        self.yes_button, self.no_button = QPushButton(), QPushButton()
        answers = QHBoxLayout()
        for b, value in ((self.yes_button, True), (self.no_button, False)):
            b.setMinimumHeight(48)
            b.clicked.connect(lambda _=False, v=value: self._on_answer(v))
            answers.addWidget(b)
        q.addWidget(self.question_label)
        q.addLayout(answers)
        self.question.hide()
        right.addWidget(self.question)
        self.mic_level, self.steth_level = LevelBar(), LevelBar()
        right.addWidget(self.mic_level)
        right.addWidget(self.steth_level)
        self.instruction = QLabel()
        self.instruction.setWordWrap(True)
        self.instruction.setFont(QFont(self.font().family(), 16))
        right.addWidget(self.instruction)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setFont(QFont(self.font().family(), 16, QFont.Weight.DemiBold))
        right.addWidget(self.summary)
        right.addStretch(1)
        self.results_scroll = QScrollArea()
        self.results_scroll.setWidgetResizable(True)
        self.results_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.results_scroll.setWidget(panel)
        body.addWidget(self.results_scroll, 4)
        root.addLayout(body, 1)
        nav = QHBoxLayout()
        self.back_button = touch_button(self, name="equipmentBack")
        self.retry_button = touch_button(self, name="equipmentRetry")
        self.next_button = touch_button(self, primary=True, name="equipmentNext")
        self.set_primary(self.next_button)
        self.set_back(self.back_button)
        self.next_button.setEnabled(False)
        nav.addWidget(self.back_button)
        nav.addStretch(1)
        nav.addWidget(self.retry_button)
        nav.addWidget(self.next_button)
        root.addLayout(nav)
        self.back_button.clicked.connect(self.sig_back.emit)
        self.next_button.clicked.connect(self.sig_next.emit)
        self.retry_button.clicked.connect(self.start_check)
        self._camera_role_buttons: dict[str, QPushButton] = {}

    def _build_rows(self) -> None:
        for row in self.rows.values():
            for w in (row.badge, row.name, row.message):
                self.grid.removeWidget(w)
                w.deleteLater()
        self.rows = {}
        for i, key in enumerate(self.preflight.planned()):
            self.rows[key] = CheckRow(self.grid, i, key)
            self.rows[key].show(CheckResult(key, CheckStatus.PENDING, False, "", ""), self._lang)

    def _build_camera_buttons(self) -> None:
        for b in self._camera_role_buttons.values():
            self.camera_buttons.removeWidget(b)
            b.deleteLater()
        self._camera_role_buttons = {}
        for i, role in enumerate(self.registry.configured_roles()):
            b = QPushButton()
            b.setCheckable(True)
            b.setMinimumHeight(48)
            b.clicked.connect(lambda _=False, r=role: self.show_camera(r))
            self.camera_buttons.addWidget(b, i // 2, i % 2)
            self._camera_role_buttons[role] = b
        self._retranslate_camera_buttons()

    # --- screen contract ----------------------------------------------------------------
    def on_enter(self, ctx: Any = None) -> None:
        """Show the room camera and start the check."""
        lang = getattr(ctx, "lang", None) or (ctx.get("lang") if isinstance(ctx, Mapping) else None)
        self.retranslate(lang if lang in ("fr", "en") else None)
        self._build_camera_buttons()
        self._watch_sources()
        roles = self.registry.configured_roles()
        self.show_camera(roles[0] if roles else None)
        self._follow_levels()
        self.start_check()

    def clear(self) -> None:
        """Stop the check and the preview; forget results (sources keep running)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if self._answer is not None and not self._answer.done():
            self._answer.cancel()
        self.preview.set_source(None)
        self.mic_level.set_meter(None)
        self.steth_level.set_meter(None)
        self.instruction.clear()
        for src in self._watched:
            src.remove_listener(self._emit_event)
        self._watched = []
        self.report = None
        self.banner.hide()
        self.question.hide()
        self.summary.clear()
        self.next_button.setEnabled(False)

    def retranslate(self, lang: str | None = None) -> None:
        """Re-apply every string (Qt translator) and the language of service sentences."""
        self._lang = lang or self._lang
        super().retranslate(self._lang)
        self.title.setText(
            QCoreApplication.translate("EquipmentScreen", "Vérification de l'équipement")
        )
        self.back_button.setText(QCoreApplication.translate("EquipmentScreen", "Retour"))
        self.retry_button.setText(
            QCoreApplication.translate("EquipmentScreen", "Relancer la vérification")
        )
        self.next_button.setText(QCoreApplication.translate("EquipmentScreen", "Continuer"))
        self.yes_button.setText(
            QCoreApplication.translate("EquipmentScreen", "Oui, je l'ai entendu")
        )
        self.no_button.setText(QCoreApplication.translate("EquipmentScreen", "Non"))
        self.preview.set_placeholder(
            QCoreApplication.translate("EquipmentScreen", "Pas d'image de la caméra")
        )
        self.roles.retranslate(self._lang)
        self.roles_toggle.setText(
            QCoreApplication.translate("EquipmentScreen", "Choisir les caméras…")
        )
        self._retranslate_camera_buttons()
        for row in self.rows.values():
            row.show(row.result or CheckResult(row.key, row.status, False, "", ""), self._lang)
        if self.last_event is not None and self.banner.isVisible():
            self._on_device_event(self.last_event)
        self._show_summary()

    def _retranslate_camera_buttons(self) -> None:
        for role, b in self._camera_role_buttons.items():
            fr, en = label(f"camera:{role}")
            b.setText(fr if self._lang == "fr" else en)

    # --- actions ------------------------------------------------------------------------
    def show_camera(self, role: str | None) -> None:
        """Preview this role's camera (started if needed)."""
        src = self.registry.video_source(role) if role else None
        for r, b in self._camera_role_buttons.items():
            b.setChecked(r == role)
        if src is None:
            self.preview.set_source(None)
            return
        src.start()
        self.preview.set_source(src.mailbox)

    @Slot()
    def start_check(self) -> None:
        """(Re)start the check as an asyncio task on the running loop."""
        if self._task is not None and not self._task.done():
            return
        self._build_rows()
        self.report = None
        self.summary.clear()
        self.next_button.setEnabled(False)
        try:
            self._task = asyncio.ensure_future(self.run_check())
        except RuntimeError:  # no event loop (unit tests drive run_check themselves)
            self._task = None

    async def run_check(self) -> PreflightReport:
        """Run every item, repainting each line as it progresses."""
        if not self.rows:
            self._build_rows()
        report = await self.preflight.run(self.show_result)
        self.report = report
        self._show_summary()
        self.next_button.setEnabled(report.passed)
        self.sig_report.emit(report)
        return report

    def show_result(self, result: CheckResult) -> None:
        """Render one item's state (any of pending/running/ok/warning/failed)."""
        row = self.rows.get(result.key)
        if row is None:
            self.rows[result.key] = row = CheckRow(self.grid, len(self.rows), result.key)
        row.show(result, self._lang)
        if result.key in ("microphone", "stethoscope"):
            self._follow_levels()
        if result.status == CheckStatus.RUNNING and result.key == "microphone":
            self.instruction.setText(
                QCoreApplication.translate(
                    "EquipmentScreen", "Dites quelques mots à voix haute, près du micro."
                )
            )
        elif result.status == CheckStatus.RUNNING and result.key == "stethoscope":
            self.instruction.setText(
                QCoreApplication.translate(
                    "EquipmentScreen", "Posez le stéthoscope sur la poitrine ou tapotez-le."
                )
            )
        elif result.key in ("microphone", "stethoscope"):
            self.instruction.clear()

    def _follow_levels(self) -> None:
        mic_name = QCoreApplication.translate("EquipmentScreen", "Micro")
        steth_name = QCoreApplication.translate("EquipmentScreen", "Stéthoscope")
        mic = self.registry.microphone()
        self.mic_level.set_meter(mic.meter, mic_name)
        steth = self.registry.stethoscope()
        self.steth_level.set_meter(steth.meter if steth is not None else None, steth_name)

    def _show_summary(self) -> None:
        if self.report is None:
            return
        if self.report.passed:
            self.summary.setText(
                QCoreApplication.translate(
                    "EquipmentScreen", "Équipement prêt. Vous pouvez continuer."
                )
            )
            self.summary.setStyleSheet("color: #1b6e20;")
        else:
            text = QCoreApplication.translate(
                "EquipmentScreen",
                "Un élément indispensable ne fonctionne pas : suivez "
                "l'indication en rouge puis relancez la vérification.",
            )
            self.summary.setText(text)
            self.summary.setStyleSheet("color: #a40000;")

    async def _confirm(self, question_fr: str, question_en: str) -> bool | None:
        self.question_label.setText(question_fr if self._lang == "fr" else question_en)
        self.question.show()
        self._answer = asyncio.get_running_loop().create_future()
        try:
            return await self._answer
        finally:
            self.question.hide()

    def _on_answer(self, value: bool) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(value)

    def _watch_sources(self) -> None:
        for role in self.registry.configured_roles():
            src = self.registry.video_source(role)
            if src is not None and src not in self._watched:
                src.add_listener(self._emit_event)
                self._watched.append(src)

    def _emit_event(self, event: SourceEvent) -> None:
        self.sig_device_event.emit(event)  # capture thread -> queued to the UI thread

    @Slot(object)
    def _on_device_event(self, event: SourceEvent) -> None:
        """Show what to do when a camera fails; hide the banner when it recovers."""
        self.last_event = event
        if event.is_incident:
            self.banner.setText(event.message_fr if self._lang == "fr" else event.message_en)
            self.banner.show()
        elif event.kind == "camera_recovered":
            self.banner.hide()
