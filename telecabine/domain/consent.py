"""Informed consent to the teleconsultation (CSP R6316-2: prior consent, refusal recorded too).

A :class:`Consent` says who decided (patient, legal representative or trusted person), what
(given or refused), who recorded it and when, and after which versioned information text. A
refusal is a normal outcome: :func:`apply_consent` abandons the encounter with
``consent_refused`` and the refusal is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from telecabine.domain.encounter import Encounter, EncounterState
from telecabine.domain.errors import DomainError


class ConsentDecision(StrEnum):
    """The patient's answer."""

    GIVEN = "given"
    REFUSED = "refused"


class ConsentGiver(StrEnum):
    """Who answered: the patient, or someone entitled to answer for them."""

    PATIENT = "patient"
    LEGAL_REPRESENTATIVE = "legal_representative"  # parent, guardian (tutelle)
    TRUSTED_PERSON = "trusted_person"  # personne de confiance, CSP L1111-6

    @property
    def label_fr(self) -> str:
        """French label."""
        return {
            "patient": "Le patient",
            "legal_representative": "Représentant légal",
            "trusted_person": "Personne de confiance",
        }[self.value]

    @property
    def label_en(self) -> str:
        """English label."""
        return {
            "patient": "The patient",
            "legal_representative": "Legal representative",
            "trusted_person": "Trusted person",
        }[self.value]


class ConsentError(DomainError):
    """A consent that cannot be recorded as entered."""


@dataclass(frozen=True, slots=True)
class InformationText:
    """One version of what the patient is told before deciding, in French and English."""

    text_id: str
    version: int
    valid_from: date
    title_fr: str
    title_en: str
    body_fr: str
    body_en: str

    @property
    def ref(self) -> str:
        """One-string reference ``"<text_id>@v<version>"`` for storage (see :func:`information_text_by_ref`)."""
        return f"{self.text_id}@v{self.version}"

    def body(self, lang: str = "fr") -> str:
        """The text in ``lang`` ("fr" or "en")."""
        return self.body_en if lang == "en" else self.body_fr

    def title(self, lang: str = "fr") -> str:
        """The title in ``lang``."""
        return self.title_en if lang == "en" else self.title_fr


TELECONSULTATION_INFO = "teleconsultation_info"

# Append a new version rather than editing one: recorded consents point at (id, version).
INFORMATION_TEXTS: tuple[InformationText, ...] = (
    InformationText(
        text_id=TELECONSULTATION_INFO,
        version=1,
        valid_from=date(2018, 9, 15),
        title_fr="Information avant la téléconsultation",
        title_en="Information before the teleconsultation",
        body_fr=(
            "Vous allez consulter un médecin à distance, par vidéo. Un professionnel de santé "
            "reste à vos côtés pour vous aider et prendre vos mesures (température, tension, "
            "saturation, poids) avec des appareils connectés.\n\n"
            "Vos données d'identité, vos mesures et le compte rendu sont transmis au médecin "
            "et conservés chez un hébergeur certifié pour les données de santé (HDS), en "
            "Europe. La vidéo et le son ne sont pas enregistrés. Le compte rendu peut être "
            "adressé à votre médecin traitant.\n\n"
            "Vous pouvez refuser la téléconsultation ou l'interrompre à tout moment, sans "
            "conséquence sur votre prise en charge : une consultation en présentiel vous sera "
            "alors proposée. Vous disposez d'un droit d'accès, de rectification et "
            "d'opposition sur vos données (RGPD)."
        ),
        body_en=(
            "You are about to see a doctor remotely, by video. A health professional stays "
            "with you to help and to take your measurements (temperature, blood pressure, "
            "oxygen saturation, weight) with connected devices.\n\n"
            "Your identity, measurements and the consultation report are sent to the doctor "
            "and kept by a certified health-data host (HDS) in Europe. Video and sound are "
            "not recorded. The report may be sent to your regular doctor (médecin traitant).\n\n"
            "You may refuse the teleconsultation or stop it at any time without any effect on "
            "your care: an in-person consultation will then be offered. You have the right to "
            "access, correct and object to the use of your data (GDPR)."
        ),
    ),
)


