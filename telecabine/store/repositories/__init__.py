"""Repositories: the only way into the station database.

Every method opens its own short transaction and returns detached SQLModel rows (see
``telecabine.store.tables``) or small frozen dataclasses; nothing lazy-loads afterwards.
"""

from telecabine.store.repositories.audit import AuditRepository, ChainBreak
from telecabine.store.repositories.encounters import Draft, EncounterRepository, EncounterSummary
from telecabine.store.repositories.expertise import ExpertiseRepository, PhotoIn
from telecabine.store.repositories.mail import (
    CareContactRepository,
    MailCounts,
    MailOutboxRepository,
)
from telecabine.store.repositories.outbox import OutboxCounts, OutboxRepository, PendingRecord
from telecabine.store.repositories.patients import PatientRepository
from telecabine.store.repositories.residents import ResidentRepository, ResidentRow
from telecabine.store.repositories.staff import StaffRepository

__all__ = [
    "AuditRepository",
    "CareContactRepository",
    "ChainBreak",
    "Draft",
    "EncounterRepository",
    "EncounterSummary",
    "ExpertiseRepository",
    "MailCounts",
    "MailOutboxRepository",
    "OutboxCounts",
    "OutboxRepository",
    "PatientRepository",
    "PendingRecord",
    "PhotoIn",
    "ResidentRepository",
    "ResidentRow",
    "StaffRepository",
]
