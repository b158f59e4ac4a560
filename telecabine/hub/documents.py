"""``POST /api/v1/documents/render``: a prescription or report form -> PDF (doctor only).

The console (call.js) sends the PDF to the cabin over the data channel. The patient appears as
the age band or a name the doctor typed; the hub stores nothing of it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from telecabine.hub.pdf import render_pdf
from telecabine.hub.safe_json import BadJson, bad_json_response, read_json
from telecabine.hub.security import DOCTOR, PRINCIPAL, json_error, requires

_TITLES = {
    ("prescription", "fr"): "Ordonnance",
    ("prescription", "en"): "Prescription",
    ("report", "fr"): "Compte rendu de téléconsultation",
    ("report", "en"): "Teleconsultation report",
}
_LABELS = {
    "fr": ("Patient", "Date", "RPPS", "Acte réalisé en téléconsultation (vidéo)."),
    "en": ("Patient", "Date", "RPPS", "Act performed by teleconsultation (video)."),
}


class DocumentForm(BaseModel):
    """What the doctor filled in."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["prescription", "report"]
    patient: Annotated[str, Field(min_length=1, max_length=120)]
    lines: Annotated[
        list[Annotated[str, Field(max_length=500)]], Field(min_length=1, max_length=200)
    ]
    date: date
    lang: Literal["fr", "en"] = "fr"


@requires(DOCTOR)
async def render(request: web.Request) -> web.Response:
    """Render the form as an A4 PDF signed with the doctor's name, specialty and RPPS."""
    try:
        form = DocumentForm.model_validate(await read_json(request))
    except BadJson as exc:
        return bad_json_response(exc, 422)
    except ValidationError as exc:
        fields = [
            {"loc": [str(p) for p in e["loc"]], "type": e["type"], "msg": e["msg"]}
            for e in exc.errors(include_input=False, include_url=False)
        ]
        return json_error(422, "invalid", "Formulaire invalide / invalid form", fields=fields)
    except ValueError:
        return json_error(422, "invalid", "JSON attendu / JSON expected")
    doctor = request[PRINCIPAL].doctor
    title = _TITLES[(form.kind, form.lang)]
    patient_l, date_l, rpps_l, footer = _LABELS[form.lang]
    when = form.date.strftime("%d/%m/%Y") if form.lang == "fr" else form.date.isoformat()
    lines = [
        (doctor.name, 13, True),
        (f"{doctor.specialty} — {rpps_l} {doctor.rpps}", 10, False),
        ("", 10, False),
        (title, 16, True),
        (f"{date_l} : {when}" if form.lang == "fr" else f"{date_l}: {when}", 11, False),
        (
            f"{patient_l} : {form.patient}"
            if form.lang == "fr"
            else f"{patient_l}: {form.patient}",
            11,
            False,
        ),
        ("", 11, False),
        *[(line, 11, False) for line in form.lines],
        ("", 11, False),
        (footer, 9, False),
    ]
    pdf = render_pdf(lines, title=title)
    filename = f"{form.kind}-{form.date.isoformat()}.pdf"
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
