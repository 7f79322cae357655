"""Decisions: the outcome of evaluating facts against a policy, why, and its JSON form."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from policycheck.calendar import Margin
from policycheck.evaluation.amounts import FeeOut, RemedyOut
from policycheck.evaluation.facts import FactValue
from policycheck.language.money import Money


class Outcome(enum.Enum):
    """What the policy says about a request."""

    ALLOW = "allow"
    REFUSE = "refuse"
    NEEDS_INFO = "needs_info"
    NO_CLAUSE = "no_clause"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class ClauseRef:
    """The deciding clause, as quoted in a decision."""

    id: str
    title: str
    source: str | None


class TraceStep(NamedTuple):
    """One step of an evaluation: a clause's scope, condition or requirement, and its value.

    A named tuple: hundreds of thousands are made per second, and they never change.
    """

    clause: str
    step: str  # "scope", "condition", "requirement" or "precedence"
    text: str
    value: bool | None
    facts: tuple[str, ...] = ()
    note: str | Callable[[], str] = ""  # words computed only when shown
    deadline: date | None = None
    margin: Margin | None = None
    unit: str | None = None
    law_facts: dict[str, FactValue] | None = None  # a law's step: the law's facts, not ours

    @property
    def note_text(self) -> str:
        """The note in words (why a scope is false, an unknown region...)."""
        return self.note() if callable(self.note) else self.note

    def to_dict(self, facts: dict[str, FactValue]) -> dict[str, Any]:
        """JSON form, with the values of the facts read (absent ones as null)."""
        if self.law_facts is not None:
            facts = self.law_facts
        out: dict[str, Any] = {
            "clause": self.clause,
            "step": self.step,
            "text": self.text,
            "value": self.value,
            "facts": {name: json_value(facts.get(name)) for name in self.facts},
        }
        note = self.note_text
        if note:
            out["note"] = note
        if self.deadline is not None or self.margin is not None:
            out["deadline"] = self.deadline.isoformat() if self.deadline else None
            out["margin"] = margin_dict(self.margin, self.unit)
        return out


@dataclass(frozen=True, slots=True)
class Proposal:
    """The verdict on an agent's intended answer."""

    agrees: bool
    message: str
    applicable_clause: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form: `{"agrees", "message", "applicable_clause"}`."""
        return {
            "agrees": self.agrees,
            "message": self.message,
            "applicable_clause": self.applicable_clause,
        }


@dataclass(frozen=True, slots=True)
class Grounds:
    """What the explanation is made of: reasons in the rule file's words, with fact values."""

    scope: str = ""  # why the deciding clause applies
    reasons: tuple[tuple[str, Margin | None], ...] = ()  # why it allowed or refused
    late_only: bool = False  # every reason for a refusal is lateness
    not_applicable: tuple[tuple[str, str], ...] = ()  # (clause id, why it does not apply)
    conflicting: tuple[str, ...] = ()
    formal: bool = False
    checks: tuple[str, ...] = ()  # requirements still unknown, for the agent to check


@dataclass(frozen=True, slots=True)
class TermsAnswer:
    """What the terms alone said of a request the law decided (the decision's `contract`)."""

    outcome: Outcome
    clause: ClauseRef | None
    unlawful: bool  # the terms refused what the law allows

    def to_dict(self) -> dict[str, Any]:
        """`{"outcome", "clause": {"id", "title"} | null, "unlawful"}`."""
        return {
            "outcome": self.outcome.value,
            "clause": _clause_id_title(self.clause),
            "unlawful": self.unlawful,
        }


@dataclass(frozen=True, slots=True)
class LawAnswerView:
    """The law's own answer to a request, whenever a law beneath the terms was evaluated."""

    policy_id: str
    policy_version: str | None
    policy_hash: str
    outcome: Outcome
    clause: ClauseRef | None
    deadline: date | None

    def to_dict(self) -> dict[str, Any]:
        """`{"policy": {"id", "version", "hash"}, "outcome", "clause", "deadline"}`."""
        return {
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "hash": self.policy_hash,
            },
            "outcome": self.outcome.value,
            "clause": _clause_id_title(self.clause),
            "deadline": self.deadline.isoformat() if self.deadline else None,
        }


def _clause_id_title(clause: ClauseRef | None) -> dict[str, str] | None:
    return {"id": clause.id, "title": clause.title} if clause else None


