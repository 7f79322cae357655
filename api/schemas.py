"""The JSON the API takes and gives (DESIGN.md "Contracts"), as pydantic models."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

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
