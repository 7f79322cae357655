"""Hypothesis: any schema-valid facts give a decision, deterministically, with coherent fields."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policycheck import load_policy

TOMTOM = load_policy(Path(__file__).resolve().parents[2] / "rules" / "tomtom-fr-2012.policy")
KINDS = ["cancellation", "return", "refund"]
CATEGORIES = ["device", "accessory", "map", "speed_cameras", "voice", "poi", "live_service"]
POSTCODES = ["75011", "67000", "57000", "97400", "20000", "ABCDE", ""]

days = st.dates(date(2011, 6, 1), date(2014, 6, 1))
maybe_bool = st.sampled_from([True, False, None])


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


facts_strategy = st.fixed_dictionaries(
    {
        "request": st.fixed_dictionaries(
            {"kind": _maybe(st.sampled_from(KINDS)), "date": _maybe(days.map(str))}
        ),
        "product": st.fixed_dictionaries(
            {
                "category": _maybe(st.sampled_from(CATEGORIES)),
                "used": maybe_bool,
                "original_packaging": maybe_bool,
            }
        ),
        "delivery": st.fixed_dictionaries(
            {"date": _maybe(days.map(str)), "postcode": _maybe(st.sampled_from(POSTCODES))}
        ),
        "service": st.fixed_dictionaries(
            {"downloaded": maybe_bool, "installed": maybe_bool, "activated": maybe_bool}
        ),
    }
)


@given(facts_strategy)
def test_any_schema_valid_facts_give_a_coherent_decision(facts: dict[str, Any]) -> None:
    decision = TOMTOM.evaluate(facts)
    out = decision.to_dict()
    assert json.loads(json.dumps(out)) == out
    assert TOMTOM.evaluate(facts).to_dict() == out  # a pure function of the facts
    outcome = out["outcome"]
    if outcome in ("allow", "refuse"):
        assert out["clause"] is not None
    if outcome in ("no_clause", "conflict"):
        assert out["clause"] is None
    if outcome == "needs_info":
        assert out["missing_facts"]
        assert len(out["questions"]) == len(out["missing_facts"])
    if out["rigid"]:
        assert outcome == "refuse"
        assert out["discretion"]["level"] in ("agent", "supervisor")
    for name in out["missing_facts"]:
        section, field = name.split(".")
        assert facts[section][field] is None


@given(facts_strategy, st.integers(1, 40))
def test_a_later_request_never_turns_a_refusal_into_an_allowance(
    facts: dict[str, Any], later_by: int
) -> None:
    first = TOMTOM.evaluate(facts)
    asked = facts["request"]["date"]
    if first.outcome.value != "refuse" or asked is None:
        return
    later = json.loads(json.dumps(facts))
    later["request"]["date"] = str(date.fromisoformat(asked) + timedelta(days=later_by))
    assert TOMTOM.evaluate(later).outcome.value == "refuse"


@given(facts_strategy, st.sampled_from(["allow", "refuse"]), st.sampled_from(["a", "b", None]))
def test_a_proposal_agrees_only_with_the_decision(
    facts: dict[str, Any], outcome: str, clause: str | None
) -> None:
    decision = TOMTOM.evaluate(facts, {"outcome": outcome, "clause": clause})
    assert decision.proposal is not None
    deciding = decision.clause.id if decision.clause else None
    expected = decision.outcome.value == outcome and clause in (None, deciding)
    assert decision.proposal.agrees is expected
    assert decision.proposal.applicable_clause == deciding
