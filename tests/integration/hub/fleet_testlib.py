"""Fleet test helpers: a real SMTP server (aiosmtpd) on the test's loop, a tuned hub."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

from aiosmtpd.smtp import SMTP
from hub_testlib import ADMIN_TOKEN, hub_settings

from telecabine.hub.server import RunningHub, start_hub


@dataclass
class Mailbox:
    """What the aiosmtpd handler received (subjects decoded)."""

    subjects: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content)
        self.subjects.append(str(make_header(decode_header(msg["Subject"]))))
        self.bodies.append(msg.get_payload(decode=True).decode("utf-8"))
        return "250 OK"


async def start_smtp() -> tuple[Mailbox, int, asyncio.AbstractServer]:
    """An aiosmtpd server on 127.0.0.1:(free port) in the running loop."""
    box = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(box, hostname="localhost"), "127.0.0.1", 0)
    return box, server.sockets[0].getsockname()[1], server


async def start_fleet_hub(url: str, tmp: Path, smtp_port: int | None, **extra) -> RunningHub:
    """A hub with fast presence/monitor timings (the defaults are proven separately)."""
    settings = dict(
        presence_window_s=1.0,
        monitor_interval_s=0.1,
        offline_alert_after_s=0.0,
        heartbeat_history_every_s=0.0,
        heartbeat_history_keep=5,
    )
    if smtp_port is not None:
        settings.update(
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_starttls=False,
            alert_to=["exploitation@example.org"],
        )
    settings.update(extra)
    return await start_hub(hub_settings(url, tmp, **settings))


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
