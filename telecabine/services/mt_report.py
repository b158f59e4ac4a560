"""The teleconsultation report to the patient's médecin traitant (CSP R6316; référentiel of
9 February 2024; 2026-2028 roadmap: every teleconsultation's summary reaches her).

After an encounter is closed, :meth:`ReportService.queue_after_close` decides, and records why:

- ``objected``: the patient objected to the sending (a refused consent of kind ``mt_report``);
- ``no_address``: no médecin traitant, or no secure e-mail for her: nothing is ever sent to a
  guessed address;
- ``no_record``: the consultation record PDF is missing (nothing to send);
- ``queued``: the record PDF (identity with the INS per its status, reason, vitals,
  conclusions, prescriptions, accompanying professional, incidents: built at wrap-up by
  ``wrapup_record``) goes into the mail outbox, inside the encrypted database.

:class:`ReportMailWorker` sends queued reports over SMTP with TLS (``telecabine.mailer``) on the
app's asyncio loop, retries with full-jitter back-off while the relay is unreachable (offline
cabins send later), marks each one sent with its time, and parks a message the relay refuses
for good. Every step is in the audit trail (ids only).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Literal

from telecabine.mailer import MailDeferred, MailRefused, SmtpConfig, send_message
from telecabine.services.audit import AuditTrail
from telecabine.sync.backoff import Backoff
from telecabine.sync.passes import PassLoop

if TYPE_CHECKING:
    from telecabine.config import Settings
    from telecabine.store.engine import Store

log = logging.getLogger(__name__)
OBJECTION_KIND = "mt_report"
OBJECTION_TEXT_VERSION = "2026-12"
Decision = Literal["queued", "objected", "no_address", "no_record"]


@dataclass(frozen=True)
class ReportDecision:
    """What happened to one encounter's report, with the code the UI turns into words."""

    decision: Decision
    recipient: str | None = None


class ReportService:
    """Queues the report of a closed encounter for the médecin traitant (or says why not)."""

    def __init__(
        self,
        store: Store,
        *,
        audit: AuditTrail | None = None,
        on_queued: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._audit = audit or AuditTrail(store)
        self._on_queued = on_queued
        self._clock = clock

    def record_objection(self, encounter_id: str, staff_id: int | None = None) -> None:
        """The patient objects to the report being sent to her médecin traitant."""
        self._store.encounters.add_consent(
            encounter_id, kind=OBJECTION_KIND, granted=False,
            text_version=OBJECTION_TEXT_VERSION, staff_id=staff_id, now=self._clock(),
        )  # fmt: skip
        self._audit.report_event(staff_id, encounter_id, "objected", now=self._clock())

    def objected(self, encounter_id: str) -> bool:
        """True when the latest ``mt_report`` consent of the encounter is a refusal."""
        answers = [c for c in self._store.encounters.consents(encounter_id)
                   if c.kind == OBJECTION_KIND]  # fmt: skip
        return bool(answers) and not answers[-1].granted

    def queue_after_close(self, encounter_id: str, staff_id: int | None = None) -> ReportDecision:
        """Decide and record what happens to this encounter's report (idempotent)."""
        enc = self._store.encounters.get(encounter_id)
        if self.objected(encounter_id):
            return ReportDecision("objected")
        contact = (
            self._store.care_contacts.medecin_traitant(enc.patient_id)
            if enc.patient_id is not None
            else None
        )
        if contact is None or not contact.email:
            self._audit.report_event(staff_id, encounter_id, "no_address", now=self._clock())
            return ReportDecision("no_address")
        records = [d for d in self._store.encounters.documents(encounter_id) if d.kind == "record"]
        if not records:
            self._audit.report_event(staff_id, encounter_id, "no_record", now=self._clock())
            return ReportDecision("no_record")
        self._store.mail_outbox.enqueue(
            encounter_id, recipient=contact.email, document_id=records[-1].id, now=self._clock()
        )
        self._audit.report_event(staff_id, encounter_id, "queued", now=self._clock())
        if self._on_queued is not None:
            self._on_queued()
        return ReportDecision("queued", contact.email)


def build_report_message(store: Store, mail_id: str, sender: str) -> EmailMessage:
    """The e-mail for one queued report: French first, English second; the subject carries no
    patient identity (the PDF, sent over TLS to a secure-messaging address, does)."""
    entry = store.mail_outbox.get(mail_id)
    doc = store.encounters.get_document(entry.document_id)
    enc = store.encounters.get(entry.encounter_id)
    when = enc.closed_at or enc.created_at
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = entry.recipient
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=entry.id, domain="telecabine")
    msg["Subject"] = (
        f"Compte rendu de téléconsultation du {when:%d/%m/%Y} — réf. {entry.encounter_id[:8]}"
    )
    msg.set_content(
        "Bonjour,\n\n"
        "Votre patient(e) a bénéficié d'une téléconsultation assistée depuis une cabine de "
        f"télémédecine ({enc.station_id}) le {when:%d/%m/%Y}. Le compte rendu est joint (PDF).\n\n"
        "Message envoyé automatiquement ; le patient a été informé de cet envoi.\n\n"
        "---\n"
        f"Your patient had an assisted teleconsultation on {when:%Y-%m-%d}; the report is "
        "attached (PDF). Automatic message; the patient was informed.\n"
    )
    msg.add_attachment(doc.content, maintype="application", subtype="pdf", filename=doc.filename)
    return msg


