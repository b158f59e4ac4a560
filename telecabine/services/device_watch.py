"""Watch video sources during an encounter: record incidents, switch to a fallback source.

Camera status events arrive on capture threads; this service stores the incident on the
current encounter (``EncounterRepository.add_incident``, CSP R6316: technical incidents are
part of the act's record), dated when the picture stopped, and tells the caller which source
to continue with (``on_switch``), so the consultation goes on with another camera.
Listeners for the screen get the event to display its bilingual message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from telecabine.devices.registry import DeviceRegistry
from telecabine.devices.video_health import SourceEvent, SourceListener, SourceStatus

log = logging.getLogger(__name__)


class IncidentSink(Protocol):
    """``telecabine.store`` ``EncounterRepository`` (the part used here)."""

    def add_incident(
        self, encounter_id: str | None, kind: str, detail: str = "", now: Any = None
    ) -> Any:
        """Store a technical incident, dated ``now``."""
        ...


class DeviceWatch:
    """Subscribes to every configured camera; incidents to the sink, fallback on loss."""

    def __init__(
        self,
        registry: DeviceRegistry,
        sink: IncidentSink | None,
        encounter_id: Callable[[], str | None],
        on_switch: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.registry = registry
        self.sink = sink
        self.encounter_id = encounter_id
        self.on_switch = on_switch
        self.live_role = "room"
        self.listeners: list[SourceListener] = []
        self._lock = threading.Lock()
        self._watched: list[Any] = []

    def start(self) -> None:
        """Listen to every configured camera (does not start them)."""
        for role in self.registry.configured_roles():
            src = self.registry.video_source(role)
            if src is not None and src not in self._watched:
                src.add_listener(self._on_event)
                self._watched.append(src)

    def stop(self) -> None:
        """Stop listening."""
        for src in self._watched:
            src.remove_listener(self._on_event)
        self._watched.clear()

    def set_live(self, role: str) -> None:
        """The role currently sent to the doctor (set by the call when it switches)."""
        self.live_role = role

    def _on_event(self, event: SourceEvent) -> None:
        if event.is_incident or event.kind == "camera_recovered":
            self._record(event)
        for cb in list(self.listeners):
            try:
                cb(event)
            except Exception:
                log.exception("device watch listener failed")
        if event.status == SourceStatus.LOST and event.role == self.live_role:
            fallback = self.registry.fallback_for(event.role)
            if fallback is not None and self.on_switch is not None:
                self.live_role = fallback.role
                self.on_switch(fallback.role, fallback)

    def _record(self, event: SourceEvent) -> None:
        if self.sink is None:
            return
        detail = f"{event.role} ({event.source_name}): {event.detail or event.status.value}"
        with self._lock:  # capture threads of several cameras may report at once
            try:
                self.sink.add_incident(self.encounter_id(), event.kind, detail, now=event.at)
            except Exception:
                log.exception("could not record the %s incident", event.kind)
