"""What the decision log holds: one record per decision, made by `decision_record` alone,
personal facts masked (evaluation.personal) before logging."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import orjson

from policycheck.evaluation.personal import mask_facts, mask_trace

if TYPE_CHECKING:
    from policycheck.evaluation.decision import Decision


@dataclass(frozen=True)
class DecisionRecord:
    """One decision made through the API, as written to the decision log."""

    id: str  # uuid4 hex string chosen by the caller
    created_at: datetime  # timezone-aware UTC
    agent_key_id: str | None  # an identifier of the API key, never the key itself
    policy_id: str
    policy_version: str | None
    policy_hash: str  # "sha256:..."
    outcome: str  # allow | refuse | needs_info | no_clause | conflict
    clause_id: str | None
    rigid: bool
    facts: dict[str, Any]  # the request's nested JSON facts, personal facts already masked
    decision: dict[str, Any]  # the full decision JSON as returned to the client


def json_text(value: Any) -> str:
    """Compact JSON text with non-ASCII characters kept as they are (orjson: several times
    faster than json.dumps, and dates as ISO strings); json.dumps for the integers past 64 bits
    that orjson refuses (a request may hold 18446744073709551616: it is logged as sent)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def decision_record(
    decision: Decision,
    out: dict[str, Any],
    facts: dict[str, Any],
    agent_key_id: str | None,
    personal: frozenset[str],
    created_at: datetime,
) -> DecisionRecord:
    """The log record of `decision` (with its id set; `out` its JSON; `facts` the request's),
    the `personal` facts masked in the facts and in the trace: the one way a record is made
    from a decision (the API's, the benchmarks', the tests')."""
    assert decision.decision_id is not None, "a logged decision has its id"
    return DecisionRecord(
        id=decision.decision_id,
        created_at=created_at,
        agent_key_id=agent_key_id,
        policy_id=decision.policy_id,
        policy_version=decision.policy_version,
        policy_hash=decision.policy_hash,
        outcome=decision.outcome.value,
        clause_id=decision.clause.id if decision.clause else None,
        rigid=decision.rigid,
        facts=mask_facts(facts, personal) if personal else facts,
        decision=mask_trace(out, personal),
    )