class ReportMailWorker(PassLoop):
    """Sends due reports on the running asyncio loop; SMTP runs in a worker thread."""

    def __init__(
        self,
        store: Store,
        config: SmtpConfig,
        *,
        backoff: Backoff | None = None,
        audit: AuditTrail | None = None,
        idle_s: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(idle_s)
        self._store = store
        self._config = config
        self._backoff = backoff or Backoff(base_s=30.0, cap_s=3600.0)
        self._audit = audit or AuditTrail(store)
        self._clock = clock

    async def send_due(self) -> int:
        """One pass over the due reports; returns how many left the station."""
        sent = 0
        due = await asyncio.to_thread(self._store.mail_outbox.due, 10, self._clock())
        for entry in due:
            try:
                msg = await asyncio.to_thread(
                    build_report_message, self._store, entry.id, self._config.sender
                )
                await asyncio.to_thread(send_message, self._config, msg)
            except MailRefused as exc:
                await asyncio.to_thread(self._store.mail_outbox.mark_failed, entry.id, str(exc))
                self._audit.report_event(None, entry.encounter_id, "refused", now=self._clock())
                log.warning("report refused by the relay: %s", exc)
            except MailDeferred as exc:
                retry_at = self._clock() + self._backoff.delay(entry.attempts)
                await asyncio.to_thread(
                    self._store.mail_outbox.mark_retry, entry.id, str(exc), retry_at
                )
                log.info("report deferred: %s", exc)
                break  # the relay is down or refusing TLS: the others would fail the same way
            else:
                await asyncio.to_thread(self._store.mail_outbox.mark_sent, entry.id, self._clock())
                self._audit.report_event(None, entry.encounter_id, "sent", now=self._clock())
                sent += 1
        return sent

    async def run_pass(self) -> int:
        """One pass of the loop (:class:`PassLoop`)."""
        return await self.send_due()

    async def aclose(self) -> None:
        """Stop the loop (a send in progress finishes in its thread)."""
        await self.stop_loop()


SMTP_PASSWORD_SERVICE = "telecabine-smtp"


def smtp_config_from_settings(settings: Settings, password: str | None = None) -> SmtpConfig | None:
    """The relay configuration, or None when no relay is set (reports then wait in the queue).
    The password comes from the keyring (``telecabine reports --set-password``)."""
    if not settings.smtp_host:
        return None
    if settings.smtp_username and password is None:
        import keyring

        password = keyring.get_password(SMTP_PASSWORD_SERVICE, settings.smtp_username)
    return SmtpConfig(
        host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
        sender=settings.smtp_sender, username=settings.smtp_username, password=password,
        ca_bundle=settings.smtp_ca_bundle, client_cert=settings.smtp_client_cert,
        client_key=settings.smtp_client_key,
    )  # fmt: skip


def run_reports_command(settings: Settings, *, send_once: bool, set_password: bool) -> int:
    """``telecabine reports [--send-once] [--set-password]``: status, or one send pass."""
    import sys

    from telecabine.store.engine import open_store
    from telecabine.store.errors import StoreError

    if set_password:
        if not settings.smtp_username:
            print("Définissez d'abord TELECABINE_SMTP_USERNAME. / Set "
                  "TELECABINE_SMTP_USERNAME first.", file=sys.stderr)  # fmt: skip
            return 2
        import keyring

        keyring.set_password(SMTP_PASSWORD_SERVICE, settings.smtp_username,
                             sys.stdin.readline().rstrip("\n"))  # fmt: skip
        print("Mot de passe enregistré. / Password saved.", file=sys.stderr)
        return 0
    try:
        store = open_store(settings)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        if send_once:
            try:
                config = smtp_config_from_settings(settings)
            except ValueError as exc:
                print(f"Relais SMTP refusé / SMTP relay refused: {exc}", file=sys.stderr)
                return 2
            if config is None:
                print("Aucun relais (TELECABINE_SMTP_HOST). / No relay set.", file=sys.stderr)
                return 2
            sent = asyncio.run(ReportMailWorker(store, config).send_due())
            print(f"{sent} compte(s) rendu(s) envoyé(s) / report(s) sent")
        c = store.mail_outbox.counts()
        print(f"en attente / pending: {c.pending}  envoyés / sent: {c.sent}  "
              f"refusés / refused: {c.failed}")  # fmt: skip
        return 0 if c.pending == 0 else 3
    finally:
        store.close()
