"""Can this station call a doctor right now? Watches enrolment and the hub, in words.

The station's status line shows the answer (FR/EN) so the staff knows before intake whether a
call is possible: "not enrolled", "hub unreachable", "token refused", "certificate not
trusted" or "available". Intake, vitals and wrap-up never depend on it; billing records wait
in the outbox and leave when the hub answers again (sync worker).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from telecabine.services.enrolment import PROBLEMS, EnrolmentError, check_hub

log = logging.getLogger(__name__)

WORDS: dict[str, tuple[str, str]] = {
    "checking": ("Appel médecin : vérification du hub…", "Doctor call: checking the hub…"),
    "available": ("Appel médecin disponible.", "Doctor call available."),
}

Listener = Callable[["CallAvailability"], None]


class CallAvailability:
    """Probes the hub (healthz + whoami with the station token) every ``interval_s``."""

    def __init__(
        self,
        hub_url: str,
        token: str | None,
        *,
        ca_bundle: Path | None = None,
        interval_s: float = 30.0,
        retry_s: float = 10.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.hub_url = hub_url
        self._token = token
        self._ca_bundle = ca_bundle
        self._interval_s = interval_s
        self._retry_s = retry_s
        self._timeout_s = timeout_s
        self.code = "checking" if token else "not_enrolled"
        self._listeners: list[Listener] = []

    @property
    def available(self) -> bool:
        """True when the last probe reached the hub and it accepted the token."""
        return self.code == "available"

    def words(self, lang: str = "fr") -> str:
        """The state in one sentence (French or English)."""
        if self.code in WORDS:
            fr, en = WORDS[self.code]
        else:
            fr, en = PROBLEMS[self.code]
            fr, en = f"Appel médecin indisponible. {fr}", f"Doctor call unavailable. {en}"
        return fr if lang == "fr" else en

    def add_listener(self, listener: Listener) -> None:
        """Be told after every change of state (on the loop's thread)."""
        self._listeners.append(listener)

    def _set(self, code: str) -> None:
        if code != self.code:
            self.code = code
            log.info("call availability", extra={"state": code})
            for listener in list(self._listeners):
                listener(self)

    async def probe(self) -> str:
        """One check; returns (and publishes) the new state code."""
        if not self._token:
            self._set("not_enrolled")
            return self.code
        try:
            await check_hub(
                self.hub_url, self._token, ca_bundle=self._ca_bundle, timeout_s=self._timeout_s
            )
        except EnrolmentError as exc:
            self._set(exc.code)
        else:
            self._set("available")
        return self.code

    async def run_forever(self) -> None:
        """Probe now, then again regularly (sooner while the hub is not there)."""
        if not self._token:
            self._set("not_enrolled")
            return  # nothing to watch until an enrolment (which restarts the watch)
        while True:
            await self.probe()
            await asyncio.sleep(self._interval_s if self.available else self._retry_s)
