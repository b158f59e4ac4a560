"""The report to the médecin traitant, over real SMTP with TLS (aiosmtpd on loopback with
STARTTLS and a required client certificate): sent once with the PDF attached and readable,
never sent when the patient objected or without an address, queued while the relay is down
and delivered when it comes back."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import ssl
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypdf import PdfReader

from telecabine.hub.pdf import render_pdf
from telecabine.mailer import SmtpConfig
from telecabine.services.mt_report import ReportMailWorker, ReportService
from telecabine.sync.backoff import Backoff

NOW = dt.datetime(2026, 3, 2, 9, 40, tzinfo=dt.UTC)


def _cert(name: str, issuer_key, issuer_name, key, *, ca: bool, san: str | None = None):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        import ipaddress

        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert, key) -> tuple[Path, Path]:
    c, k = path.with_suffix(".crt"), path.with_suffix(".key")
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return c, k


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test MSSante CA", ca_key, None, ca_key, ca=True)
    srv_key = ec.generate_private_key(ec.SECP256R1())
    srv = _cert("127.0.0.1", ca_key, ca.subject, srv_key, ca=False, san="127.0.0.1")
    cli_key = ec.generate_private_key(ec.SECP256R1())
    cli = _cert("cabine-test", ca_key, ca.subject, cli_key, ca=False)
    ca_crt, _ = _write(d / "ca", ca, ca_key)
    srv_crt, srv_k = _write(d / "server", srv, srv_key)
    cli_crt, cli_k = _write(d / "client", cli, cli_key)
    return {"ca": ca_crt, "srv_crt": srv_crt, "srv_key": srv_k, "cli_crt": cli_crt,
            "cli_key": cli_k}  # fmt: skip


class Inbox:
    """aiosmtpd handler keeping every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _relay(pki: dict[str, Path], port: int | None = None) -> tuple[Controller, Inbox]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki["ca"]))
    ctx.load_cert_chain(str(pki["srv_crt"]), str(pki["srv_key"]))
    ctx.verify_mode = ssl.CERT_REQUIRED  # MSSanté operators authenticate the sending system
    inbox = Inbox()
    # aiosmtpd's readiness probe connects to the given port: it cannot be 0.
    port = port or _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=ctx,
                     require_starttls=True, ready_timeout=10)  # fmt: skip
    ctl.start()
    return ctl, inbox


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(pki: dict[str, Path], port: int, *, client_cert: bool = True) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1", port=port, security="starttls", sender="cabine@pharmacie.example",
        ca_bundle=pki["ca"], client_cert=pki["cli_crt"] if client_cert else None,
        client_key=pki["cli_key"] if client_cert else None, timeout_s=5,
    )  # fmt: skip


def _closed_encounter_with_record(store, *, email: str | None = "dr.durand@medecin.mssante.fr"):
    from wrapup_testlib import encounter_in_wrap_up

    eid = encounter_in_wrap_up(store)
    enc = store.encounters.get(eid)
    if email is not None:
        store.care_contacts.set_medecin_traitant(
            enc.patient_id, name="Dr Anne Durand", rpps="10003456789", email=email
        )
    store.encounters.set_state(eid, "closed")
    pdf = render_pdf([("Compte rendu de téléconsultation", 16, True),
                      ("Conclusion : angine virale probable", 11, False)])  # fmt: skip
    store.encounters.add_document(eid, kind="record", filename="compte-rendu.pdf", content=pdf)
    return eid


async def test_report_sent_once_over_starttls_with_client_certificate(station_store, pki):
    ctl, inbox = _relay(pki)
    try:
        eid = _closed_encounter_with_record(station_store)
        service = ReportService(station_store)
        decision = service.queue_after_close(eid)
        assert decision.decision == "queued"
        assert service.queue_after_close(eid).decision == "queued"  # idempotent
        worker = ReportMailWorker(station_store, _config(pki, ctl.port))
        assert await worker.send_due() == 1
        assert await worker.send_due() == 0  # nothing left: sent exactly once
    finally:
        ctl.stop()
    assert len(inbox.messages) == 1
    rcpt, raw = inbox.messages[0]
    assert rcpt == ["dr.durand@medecin.mssante.fr"]
    msg = message_from_bytes(raw, policy=default_policy)
    assert "MARTIN" not in str(msg["Subject"])  # no identity in the subject line
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "angine virale" in text
    (entry,) = station_store.mail_outbox.for_encounter(eid)
    assert entry.status == "sent" and entry.sent_at is not None


