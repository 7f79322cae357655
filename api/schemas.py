"""The JSON the API takes and gives (docs/api.md), as pydantic models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat

from policycheck.review.exceptions import MAX_NOTE

FOUNDING_STORY: dict[str, Any] = {
    "policy": "tomtom-fr-2012",
    "facts": {
        "request": {"kind": "cancellation", "date": "2012-03-19"},
        "product": {"category": "map"},
        "service": {"downloaded": False},
    },
    "proposed": {"outcome": "refuse", "clause": "a"},
}


class ProposedIn(BaseModel):
    """The agent's intended answer."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["allow", "refuse"]
    clause: str | None = None


class DecisionIn(BaseModel):
    """A request to decide: the policy, the facts (nested JSON), and optionally a proposal."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [FOUNDING_STORY]})
    policy: str = Field(min_length=1, max_length=200)
    facts: dict[str, Any]
    proposed: ProposedIn | None = None


JsonScalar = str | bool | int | float | None  # a fact's value in a trace step (dates as text)


def _day_or_instant(value: Any) -> Any:
    """`2012-04-21` stays a day and `2024-03-31T13:00:00+02:00` an instant (pydantic alone would
    read either as the other)."""
    if isinstance(value, str):
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    return value


# A deadline: the last day in time, or the instant a period in hours expires, with its offset.
Deadline = Annotated[date | datetime, BeforeValidator(_day_or_instant)]


class PolicyRef(BaseModel):
    """The policy version that decided."""

    model_config = ConfigDict(extra="forbid")
    id: str
    version: str | None
    hash: str = Field(description="`sha256:` and the hex digest of the rule file")


class ClauseOut(BaseModel):
    """The deciding clause, as quoted in a decision."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    source: str | None = Field(description="the clause's source (article, page), if named")


class MarginOut(BaseModel):
    """How early (`late` false; 0 on the last day itself) or late a request is."""

    model_config = ConfigDict(extra="forbid")
    value: int
    unit: str = Field(description="the unit as the rule file names it (`ouvrables`, `days`...)")
    late: bool


class DiscretionOut(BaseModel):
    """Who may waive a rigid refusal, and on what ground."""

    model_config = ConfigDict(extra="forbid")
    level: str = Field(description="`agent` or `supervisor`")
    reason: str = Field(description="`near_miss`, `formal` or `always`")


class TraceStepOut(BaseModel):
    """One step of the evaluation: a clause's scope, condition, requirement or precedence, and
    its value (null: unknown), with the facts it read. `note`, and `deadline` with `margin`,
    only on the steps that have them."""

    model_config = ConfigDict(extra="forbid")
    clause: str
    step: str = Field(description="`scope`, `condition`, `requirement` or `precedence`")
    text: str
    value: bool | None
    facts: dict[str, JsonScalar] = Field(description="the facts read, by name (null: unknown)")
    note: str = Field(default="", description="why (a false scope, an unknown region...)")
    deadline: Deadline | None = None
    margin: MarginOut | None = None


class ProposalOut(BaseModel):
    """The verdict on the agent's proposed answer."""

    model_config = ConfigDict(extra="forbid")
    agrees: bool
    message: str
    applicable_clause: str | None


class ClauseIdTitle(BaseModel):
    """A clause named by its id and title."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str


class TermsOut(BaseModel):
    """What the terms alone said, when the law beneath them decided (`layer` is `law`)."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["allow", "refuse", "needs_info", "no_clause", "conflict"]
    clause: ClauseIdTitle | None
    unlawful: bool = Field(description="true when the terms refuse what the law allows")


class MoneyOut(BaseModel):
    """An amount: a decimal string (never a float) and its ISO 4217 currency."""

    model_config = ConfigDict(extra="forbid")
    value: str = Field(description="a decimal string, rounded to the currency's minor unit")
    currency: str = Field(description="ISO 4217 code")


