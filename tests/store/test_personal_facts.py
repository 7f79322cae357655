"""No personal value ever leaves: not in a logged record (its facts, its decision JSON), not in an
explanation, a trace note or a proposal's verdict, whatever the values and the outcome."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import load_policy
from policycheck.evaluation.decision import Decision, json_value
from policycheck.evaluation.explain import show
from policycheck.evaluation.personal import MASK
from policycheck.language.source import Source
from policycheck.policy import Policy, load_source
from policycheck.store import DecisionRecord, decision_record
from policycheck.store.records import json_text

ROOT = Path(__file__).resolve().parents[2]
# Personal facts of every kind, read by a scope, conditions, a comparison, a period, a question.
SHOP = load_source(
    Source(
        "personal.policy",
        """policy personal-shop "Shop"
  version "1"
  language fr
facts
  request.kind: one of return, refund
  request.date: date
  customer.email: text personal
  customer.name: text personal "What is the customer's name?"
  customer.age: number personal
  customer.vip: bool personal
  customer.joined: date personal
  customer.paid: money personal
group adults: customer.age >= 18
clause r "Returns"
  applies to return of adults
  refuse when customer.email = "blocked@example.org" or customer.name is unknown
  allow when customer.vip or customer.paid < 100
  allow when request.date within 30 days after customer.joined
  otherwise refuse
clause f "Refunds"
  applies to refund
  allow when customer.vip and customer.email is known
  otherwise refuse
""",
    )
)
SUBSCRIPTION = load_policy(ROOT / "rules" / "subscription-cancellation.policy")

# Values no rule file, date, hash-free JSON or sentence can hold by chance: letters never put
# together in English or French, numbers with a fraction, days before any request's.
TEXT = st.text(alphabet="QXZJ@_", min_size=6, max_size=12)
NUMBER = st.integers(10**6, 10**7).map(lambda n: Decimal(n) + Decimal("0.25"))
OLD_DAY = st.dates(date(1950, 1, 1), date(1959, 12, 31))
MAYBE = st.booleans()


@st.composite
def shop_request(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Facts for SHOP, any personal fact possibly absent, and perhaps a proposal."""
    customer: dict[str, Any] = {
        "email": draw(TEXT),
        "name": draw(TEXT),
        "age": draw(st.one_of(NUMBER, st.just(Decimal("17.25")))),
        "vip": draw(st.booleans()),
        "joined": draw(st.one_of(OLD_DAY, st.dates(date(2025, 2, 1), date(2025, 3, 10)))),
        "paid": draw(NUMBER),
    }
    kept = {name: value for name, value in customer.items() if draw(MAYBE) or name == "age"}
    facts = {
        "request": {"kind": draw(st.sampled_from(["return", "refund"])), "date": "2025-03-15"},
        "customer": {name: json_value(value) for name, value in kept.items()},
    }
    proposed = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"outcome": st.sampled_from(["allow", "refuse"]), "clause": st.sampled_from("rf")}
            ),
        )
    )
    return facts, proposed


def logged(policy: Policy, facts: dict[str, Any], proposed: Any) -> tuple[Decision, DecisionRecord]:
    """The decision and the record the API would log for it."""
    decision = policy.evaluate(facts, proposed)
    decision.decision_id = "0" * 32
    record = decision_record(
        decision, decision.to_dict(), facts, "key", policy.compiled.personal, datetime.now(UTC)
    )
    return decision, record


def words_of(decision: Decision, record: DecisionRecord) -> list[str]:
    """Every sentence made for the decision: explanations, trace notes, the proposal's verdict."""
    logged = record.decision
    notes = [step.get("note", "") for step in logged["trace"]]
    verdict = [logged["proposal"]["message"]] if logged["proposal"] else []
    return [*decision.explanations.values(), *notes, *verdict]


def leaked(
    policy: Policy, facts: dict[str, Any], decision: Decision, record: DecisionRecord
) -> list[str]:
    """Every place a personal value of `facts` shows in the record or in the words."""
    values = {
        name: value
        for name in sorted(policy.compiled.personal)
        if (value := _at(facts, name)) is not None
    }
    # the JSON as logged, less the two fields made of hex digits (policy hash, decision id)
    text = json_text([record.facts, {**record.decision, "policy": None, "decision_id": None}])
    words = words_of(decision, record)
    found = [
        f"{name} in the log"
        for name, value in values.items()
        if not isinstance(value, bool) and str(value) in text
    ]
    for name, value in values.items():
        said = f"{name} = {show(value)}"  # how an explanation quotes a fact
        found += [
            f"{name} in `{w}`"
            for w in words
            if said in w or (not isinstance(value, bool) and str(value) in w)
        ]
    return found


def _at(facts: dict[str, Any], name: str) -> Any:
    node: Any = facts
    for part in name.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@settings(max_examples=150, deadline=None)
@given(shop_request())
def test_no_personal_value_in_the_log_or_the_words(request: tuple[dict[str, Any], Any]) -> None:
    facts, proposed = request
    decision, record = logged(SHOP, facts, proposed)
    assert leaked(SHOP, facts, decision, record) == []
    for name, value in record.facts["customer"].items():
        assert value == MASK, name  # every customer fact here is personal, and known
    for step in record.decision["trace"]:
        for name, value in step["facts"].items():
            if name in SHOP.compiled.personal:
                assert value in (MASK, None), (name, value)


@settings(max_examples=60, deadline=None)
@given(
    postcode=st.from_regex(r"\A(75|97|67)[0-9]{3}\Z"),
    kind=st.sampled_from(["cancellation", "refund"]),
    concluded=st.dates(date(2025, 2, 1), date(2025, 3, 20)),
)
def test_a_personal_region_stays_out_of_the_log_and_the_words(
    postcode: str, kind: str, concluded: date
) -> None:
    facts: dict[str, Any] = {
        "request": {"kind": kind, "date": "2025-03-21"},
        "subscriber": {"consumer": True, "postcode": postcode},
        "subscription": {"first": True},
        "contract": {"concluded": concluded.isoformat()},
        "billing": {"period_start": "2025-03-01"},
    }
    decision, record = logged(SUBSCRIPTION, facts, {"outcome": "allow", "clause": "cancel"})
    assert leaked(SUBSCRIPTION, facts, decision, record) == []
    assert record.facts["subscriber"]["postcode"] == MASK
    assert facts["subscriber"]["postcode"] == postcode  # the request's own facts are untouched


def test_the_property_would_see_a_leak() -> None:
    """The check itself: the same record without masking names the values it holds."""
    facts = {
        "request": {"kind": "return", "date": "2025-03-15"},
        "customer": {"email": "QXZJQX@", "name": "JJQQXX", "age": 30},
    }
    decision = SHOP.evaluate(facts)
    decision.decision_id = "0" * 32
    unmasked = decision_record(
        decision, decision.to_dict(), facts, "key", frozenset(), datetime.now(UTC)
    )
    assert leaked(SHOP, facts, decision, unmasked) == [
        "customer.age in the log",
        "customer.email in the log",
        "customer.name in the log",
    ]