async def test_nothing_sent_when_the_patient_objected_or_without_an_address(station_store, pki):
    ctl, inbox = _relay(pki)
    try:
        objected = _closed_encounter_with_record(station_store)
        service = ReportService(station_store)
        service.record_objection(objected, staff_id=None)
        assert service.queue_after_close(objected).decision == "objected"
        no_address = _closed_encounter_with_record(station_store, email=None)
        assert service.queue_after_close(no_address).decision == "no_address"
        worker = ReportMailWorker(station_store, _config(pki, ctl.port))
        assert await worker.send_due() == 0
    finally:
        ctl.stop()
    assert inbox.messages == []
    assert station_store.mail_outbox.counts().pending == 0


async def test_queued_while_the_relay_is_down_then_delivered(station_store, pki):
    port = _free_port()
    eid = _closed_encounter_with_record(station_store)
    clock = {"now": NOW}
    ReportService(station_store, clock=lambda: clock["now"]).queue_after_close(eid)
    worker = ReportMailWorker(
        station_store, _config(pki, port), backoff=Backoff(base_s=1, cap_s=1),
        clock=lambda: clock["now"],
    )  # fmt: skip
    assert await worker.send_due() == 0  # relay down: deferred, kept
    (entry,) = station_store.mail_outbox.for_encounter(eid)
    assert entry.status == "pending" and entry.attempts == 1 and entry.last_error
    ctl, inbox = _relay(pki, port)
    try:
        clock["now"] = NOW + dt.timedelta(seconds=5)
        assert await worker.send_due() == 1
    finally:
        ctl.stop()
    assert len(inbox.messages) == 1


async def test_relay_requiring_a_client_certificate_defers_without_one(station_store, pki):
    ctl, inbox = _relay(pki)
    try:
        eid = _closed_encounter_with_record(station_store)
        ReportService(station_store).queue_after_close(eid)
        worker = ReportMailWorker(station_store, _config(pki, ctl.port, client_cert=False))
        assert await worker.send_due() == 0
    finally:
        ctl.stop()
    (entry,) = station_store.mail_outbox.for_encounter(eid)
    assert entry.status == "pending" and entry.attempts == 1
    assert inbox.messages == []


async def test_worker_loop_sends_when_woken(station_store, pki):
    ctl, inbox = _relay(pki)
    worker = ReportMailWorker(station_store, _config(pki, ctl.port), idle_s=30)
    try:
        worker.start()
        eid = _closed_encounter_with_record(station_store)
        ReportService(station_store, on_queued=worker.wake).queue_after_close(eid)
        for _ in range(100):
            if inbox.messages:
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.aclose()
        ctl.stop()
    assert len(inbox.messages) == 1


def test_plain_smtp_only_to_loopback() -> None:
    with pytest.raises(ValueError):
        SmtpConfig(host="smtp.example.org", security="none")
    SmtpConfig(host="127.0.0.1", security="none")


def test_reports_cli_sends_what_waits_and_says_what_is_missing(
    station_store, data_dir, pki, monkeypatch, capsys
) -> None:
    from telecabine.cli import main

    eid = _closed_encounter_with_record(station_store)
    ReportService(station_store).queue_after_close(eid)
    station_store.close()
    assert main(["--data-dir", str(data_dir), "reports", "--send-once"]) == 2  # no relay set
    assert "TELECABINE_SMTP_HOST" in capsys.readouterr().err
    ctl, inbox = _relay(pki)
    try:
        for name, value in {"HOST": "127.0.0.1", "PORT": str(ctl.port),
                            "CA_BUNDLE": str(pki["ca"]), "CLIENT_CERT": str(pki["cli_crt"]),
                            "CLIENT_KEY": str(pki["cli_key"])}.items():  # fmt: skip
            monkeypatch.setenv(f"TELECABINE_SMTP_{name}", value)
        assert main(["--data-dir", str(data_dir), "reports", "--send-once"]) == 0
    finally:
        ctl.stop()
    assert len(inbox.messages) == 1
    assert "sent: 1" in capsys.readouterr().out