class RemedyOut(BaseModel):
    """What the customer gets when the request is allowed."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="refund, store_credit, exchange, partial_refund... as the clause")
    amount: MoneyOut | None = Field(description="null when not computed or a fact is unknown")
    text: str | None = Field(description="the clause's words for it")


class FeeOut(BaseModel):
    """A fee the merchant may charge on an allowed request."""

    model_config = ConfigDict(extra="forbid")
    label: str
    amount: MoneyOut | None = Field(description="null for a fee the terms state but do not compute")


class LawOut(BaseModel):
    """The law's own answer, whenever a law beneath the terms was evaluated."""

    model_config = ConfigDict(extra="forbid")
    policy: PolicyRef
    outcome: Literal["allow", "refuse", "needs_info", "no_clause", "conflict"]
    clause: ClauseIdTitle | None
    deadline: date | None = Field(description="the last day in time under the law's clause")


# The fast path (api.fast_path) sends the library's dict, `Decision.to_dict()`, encoded by
# orjson, never this model: tests/api/test_decision_out.py keeps the two the same.
class DecisionOut(BaseModel):
    """A decision (docs/design.md, "REST"): every key always there, null where it says."""

    model_config = ConfigDict(extra="forbid")
    decision_id: str = Field(description="the id to quote later (GET /v1/decisions/{id})")
    policy: PolicyRef
    outcome: Literal["allow", "refuse", "needs_info", "no_clause", "conflict"]
    clause: ClauseOut | None = Field(description="null when no clause could be chosen")
    deadline: Deadline | None = Field(
        description="the last day in time under the clause; for a period in hours, the instant "
        "it expires, with its offset (2024-03-31T13:00:00+02:00)"
    )
    margin: MarginOut | None
    rigid: bool = Field(description="a refusal open to discretion (`discretion` says whose)")
    discretion: DiscretionOut | None
    missing_facts: list[str]
    questions: list[str]
    obligations: list[str]
    explanation: str = Field(description="in the policy's language")
    explanations: dict[str, str] = Field(description="by language: English and the policy's")
    trace: list[TraceStepOut]
    proposal: ProposalOut | None = Field(description="null when nothing was proposed")
    layer: Literal["contract", "law"] = Field(
        description="`law` when the law beneath the terms decided: it gives the customer more"
    )
    contract: TermsOut | None = Field(description="the terms' own answer when the law decided")
    law: LawOut | None = Field(description="the law's answer; null when no law was evaluated")
    remedy: RemedyOut | None = Field(description="null unless allowed under a clause with one")
    fees: list[FeeOut] = Field(description="empty unless allowed under a clause with fees")


class ErrorOut(BaseModel):
    """Every error: a stable code, a message, and the list of problems."""

    code: str
    message: str
    errors: list[dict[str, Any]] = []
    request_id: str | None = None


class CheckIn(BaseModel):
    """Rule-file text to check (nothing is published)."""

    model_config = ConfigDict(extra="forbid")
    # at most a body's size (api.settings.Settings.max_body_bytes; over it: 413)
    text: str = Field(max_length=64 * 1024)
    name: str = "submitted.policy"


class CheckOut(BaseModel):
    """The diagnostics of a rule file."""

    ok: bool
    diagnostics: list[dict[str, Any]]


class ReloadOut(BaseModel):
    """The published generation and the policies it serves."""

    generation: str
    policies: list[str]


EXCEPTION_EXAMPLE: dict[str, Any] = {
    "granted_outcome": "allow",
    "remedy": {"kind": "refund"},
    "reason_code": "customer_error",
    "justification": "The customer called on day 15: she was in hospital the week after delivery.",
    "follow_up_on": "2026-12-10",
    "suggestion": "Count the period from the day the customer can use the device",
}


class RemedyIn(BaseModel):
    """What the customer gets: a refund, part of one (with its amount), credit, an exchange."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="refund, partial_refund, store_credit, exchange or extension")
    amount: StrictFloat | None = Field(default=None, description="required for partial_refund")


class ExceptionIn(BaseModel):
    """An exception to a refusal, with its justification (the review reads it)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXCEPTION_EXAMPLE]})
    granted_outcome: str = Field(description="allow or partial")
    remedy: RemedyIn
    reason_code: str = Field(max_length=100)
    # longer than MAX_JUSTIFICATION or MAX_SUGGESTION: 422 `invalid_exception`, as every rule
    justification: str = Field(max_length=20_000)
    follow_up_on: date | None = None
    suggestion: str | None = Field(default=None, max_length=20_000)


class NoteIn(BaseModel):
    """A supervisor's note on approving or rejecting a pending exception."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "ok"}]})
    note: str = Field(max_length=MAX_NOTE)
