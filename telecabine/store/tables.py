"""SQLModel tables of the station database (SQLCipher-encrypted SQLite).

Rows are returned to callers as these SQLModel objects, *detached* from their session
(``expire_on_commit=False``): read their attributes freely, never expect lazy loading. Times are
aware UTC datetimes. Every change to this file needs an Alembic revision in ``migrations/versions``
(``tests/integration/store/test_store_schema.py`` compares the two).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from telecabine.store.types import UTCDateTime

ENCOUNTER_STATES = (
    "created",
    "identified",
    "consented",
    "measuring",
    "in_call",
    "wrap_up",
    "closed",
    "abandoned",
)
STAFF_ROLES = ("pharmacist", "nurse", "care_assistant", "admin")
DOCUMENT_KINDS = ("prescription", "report", "record")


def _utc_col(*, nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Patient(SQLModel, table=True):
    """Identity traits (INS: birth name, birth first names, birth date, sex, INSEE place), NIR."""

    __tablename__ = "patient"
    __table_args__ = (Index("ix_patient_name_keys", "name_key", "first_name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    birth_name: str
    first_names: str  # birth first names, space separated, in civil-record order
    used_name: str | None = None
    birth_date: date = Field(index=True)
    sex: str  # "M" / "F" (NIR first digit 1 / 2)
    birth_place_insee: str | None = None  # INSEE code of the place of birth (not postal code)
    nir: str | None = Field(default=None, index=True)  # 15 chars, normalised, no spaces
    no_nir_reason: str | None = None
    ins_status: str = "provisoire"  # provisoire | recuperee | validee | qualifiee
    name_key: str  # normalised (upper-case ASCII) birth name, for prefix search
    first_name_key: str
    used_name_key: str | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_column=_utc_col())
    updated_at: datetime = Field(sa_column=_utc_col())


class StaffMember(SQLModel, table=True):
    """A staff account: role, professional numbers (RPPS, Assurance Maladie), argon2id PIN hash."""

    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True)
    display_name: str
    role: str  # one of STAFF_ROLES
    rpps: str | None = None
    am_number: str | None = None
    pin_hash: str
    must_change_pin: bool = False
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))
    active: bool = True
    created_at: datetime = Field(sa_column=_utc_col())
    updated_at: datetime = Field(sa_column=_utc_col())


class Encounter(SQLModel, table=True):
    """One visit to the cabin; ``draft_json`` keeps the in-progress intake so a crash loses nothing."""

    __tablename__ = "encounter"
    __table_args__ = (Index("ix_encounter_retention", "synced_at", "updated_at"),)

    id: str = Field(primary_key=True, max_length=36)  # uuid4 text
    state: str = Field(default="created", index=True)  # one of ENCOUNTER_STATES
    abandon_reason: str | None = None
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    station_id: str
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    draft_step: str | None = None
    draft_json: str = Field(default="{}", sa_column_kwargs={"server_default": "{}"})
    created_at: datetime = Field(sa_column=_utc_col(index=True))
    updated_at: datetime = Field(sa_column=_utc_col())
    closed_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))
    synced_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))


class Consent(SQLModel, table=True):
    """Prior informed consent (or refusal) recorded for an encounter (CSP R6316)."""

    __tablename__ = "consent"

    id: int | None = Field(default=None, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    kind: str  # e.g. "teleconsultation", "data_sharing"
    granted: bool
    given_by: str = "patient"  # patient | legal_representative | trusted_person
    representative_name: str | None = None
    text_version: str
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    recorded_at: datetime = Field(sa_column=_utc_col())


class Observation(SQLModel, table=True):
    """One measured vital sign: LOINC code, UCUM unit, method ``device:<id>`` or ``manual``."""

    __tablename__ = "observation"

    id: int | None = Field(default=None, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    code: str  # LOINC
    value: float
    unit: str  # UCUM
    method: str
    flag: str | None = None  # normal | low | high | critical
    measured_at: datetime = Field(sa_column=_utc_col())


class Incident(SQLModel, table=True):
    """A technical incident during the act (CSP R6316 requires recording them)."""

    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    encounter_id: str | None = Field(default=None, foreign_key="encounter.id", index=True)
    kind: str
    detail: str = ""
    at: datetime = Field(sa_column=_utc_col())


class Document(SQLModel, table=True):
    """A PDF (prescription, report, record) kept inside the encrypted database."""

    __tablename__ = "document"

    id: str = Field(primary_key=True, max_length=64)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    kind: str  # one of DOCUMENT_KINDS
    filename: str
    mime: str = "application/pdf"
    sha256: str
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = Field(sa_column=_utc_col())
    printed_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))


class BillingRecordRow(SQLModel, table=True):
    """The billing record of a closed encounter, as the JSON body sent to the hub."""

    __tablename__ = "billing_record"

    record_uuid: str = Field(primary_key=True, max_length=36)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    payload_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_utc_col())


class PharmacistTally(SQLModel, table=True):
    """One billed pharmacist TLM accompaniment: the yearly total (750 EUR cap) is the sum of
    a year's rows. Written in the consultation's closing transaction; never purged by local
    retention (no patient data: the record's uuid, the year and the amount only)."""

    __tablename__ = "pharmacist_tally"
    __table_args__ = (Index("ix_pharmacist_tally_year", "station_id", "year"),)

    record_uuid: str = Field(primary_key=True, max_length=36)
    station_id: str
    year: int
    act_code: str
    amount: str  # decimal as text ("5.00")
    created_at: datetime = Field(sa_column=_utc_col())


class OutboxEntry(SQLModel, table=True):
    """Delivery state of one billing record (written in the same transaction as the record)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    record_uuid: str = Field(
        primary_key=True, max_length=36, foreign_key="billing_record.record_uuid"
    )
    status: str = "pending"  # pending | sent
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_utc_col())
    last_error: str | None = None
    sent_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))
    created_at: datetime = Field(sa_column=_utc_col())


class AuditEntry(SQLModel, table=True):
    """Append-only audit trail; ``hash = sha256(prev_hash + canonical JSON of own content)``."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_column=_utc_col())
    actor: str
    action: str
    object_type: str | None = None
    object_id: str | None = None
    details_json: str = "{}"
    prev_hash: str
    hash: str


CARE_CONTACT_ROLES = ("medecin_traitant",)
MAIL_STATUSES = ("pending", "sent", "failed")


class CareContact(SQLModel, table=True):
    """A professional who follows the patient outside the cabin (the médecin traitant), with the
    secure (MSSanté) address the teleconsultation report goes to."""

    __tablename__ = "care_contact"
    __table_args__ = (Index("ux_care_contact_patient_role", "patient_id", "role", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    role: str = "medecin_traitant"  # one of CARE_CONTACT_ROLES
    name: str
    rpps: str | None = None
    email: str | None = None  # secure messaging address (MSSanté) the reports go to
    updated_at: datetime = Field(sa_column=_utc_col())


class MailOutboxEntry(SQLModel, table=True):
    """A report e-mail waiting to leave (offline-first, retried), kept inside the encrypted DB."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        Index("ux_mail_outbox_encounter_kind", "encounter_id", "kind", unique=True),
    )

    id: str = Field(primary_key=True, max_length=36)  # uuid4 text, also the Message-ID's left part
    encounter_id: str = Field(foreign_key="encounter.id")
    kind: str = "mt_report"
    recipient: str
    document_id: str = Field(foreign_key="document.id")
    status: str = "pending"  # one of MAIL_STATUSES
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_utc_col())
    last_error: str | None = None
    sent_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))
    created_at: datetime = Field(sa_column=_utc_col())


EXPERTISE_STATUSES = ("pending", "sent", "answered", "refused", "conflict")


class ExpertiseRequestRow(SQLModel, table=True):
    """A télé-expertise request: queued offline, sent once (uuid = idempotency key), answered.

    ``payload_json`` is the request as sent (``protocol.expertise.ExpertiseRequest``, photos by
    checksum); the photos' bytes are in ``expertise_photo``; the answer and its PDF land here.
    """

    __tablename__ = "expertise_request"
    __table_args__ = (Index("ix_expertise_due", "status", "next_attempt_at"),)

    request_uuid: str = Field(primary_key=True, max_length=36)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    encounter_id: str | None = Field(default=None, foreign_key="encounter.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    payload_json: str = Field(sa_column=Column(Text, nullable=False))
    status: str = "pending"  # one of EXPERTISE_STATUSES
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_utc_col())
    last_error: str | None = None
    created_at: datetime = Field(sa_column=_utc_col())
    sent_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))
    answer_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answer_pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    printed_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))


class ExpertisePhoto(SQLModel, table=True):
    """One still photo of a request (JPEG, full sensor resolution), inside the encrypted DB."""

    __tablename__ = "expertise_photo"

    id: int | None = Field(default=None, primary_key=True)
    request_uuid: str = Field(foreign_key="expertise_request.request_uuid", index=True)
    idx: int
    sha256: str
    width: int
    height: int
    source: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Resident(SQLModel, table=True):
    """An EHPAD resident followed over time: the patient, where she lives in the home, her ALD,
    the people who speak for her, and the teleconsultation consent on file (with its renewal).
    Her médecin traitant is a ``CareContact``."""

    __tablename__ = "resident"
    __table_args__ = (Index("ix_resident_room", "room_key"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", unique=True)
    room: str
    room_key: str  # upper-case room for prefix search ("12B" finds "12B", "12")
    unit: str | None = None
    ald: bool = False
    ald_label: str | None = None
    trusted_person: str | None = None  # personne de confiance (name, phone)
    legal_representative: str | None = None
    consent_given_at: datetime | None = Field(default=None, sa_column=_utc_col(nullable=True))
    consent_given_by: str | None = None  # patient | legal_representative | trusted_person
    consent_renew_by: date | None = None
    active: bool = True
    created_at: datetime = Field(sa_column=_utc_col())
    updated_at: datetime = Field(sa_column=_utc_col())