class UnknownInformationText(ConsentError):
    """No information text with that id and version."""


def information_text(text_id: str, version: int) -> InformationText:
    """The exact text a recorded consent refers to."""
    for text in INFORMATION_TEXTS:
        if text.text_id == text_id and text.version == version:
            return text
    raise UnknownInformationText(
        "consent.unknown_text",
        f"Texte d'information inconnu : {text_id} v{version}.",
        f"Unknown information text: {text_id} v{version}.",
    )


def information_text_by_ref(ref: str) -> InformationText:
    """The text a stored ``"<text_id>@v<version>"`` reference points at."""
    text_id, _, version = ref.rpartition("@v")
    if not text_id or not version.isdigit():
        raise UnknownInformationText(
            "consent.unknown_text",
            f"Référence de texte d'information invalide : {ref}.",
            f"Invalid information text reference: {ref}.",
        )
    return information_text(text_id, int(version))


def current_information_text(
    on: date | None = None, text_id: str = TELECONSULTATION_INFO
) -> InformationText:
    """The latest version of ``text_id`` in force on ``on`` (latest overall if ``on`` is None)."""
    versions = [
        t for t in INFORMATION_TEXTS if t.text_id == text_id and (on is None or t.valid_from <= on)
    ]
    if not versions:
        raise UnknownInformationText(
            "consent.unknown_text",
            f"Aucun texte d'information « {text_id} » en vigueur à cette date.",
            f"No information text '{text_id}' in force on that date.",
        )
    return max(versions, key=lambda t: (t.valid_from, t.version))


@dataclass(frozen=True, slots=True)
class Consent:
    """A recorded decision; build it with :func:`record_consent` (validates the fields)."""

    decision: ConsentDecision
    given_by: ConsentGiver
    giver_name: str | None
    recorded_by: str
    recorded_at: datetime
    information_text_id: str
    information_text_version: int

    @property
    def text_ref(self) -> str:
        """``"<text_id>@v<version>"`` of the information text, for storage."""
        return f"{self.information_text_id}@v{self.information_text_version}"

    @property
    def is_given(self) -> bool:
        """True if the teleconsultation may go ahead."""
        return self.decision is ConsentDecision.GIVEN


def record_consent(
    decision: ConsentDecision | str,
    *,
    given_by: ConsentGiver | str,
    recorded_by: str,
    at: datetime,
    text: InformationText,
    giver_name: str | None = None,
) -> Consent:
    """Validate and build a :class:`Consent` (a representative or trusted person must be named)."""
    giver = ConsentGiver(given_by)
    name = " ".join(giver_name.split()) if giver_name else None
    if giver is not ConsentGiver.PATIENT and not name:
        raise ConsentError(
            "consent.giver_name",
            f"Indiquez le nom de la personne qui répond ({giver.label_fr.lower()}).",
            f"Enter the name of the person answering ({giver.label_en.lower()}).",
            field="giver_name",
        )
    if not recorded_by or not recorded_by.strip():
        raise ConsentError(
            "consent.recorded_by",
            "Le consentement doit être recueilli par un membre du personnel identifié.",
            "Consent must be recorded by an identified staff member.",
            field="recorded_by",
        )
    information_text(text.text_id, text.version)  # only published texts can be referred to
    return Consent(
        decision=ConsentDecision(decision),
        given_by=giver,
        giver_name=name if giver is not ConsentGiver.PATIENT else None,
        recorded_by=recorded_by.strip(),
        recorded_at=at,
        information_text_id=text.text_id,
        information_text_version=text.version,
    )


def apply_consent(encounter: Encounter, consent: Consent) -> Encounter:
    """Move an identified encounter on: given → consented, refused → abandoned (kept)."""
    if consent.is_given:
        return encounter.advance(EncounterState.CONSENTED, at=consent.recorded_at)
    return encounter.refuse_consent(at=consent.recorded_at)
