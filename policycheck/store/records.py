"""What the decision log holds: one record per decision, personal facts masked before logging."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from policycheck.evaluation.decision import Decision

MASK = "***"


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


def mask_personal(facts: Mapping[str, Any], personal: Iterable[str]) -> dict[str, Any]:
    """Deep copy of `facts` with each present, non-null personal fact (dotted name) as "***"."""
    masked = _copy(facts)
    for name in personal:
        *parents, leaf = name.split(".")
        node: Any = masked
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(leaf) is not None:
            node[leaf] = MASK
    return masked


def _copy(facts: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy in which every mapping is a plain dict (so masking can write into it)."""
    return {key: _copy_value(value) for key, value in facts.items()}


def _copy_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _copy(value)
    if isinstance(value, list | tuple):
        return [_copy_value(item) for item in value]
    return copy.deepcopy(value)


def json_text(value: Any) -> str:
    """Compact JSON text with non-ASCII characters kept as they are (orjson: several times
    faster than json.dumps, and dates as ISO strings)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def decision_record(
    decision: Decision,
    out: dict[str, Any],
    facts: dict[str, Any],
    agent_key_id: str | None,
    personal: frozenset[str],
    created_at: datetime,
) -> DecisionRecord:
    """The log record of `decision` (with its id set; `out` its JSON), personal facts masked
    in the facts and in the trace."""
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
        facts=mask_personal(facts, personal) if personal else facts,
        decision=mask_trace(out, personal),
    )


def mask_trace(out: dict[str, Any], personal: frozenset[str]) -> dict[str, Any]:
    """The decision JSON with the values of personal facts in its trace masked."""
    if not personal:
        return out
    trace = [
        {
            **step,
            "facts": {
                name: (MASK if name in personal and value is not None else value)
                for name, value in step["facts"].items()
            },
        }
        for step in out["trace"]
    ]
    return {**out, "trace": trace}