@dataclass
class Decision:
    """The result of evaluating facts against a policy. Treat it as immutable (use
    `dataclasses.replace`); it is not frozen only because it is made on every request."""

    policy_id: str
    policy_version: str | None
    policy_hash: str
    language: str
    outcome: Outcome
    clause: ClauseRef | None
    deadline: date | None
    margin: Margin | None
    margin_unit: str | None
    rigid: bool
    discretion: tuple[str, str] | None  # (level, reason)
    missing_facts: tuple[str, ...]
    questions: tuple[str, ...]
    obligations: tuple[str, ...]
    trace: tuple[TraceStep, ...]
    facts: dict[str, FactValue] = field(repr=False)
    # The grounds in a language (`en`, `fr`): worked out only when an explanation is shown.
    make_grounds: Callable[[str], Grounds] = field(
        repr=False, compare=False, default=lambda language: Grounds()
    )
    # Puts a decision into words in a language (`explain.explain`, given by the evaluator: the
    # words depend on the decision, never the other way round).
    explainer: Callable[[Decision, str], str] | None = field(
        repr=False, compare=False, default=None
    )
    proposal: Proposal | None = None
    decision_id: str | None = None
    layer: str = "contract"  # "law" when a law beneath the terms decided (evaluation.layers)
    terms: TermsAnswer | None = None  # what the terms alone said, when the law decided
    law: LawAnswerView | None = None  # the law's own answer, when a law was evaluated
    remedy: RemedyOut | None = None  # what the customer gets, when allowed
    fees: tuple[FeeOut, ...] = ()  # what may be charged, when allowed
    remedy_branch: int = -1  # which of the clause's remedies was given (for coverage)

    def grounds_in(self, language: str) -> Grounds:
        """What the explanation in `language` says (worked out when first asked)."""
        said: dict[str, Grounds] = self.__dict__.setdefault("_grounds", {})
        if language not in said:
            said[language] = self.make_grounds(language)
        return said[language]

    @property
    def grounds(self) -> Grounds:
        """The grounds in English."""
        return self.grounds_in("en")

    @cached_property
    def explanations(self) -> dict[str, str]:
        """The explanation in English and in the policy's language."""
        if self.explainer is None:
            raise ValueError("this decision was made without an explainer")
        languages = dict.fromkeys(["en", self.language])
        return {language: self.explainer(self, language) for language in languages}

    @property
    def explanation(self) -> str:
        """The explanation in the policy's language."""
        return self.explanations[self.language]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of docs/api.md (plus `explanations` by language)."""
        clause = self.clause
        return {
            "decision_id": self.decision_id,
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "hash": self.policy_hash,
            },
            "outcome": self.outcome.value,
            "clause": {"id": clause.id, "title": clause.title, "source": clause.source}
            if clause
            else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "margin": margin_dict(self.margin, self.margin_unit),
            "rigid": self.rigid,
            "discretion": {"level": self.discretion[0], "reason": self.discretion[1]}
            if self.discretion
            else None,
            "missing_facts": list(self.missing_facts),
            "questions": list(self.questions),
            "obligations": list(self.obligations),
            "explanation": self.explanation,
            "explanations": self.explanations,
            "trace": [step.to_dict(self.facts) for step in self.trace],
            "proposal": self.proposal.to_dict() if self.proposal else None,
            "layer": self.layer,
            "contract": self.terms.to_dict() if self.terms else None,
            "law": self.law.to_dict() if self.law else None,
            "remedy": self.remedy.to_dict() if self.remedy else None,
            "fees": [fee.to_dict() for fee in self.fees],
        }


def margin_dict(margin: Margin | None, unit: str | None) -> dict[str, Any] | None:
    """`{"value": 1, "unit": "ouvrables", "late": true}`, in the unit as the rule file names it."""
    if margin is None:
        return None
    return {"value": margin.value, "unit": unit or margin.unit.value, "late": margin.late}


_INT64 = 2**63


def json_value(value: FactValue | None) -> Any:
    """A fact value as JSON: dates in ISO form, numbers as numbers."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Money):
        return value.to_json()
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and -_INT64 <= value < _INT64:
            return int(value)
        return float(value)  # JSON encoders write at most 64-bit integers
    return value
