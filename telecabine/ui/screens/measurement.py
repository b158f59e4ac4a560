"""Measurement screen: one guided step per device, live status, the value large, retry, manual entry.

Follows the screen contract (``sig_next``, ``sig_back``, ``on_enter(ctx)``, ``clear()``,
``retranslate()``). Measurements run as asyncio tasks on the qasync loop; the service's status
updates arrive on the same thread and only touch widgets. The call screen uses
:meth:`MeasurementScreen.request_measurement` when the doctor asks for a measurement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from telecabine.devices.speech import SpeechBackend
from telecabine.domain.vitals import MeasurementKind, Observation, VitalError
from telecabine.services.measurement import (
    MeasurementFailed,
    MeasurementService,
    MeasurementUpdate,
    Status,
)
from telecabine.ui.screens.measurement_devices import DevicePicker
from telecabine.ui.screens.measurement_manual import ManualEntryForm
from telecabine.ui.screens.measurement_text import (
    battery_text,
    live_text,
    observations_text,
    status_text,
    step_title,
)
from telecabine.ui.screens.measurement_text import (
    instruction as guidance_sentence,
)

log = logging.getLogger(__name__)
GUIDANCE_DIR = Path(__file__).resolve().parents[3] / "resources" / "guidance"
DEFAULT_KINDS = (
    MeasurementKind.TEMPERATURE,
    MeasurementKind.BLOOD_PRESSURE,
    MeasurementKind.SPO2,
    MeasurementKind.WEIGHT,
)


class MeasurementScreen(QWidget):
    """Guided vitals measurement, one step per device kind."""

    sig_next = Signal()
    sig_back = Signal()
    sig_observations = Signal(object)  # tuple[Observation, ...] just stored

    def __init__(
        self,
        service: MeasurementService,
        *,
        kinds: Sequence[MeasurementKind] = DEFAULT_KINDS,
        lang: str = "fr",
        parent: QWidget | None = None,
        speech: SpeechBackend | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("measurementScreen")
        # Spoken guidance (issue 17 item 4): each step's sentence is said when the step shows.
        self._speech = speech
        self.speech_enabled = speech is not None
        self._last_spoken: tuple[MeasurementKind, str] | None = None
        self._service = service
        self._kinds = tuple(MeasurementKind(k) for k in kinds)
        self._lang = lang
        self._kind = self._kinds[0]
        self._encounter_id: str | None = None
        self._task: asyncio.Task[Any] | None = None
        self._results: dict[MeasurementKind, tuple[Observation, ...]] = {}
        self._last_status: Status | None = None
        self._last_update: MeasurementUpdate | None = None
        self._battery = None
        self._build()
        service.add_status_listener(self._on_update)
        self.retranslate(lang)
        self._show_step(self._kind)

    # --- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setObjectName("screenTitle")
        self.title.setFont(QFont(self.font().family(), 22, QFont.Weight.Bold))
        self.step_buttons: dict[MeasurementKind, QPushButton] = {}
        self._step_group = QButtonGroup(self)
        self._step_group.setExclusive(True)
        steps = QHBoxLayout()
        for kind in self._kinds:
            b = QPushButton()
            b.setCheckable(True)
            b.setMinimumSize(QSize(120, 48))
            b.clicked.connect(lambda _=False, k=kind: self.select_step(k))
            self._step_group.addButton(b)
            self.step_buttons[kind] = b
            steps.addWidget(b)
        self.picture = QSvgWidget()
        self.picture.setFixedSize(360, 270)
        self.instruction = QLabel()
        self.instruction.setWordWrap(True)
        self.instruction.setFont(QFont(self.font().family(), 16))
        self.status_label = QLabel()
        self.status_label.setObjectName("measurementStatus")
        self.status_label.setFont(QFont(self.font().family(), 16, QFont.Weight.DemiBold))
        self.value_label = QLabel()
        self.value_label.setObjectName("measurementValue")
        self.value_label.setFont(QFont(self.font().family(), 44, QFont.Weight.Bold))
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_label.setFont(QFont(self.font().family(), 16))
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a40000; font-weight: bold;")
        self.measure_button = QPushButton()
        self.retry_button = QPushButton()
        self.manual_button = QPushButton()
        self.device_button = QPushButton()
        self.back_button = QPushButton()
        self.next_button = QPushButton()
        for b in (
            self.measure_button,
            self.retry_button,
            self.manual_button,
            self.device_button,
            self.back_button,
            self.next_button,
        ):
            b.setMinimumHeight(48)
        self.measure_button.setDefault(True)
        self.measure_button.clicked.connect(lambda: self.start_measurement())
        self.retry_button.clicked.connect(lambda: self.start_measurement())
        self.manual_button.clicked.connect(self.show_manual)
        self.device_button.clicked.connect(self.show_devices)
        self.back_button.clicked.connect(self.sig_back.emit)
        self.next_button.clicked.connect(self._on_next)
        self.manual = ManualEntryForm()
        self.manual.sig_submit.connect(self._on_manual_submit)
        self.manual.sig_cancel.connect(lambda: self._pages.setCurrentIndex(0))
        self.picker = DevicePicker(self._service)
        self.picker.sig_chosen.connect(lambda _d: self._show_step(self._kind))
        self.picker.sig_cancel.connect(lambda: self._pages.setCurrentIndex(0))
        self.device_label = QLabel()
        self.device_label.setWordWrap(True)
        self.device_label.setFont(QFont(self.font().family(), 13))

        guided = QWidget()
        g = QVBoxLayout(guided)
        top = QHBoxLayout()
        top.addWidget(self.picture)
        right = QVBoxLayout()
        right.addWidget(self.instruction)
        right.addWidget(self.status_label)
        right.addWidget(self.device_label)
        # The result sits beside the picture, not under it: with the key banner the screen
        # must fit 1366×768 (issue 17 item 2).
        right.addWidget(self.value_label)
        right.addWidget(self.detail_label)
        right.addWidget(self.error_label)
        right.addStretch(1)
        top.addLayout(right, 1)
        g.addLayout(top)
        g.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.manual_button)
        actions.addWidget(self.device_button)
        actions.addStretch(1)
        actions.addWidget(self.retry_button)
        actions.addWidget(self.measure_button)
        g.addLayout(actions)
        self._pages = QStackedWidget()
        self._pages.addWidget(guided)
        self._pages.addWidget(self.manual)
        self._pages.addWidget(self.picker)

        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        # The title shares the step row: a row saved keeps the screen inside 1280×800 with the
        # key banner in large-text mode.
        steps.insertWidget(0, self.title)
        steps.insertSpacing(1, 24)
        layout.addLayout(steps)
        layout.addWidget(self._pages, 1)
        layout.addLayout(nav)

    # --- screen contract -----------------------------------------------------------------------

    def on_enter(self, ctx: Any) -> None:
        """Start with a fresh screen for the encounter in ``ctx`` (attribute or key ``encounter_id``)."""
        encounter_id = getattr(ctx, "encounter_id", None)
        if encounter_id is None and isinstance(ctx, Mapping):
            encounter_id = ctx.get("encounter_id")
        self.clear()
        self._encounter_id = encounter_id
        lang = getattr(ctx, "lang", None) or (ctx.get("lang") if isinstance(ctx, Mapping) else None)
        self.retranslate(lang if lang in ("fr", "en") else None)

    def clear(self) -> None:
        """Forget the previous patient's values (never show one patient's data to the next)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self._encounter_id = None
        self._results.clear()
        self._last_status = self._last_update = None
        self._show_step(self._kinds[0])

    def retranslate(self, lang: str | None = None) -> None:
        """Re-apply every string (Qt translator) and the language of domain/service messages."""
        self._lang = lang or self._lang
        self.title.setText(QCoreApplication.translate("MeasurementScreen", "Mesures"))
        for kind, b in self.step_buttons.items():
            done = "✓ " if kind in self._results else ""
            b.setText(done + step_title(kind))
            b.setAccessibleName(step_title(kind))
        self.measure_button.setText(
            QCoreApplication.translate("MeasurementScreen", "Lancer la mesure")
        )
        self.retry_button.setText(QCoreApplication.translate("MeasurementScreen", "Réessayer"))
        self.manual_button.setText(
            QCoreApplication.translate("MeasurementScreen", "Saisie manuelle")
        )
        self.back_button.setText(QCoreApplication.translate("MeasurementScreen", "Retour"))
        self.device_button.setText(
            QCoreApplication.translate("MeasurementScreen", "Changer d'appareil")
        )
        current = self._service.current_device(self._kind)
        self.device_label.setText(
            QCoreApplication.translate("MeasurementScreen", "Appareil : {name}").format(
                name=current.name or current.address
            )
            if current
            else QCoreApplication.translate(
                "MeasurementScreen", "Appareil : le premier trouvé sera retenu"
            )
        )
        self.picker.retranslate(self._lang)
        self.next_button.setText(
            QCoreApplication.translate("MeasurementScreen", "Suivant")
            if self._kind != self._kinds[-1]
            else QCoreApplication.translate("MeasurementScreen", "Terminer")
        )
        self.status_label.setAccessibleName(
            QCoreApplication.translate("MeasurementScreen", "État de la mesure")
        )
        self.value_label.setAccessibleName(
            QCoreApplication.translate("MeasurementScreen", "Valeur mesurée")
        )
        self.instruction.setText(guidance_sentence(self._kind))
        self.manual.retranslate(self._lang)
        self._render()

    # --- steps ----------------------------------------------------------------------------------

    @property
    def current_kind(self) -> MeasurementKind:
        """The step on screen."""
        return self._kind

    def select_step(self, kind: MeasurementKind | str) -> None:
        """Show the step for ``kind`` (no measurement started)."""
        kind = MeasurementKind(kind)
        if self.is_busy():
            self.step_buttons[self._kind].setChecked(True)
            return
        self._show_step(kind)

    def _show_step(self, kind: MeasurementKind) -> None:
        self._kind = kind
        if kind in self.step_buttons:
            self.step_buttons[kind].setChecked(True)
        svg = GUIDANCE_DIR / f"{kind.value}.svg"
        if svg.is_file():
            self.picture.load(str(svg))
        self.picture.setAccessibleName(guidance_sentence(kind))
        self._last_status = Status.DONE if kind in self._results else None
        self._last_update = None
        self._battery: int | None = None
        self.manual.set_kind(kind)
        self._pages.setCurrentIndex(0)
        self.retranslate()
        self.speak_step()

    # --- spoken guidance -----------------------------------------------------------------------
    def set_speech_enabled(self, on: bool) -> None:
        """Turn spoken guidance on or off (accessibility menu, ``TELECABINE_SPEECH_GUIDANCE``)."""
        self.speech_enabled = on and self._speech is not None
        if not self.speech_enabled and self._speech is not None:
            self._speech.stop()
        self._last_spoken = None

    def speak_step(self) -> None:
        """Say the current step's guidance sentence once, when this screen is on show."""
        if not self.speech_enabled or self._speech is None or not self.isVisible():
            return
        key = (self._kind, self._lang)
        if key == self._last_spoken:
            return
        self._last_spoken = key
        self._speech.say(guidance_sentence(self._kind), self._lang)

    def showEvent(self, event) -> None:
        """Arriving on the screen says the step shown."""
        super().showEvent(event)
        self.speak_step()

    def hideEvent(self, event) -> None:
        """Leaving the screen stops the voice (and the next arrival speaks again)."""
        super().hideEvent(event)
        self._last_spoken = None
        if self._speech is not None:
            self._speech.stop()

    def _on_next(self) -> None:
        idx = self._kinds.index(self._kind) if self._kind in self._kinds else -1
        if idx + 1 < len(self._kinds):
            self.select_step(self._kinds[idx + 1])
        else:
            self.sig_next.emit()

    # --- measuring ------------------------------------------------------------------------------

    def flagged_codes(self) -> list[str]:
        """LOINC codes measured here with an abnormal flag (for the waiting-room ``announce``)."""
        return sorted(
            {
                o.code
                for obs in self._results.values()
                for o in obs
                if o.flag not in (None, "normal")
            }
        )

    def is_busy(self) -> bool:
        """True while a measurement task runs."""
        return self._task is not None and not self._task.done()

    @Slot(str)
    def request_measurement(self, kind: str) -> None:
        """Doctor's request (data-channel ``request_measurement``): go to that step and measure."""
        kind = MeasurementKind(kind)
        if self.is_busy() and self._kind == kind:
            return
        if self.is_busy():
            self._task.cancel()  # type: ignore[union-attr]
        if kind not in self.step_buttons:
            self._kind = kind
        self._show_step(kind)
        self.start_measurement()

    def start_measurement(self) -> asyncio.Task[Any] | None:
        """Measure the current step on the asyncio loop; returns the task (None when busy)."""
        if self.is_busy() or self._encounter_id is None:
            return None
        self._pages.setCurrentIndex(0)
        self.error_label.clear()
        self._task = asyncio.ensure_future(self._run(self._encounter_id, self._kind))
        # Updates during the task render it as busy; render once more when it has finished.
        self._task.add_done_callback(lambda _t: self._render())
        self._render()
        return self._task

    async def wait_idle(self) -> None:
        """Wait for the running measurement (tests, and the wrap-up before leaving)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def _run(self, encounter_id: str, kind: MeasurementKind) -> None:
        try:
            observations = await self._service.measure(encounter_id, kind)
        except MeasurementFailed:
            return  # shown by the FAILED status update
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("measurement of %s failed unexpectedly", kind.value)
            self.error_label.setText(
                QCoreApplication.translate(
                    "MeasurementScreen", "Erreur inattendue. Utilisez la saisie manuelle."
                )
            )
            return
        self._store_result(kind, observations)

    def _store_result(self, kind: MeasurementKind, observations: tuple[Observation, ...]) -> None:
        self._results[kind] = observations
        self.sig_observations.emit(observations)
        if kind == self._kind:
            self._last_status = Status.DONE
        self.retranslate()

    def _on_update(self, update: MeasurementUpdate) -> None:
        # Another step, or a measurement still finishing for the previous patient: not ours.
        if update.kind != self._kind or update.encounter_id != self._encounter_id:
            return
        self._last_status = update.status
        self._last_update = update
        if update.battery is not None:
            self._battery = update.battery
        if update.status is Status.DONE and update.observations:
            self._results[update.kind] = update.observations
        self._render()

    # --- manual entry --------------------------------------------------------------------------

    def show_manual(self) -> None:
        """Switch to manual entry for the current step."""
        if self.is_busy():
            return
        self.manual.set_kind(self._kind)
        self._pages.setCurrentIndex(1)
        self.manual.setFocus()

    def show_devices(self) -> None:
        """Switch to the device picker for the current step and start a scan."""
        if self.is_busy():
            return
        self.picker.set_kind(self._kind)
        self._pages.setCurrentIndex(2)
        self.picker.search()

    def _on_manual_submit(self, values: dict, units: dict) -> None:
        if self._encounter_id is None:
            return
        try:
            observations = self._service.record_manual(
                self._encounter_id, self._kind, values, units
            )
        except (VitalError, MeasurementFailed) as exc:
            self.manual.show_error(exc.message(self._lang))
            return
        self._pages.setCurrentIndex(0)
        self._store_result(self._kind, observations)

    # --- rendering -----------------------------------------------------------------------------

    def _render(self) -> None:
        status, update = self._last_status, self._last_update
        busy = self.is_busy()
        line = (
            status_text(status)
            if status
            else QCoreApplication.translate("MeasurementScreen", "Prêt")
        )
        if status in (Status.CONNECTED, Status.MEASURING) and self._battery is not None:
            line += "\n" + battery_text(self._battery)
        self.status_label.setText(line)
        self.measure_button.setEnabled(not busy and self._encounter_id is not None)
        self.measure_button.setVisible(status is not Status.FAILED)
        self.retry_button.setVisible(status is Status.FAILED)
        self.manual_button.setEnabled(not busy)
        self.device_button.setEnabled(not busy)
        if status is Status.FAILED and update is not None:
            self.error_label.setText(update.message_en if self._lang == "en" else update.message_fr)
        elif status is not None:
            self.error_label.clear()
        if status is Status.MEASURING and update is not None and update.live:
            self.value_label.setText(self._live_text(update.live))
            self.detail_label.clear()
        elif self._kind in self._results:
            self._show_observations(self._results[self._kind])
        else:
            self.value_label.setText("—")
            self.detail_label.clear()

    def _live_text(self, live: Mapping[str, tuple[float, str]]) -> str:
        return live_text(live, self._lang)

    def _show_observations(self, observations: tuple[Observation, ...]) -> None:
        main, detail = observations_text(observations, self._lang)
        self.value_label.setText(main)
        self.detail_label.setText(detail)
