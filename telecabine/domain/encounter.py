"""Encounter state machine: the life of one patient visit at the cabin.

created → identified → consented → (measuring →) in_call → wrap_up → closed, and from any
non-terminal state → abandoned with a reason (a refused consent is ``consent_refused``). CSP
R6316 asks that a refusal be recorded, so an abandoned encounter is kept, never deleted.
Pure: times are passed in, nothing is read from a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from telecabine.domain.errors import DomainError


class EncounterState(StrEnum):
    """Where an encounter stands; values are stored as is, do not rename."""

    CREATED = "created"
    IDENTIFIED = "identified"
    CONSENTED = "consented"
    MEASURING = "measuring"
    IN_CALL = "in_call"
    WRAP_UP = "wrap_up"
    CLOSED = "closed"
    ABANDONED = "abandoned"

    @property
    def is_terminal(self) -> bool:
        """True for closed and abandoned: nothing can follow them."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({EncounterState.CLOSED, EncounterState.ABANDONED})

# Forward moves only; abandonment is allowed from every non-terminal state and handled apart.
# Measurements requested during a call keep the encounter in_call (no in_call → measuring).
_FORWARD: dict[EncounterState, frozenset[EncounterState]] = {
    EncounterState.CREATED: frozenset({EncounterState.IDENTIFIED}),
    EncounterState.IDENTIFIED: frozenset({EncounterState.CONSENTED}),
    EncounterState.CONSENTED: frozenset({EncounterState.MEASURING, EncounterState.IN_CALL}),
    EncounterState.MEASURING: frozenset({EncounterState.IN_CALL}),
    EncounterState.IN_CALL: frozenset({EncounterState.WRAP_UP}),
    EncounterState.WRAP_UP: frozenset({EncounterState.CLOSED}),
    EncounterState.CLOSED: frozenset(),
    EncounterState.ABANDONED: frozenset(),
}

# Well-known abandonment reasons (any non-empty code is accepted; these are the ones screens
# and reports know how to label).
CONSENT_REFUSED = "consent_refused"
PATIENT_LEFT = "patient_left"
NO_DOCTOR_AVAILABLE = "no_doctor_available"
TECHNICAL_FAILURE = "technical_failure"
STAFF_CANCELLED = "staff_cancelled"
CANCELLED_BY_DOCTOR = "cancelled_by_doctor"


class IllegalTransition(DomainError):
    """A move the state machine forbids (e.g. identified → in_call, or anything after closed)."""

    def __init__(self, from_state: EncounterState, to_state: EncounterState, detail: str = ""):
        self.from_state = from_state
        self.to_state = to_state
        why = f" ({detail})" if detail else ""
        super().__init__(
            "encounter.illegal_transition",
            f"Étape impossible : la consultation ne peut pas passer de « {from_state.value} » "
            f"à « {to_state.value} »{why}.",
            f"Illegal step: the encounter cannot go from '{from_state.value}' "
            f"to '{to_state.value}'{why}.",
        )


def allowed_transitions(state: EncounterState) -> frozenset[EncounterState]:
    """Every state reachable in one step from ``state`` (abandoned included when non-terminal)."""
    state = EncounterState(state)
    if state.is_terminal:
        return frozenset()
    return _FORWARD[state] | {EncounterState.ABANDONED}


def can_transition(state: EncounterState, to: EncounterState) -> bool:
    """True if ``state → to`` is a legal single step (reason rules aside)."""
    return EncounterState(to) in allowed_transitions(state)


def transition(
    state: EncounterState, to: EncounterState, *, reason: str | None = None
) -> EncounterState:
    """Check one step and return the new state, or raise :class:`IllegalTransition`.

    Moving to ``abandoned`` needs a non-empty ``reason`` code; other moves take none.
    """
    state, to = EncounterState(state), EncounterState(to)
    if not can_transition(state, to):
        detail = "état final" if state.is_terminal else ""
        raise IllegalTransition(state, to, detail)
    if to is EncounterState.ABANDONED:
        if reason is None or not reason.strip():
            raise IllegalTransition(state, to, "motif obligatoire / reason required")
    elif reason is not None:
        raise IllegalTransition(state, to, "motif réservé à l'abandon / reason only for abandon")
    return to


@dataclass(frozen=True, slots=True)
class StateChange:
    """One recorded step of an encounter's history."""

    from_state: EncounterState
    to_state: EncounterState
    at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Encounter:
    """An encounter's id, current state and full history (immutable; each step returns a copy)."""

    encounter_id: str
    state: EncounterState
    created_at: datetime
    history: tuple[StateChange, ...] = field(default=())

    @classmethod
    def start(cls, encounter_id: str, at: datetime) -> Encounter:
        """A new encounter in ``created`` state."""
        if not encounter_id:
            raise ValueError("encounter_id must not be empty")
        return cls(encounter_id=encounter_id, state=EncounterState.CREATED, created_at=at)

    @property
    def updated_at(self) -> datetime:
        """Time of the last step (creation time if none)."""
        return self.history[-1].at if self.history else self.created_at

    @property
    def abandon_reason(self) -> str | None:
        """The reason code if abandoned, else None."""
        if self.state is EncounterState.ABANDONED and self.history:
            return self.history[-1].reason
        return None

    @property
    def is_terminal(self) -> bool:
        """True once closed or abandoned."""
        return self.state.is_terminal

    def advance(self, to: EncounterState, *, at: datetime, reason: str | None = None) -> Encounter:
        """Return a copy moved to ``to`` (see :func:`transition` for the rules)."""
        new_state = transition(self.state, to, reason=reason)
        if at < self.updated_at:
            raise ValueError("state change time goes backwards")
        step = StateChange(self.state, new_state, at, reason)
        return replace(self, state=new_state, history=(*self.history, step))

    def abandon(self, reason: str, *, at: datetime) -> Encounter:
        """Return a copy abandoned with ``reason`` (e.g. :data:`PATIENT_LEFT`)."""
        return self.advance(EncounterState.ABANDONED, at=at, reason=reason)

    def refuse_consent(self, *, at: datetime) -> Encounter:
        """Return a copy abandoned because the patient refused consent (the refusal is kept)."""
        return self.abandon(CONSENT_REFUSED, at=at)
