"""Fleet monitor (issue 20.1): socket presence, incidents and e-mail alerts.

One ``Monitor`` task per hub process ticks every ``monitor_interval_s``:

1. marks the stations whose signaling socket this process holds as seen (presence);
2. derives the incidents of every cabin — ``offline`` (not seen for ``presence_window_s`` +
   ``offline_alert_after_s``), ``equipment:<item>`` (last check failed), ``audit`` (chain cut)
   — opens the new ones and closes the ones that ended;
3. e-mails each newly opened incident **once** (``notified_at``), over SMTP (smtplib in a
   thread; STARTTLS and login configurable). A mail that fails is retried on the next tick.

Opening is an insert guarded by a unique key (station, kind, open marker), so two hub
instances ticking together open — and mail — an incident once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from telecabine.hub.config import HubSettings
from telecabine.hub.fleet_tables import fleet_incidents
from telecabine.hub.presence import StationPresence, list_presence, touch_sockets
from telecabine.hub.sqlutil import upsert

log = logging.getLogger(__name__)

OFFLINE = "offline"
AUDIT = "audit"


def wanted_incidents(
    presence: list[StationPresence], now: datetime, settings: HubSettings
) -> set[tuple[int, str]]:
    """(station db id, kind) of every incident that should be open now."""
    out: set[tuple[int, str]] = set()
    limit = timedelta(seconds=settings.presence_window_s + settings.offline_alert_after_s)
    for p in presence:
        if p.last_seen is not None and not p.online and now - p.last_seen >= limit:
            out.add((p.id, OFFLINE))
        for item in p.equipment:
            if not item.get("ok", True):
                out.add((p.id, f"equipment:{item.get('item')}"[:80]))
        if p.audit_flag:
            out.add((p.id, AUDIT))
    return out


@dataclass(frozen=True)
class Alert:
    """An incident to tell the operator about."""

    incident_id: int
    station: str
    kind: str
    opened_at: datetime

    def message(self, settings: HubSettings) -> EmailMessage:
        """A bilingual plain-text e-mail (no patient data: cabin name and incident only)."""
        words = {
            OFFLINE: ("hors ligne", "offline"),
            AUDIT: ("journal d'audit tronqué ou réécrit", "audit trail truncated or rewritten"),
        }
        if self.kind.startswith("equipment:"):
            item = self.kind.split(":", 1)[1]
            fr, en = f"équipement en panne : {item}", f"equipment failing: {item}"
        else:
            fr, en = words.get(self.kind, (self.kind, self.kind))
        msg = EmailMessage()
        msg["Subject"] = f"[Télécabine] {self.station} : {fr} / {en}"
        msg["From"] = settings.alert_from
        msg["To"] = ", ".join(settings.alert_to)
        when = self.opened_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        msg.set_content(
            f"Cabine {self.station} : {fr} depuis {when}.\n"
            f"Cabin {self.station}: {en} since {when}.\n"
        )
        return msg


def send_mail(settings: HubSettings, msg: EmailMessage) -> None:
    """Send one message over SMTP (blocking: run it in a thread)."""
    assert settings.smtp_host
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as s:
        if settings.smtp_starttls:
            s.starttls(context=ssl.create_default_context())
        password = settings.secret("smtp_password")
        if settings.smtp_username and password:
            s.login(settings.smtp_username, password)
        s.send_message(msg)


class Monitor:
    """The hub's periodic fleet check; ``start()`` / ``await stop()``."""

    def __init__(self, engine: AsyncEngine, settings: HubSettings, local_station_ids) -> None:
        self._engine = engine
        self._settings = settings
        self._local = local_station_ids  # () -> list[int]: sockets held by this process
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Start ticking on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop ticking (waits for the current tick to be cancelled)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.tick(datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad tick (DB restarting) must not end monitoring
                log.exception("fleet monitor tick failed")
            await asyncio.sleep(self._settings.monitor_interval_s)

    async def tick(self, now: datetime) -> list[Alert]:
        """One pass: presence, incidents, mails. Returns the alerts sent."""
        await touch_sockets(self._engine, self._local(), now)
        presence = await list_presence(self._engine, now, self._settings.presence_window_s)
        names = {p.id: p.station_id for p in presence}
        wanted = wanted_incidents(presence, now, self._settings)
        async with self._engine.begin() as conn:
            open_rows = (
                await conn.execute(
                    select(
                        fleet_incidents.c.id, fleet_incidents.c.station_id, fleet_incidents.c.kind
                    ).where(fleet_incidents.c.open_marker == 1)
                )
            ).all()
            current = {(r.station_id, r.kind): r.id for r in open_rows}
            ended = [i for key, i in current.items() if key not in wanted]
            if ended:
                await conn.execute(
                    update(fleet_incidents)
                    .where(fleet_incidents.c.id.in_(ended))
                    .values(closed_at=now, open_marker=None)
                )
            new = [
                {"station_id": s, "kind": k, "opened_at": now, "open_marker": 1}
                for s, k in sorted(wanted - set(current))
            ]
            await upsert(conn, fleet_incidents, new, ["station_id", "kind", "open_marker"])
            unsent = (
                await conn.execute(
                    select(fleet_incidents).where(
                        fleet_incidents.c.open_marker == 1, fleet_incidents.c.notified_at.is_(None)
                    )
                )
            ).all()
        if not (self._settings.alert_to and self._settings.smtp_host):
            return []
        sent = []
        for row in unsent:
            alert = Alert(row.id, names.get(row.station_id, "?"), row.kind, row.opened_at)
            if await self._claim(row.id, now):
                try:
                    await asyncio.to_thread(
                        send_mail, self._settings, alert.message(self._settings)
                    )
                except (OSError, smtplib.SMTPException) as exc:
                    log.warning("alert mail failed (%s), retrying next tick", type(exc).__name__)
                    await self._unclaim(row.id)
                    continue
                sent.append(alert)
        return sent

    async def _claim(self, incident_id: int, now: datetime) -> bool:
        # Conditional update: only one instance gets to send this incident's mail.
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(fleet_incidents)
                .where(fleet_incidents.c.id == incident_id, fleet_incidents.c.notified_at.is_(None))
                .values(notified_at=now)
            )
        return result.rowcount == 1

    async def _unclaim(self, incident_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(fleet_incidents)
                .where(fleet_incidents.c.id == incident_id)
                .values(notified_at=None)
            )


async def incidents_of(engine: AsyncEngine, station_db_id: int, limit: int = 50) -> list:
    """A cabin's incidents, newest first (cabin page)."""
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(fleet_incidents)
                .where(fleet_incidents.c.station_id == station_db_id)
                .order_by(fleet_incidents.c.id.desc())
                .limit(limit)
            )
        ).all()


MONITOR: web.AppKey[Monitor] = web.AppKey("telecabine_fleet_monitor", Monitor)
