"""HTTP client of the hub's appointments API (``hub/appointments.py``), for the station.

Never raises for network trouble: each call returns an ``ApiResult`` (status 0 when the hub
could not be reached), like the télé-expertise client.
"""

from __future__ import annotations

import json
from typing import Any

from telecabine.sync.expertise_client import ApiResult, ExpertiseClient

PATH = "/api/v1/appointments"


class AppointmentsClient(ExpertiseClient):
    """Book, list, move, cancel and invite, with the station token."""

    async def doctors(self, departement: str | None) -> ApiResult:
        """Doctors, those of ``departement`` first."""
        params = {"departement": departement} if departement else {}
        return await self._call("GET", f"{PATH}/doctors", params=params)

    async def day(self, day_iso: str) -> ApiResult:
        """The station's appointments of a Paris day (``YYYY-MM-DD``)."""
        return await self._call("GET", PATH, params={"day": day_iso})

    async def book(self, body: dict[str, Any]) -> ApiResult:
        """Book one appointment."""
        return await self._call(
            "POST",
            PATH,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )

    async def move(self, uuid: str, starts_local: str) -> ApiResult:
        """Move to another Paris wall-clock time."""
        body = json.dumps({"starts_local": starts_local}).encode()
        return await self._call(
            "PATCH", f"{PATH}/{uuid}", data=body, headers={"Content-Type": "application/json"}
        )

    async def cancel(self, uuid: str) -> ApiResult:
        """Cancel."""
        return await self._call("DELETE", f"{PATH}/{uuid}")

    async def invite(self, uuid: str) -> ApiResult:
        """Send (or resend) the invitation link and code to the invited doctor."""
        return await self._call("POST", f"{PATH}/{uuid}/invite")
