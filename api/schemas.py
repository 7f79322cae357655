"""The JSON the API takes and gives (DESIGN.md "Contracts"), as pydantic models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    text: str = Field(max_length=2_000_000)
    name: str = "submitted.policy"


class CheckOut(BaseModel):
    """The diagnostics of a rule file."""

    ok: bool
    diagnostics: list[dict[str, Any]]


class ReloadOut(BaseModel):
    """The published generation and the policies it serves."""

    generation: str
    policies: list[str]
