"""Each construct of the language, evaluated on a small policy written for it."""

from __future__ import annotations

from typing import Any

import pytest

from policycheck.language.source import Source
from policycheck.policy import Policy, RuleFileError, load_source

HEADER = """policy shop-2024 "Shop"
  version "1"
  timezone "Europe/Paris"
  language en
calendar business: monday to friday, closed on public holidays of FR, extended to next working day
calendar days14: monday to sunday, closed on public holidays of FR, extended to next working day
facts
  request.kind: one of cancellation, return, refund
  request.date: date
  request.at: datetime
  order.placed_at: datetime
  delivery.date: date
  arrival.date: date
  product.category: one of shoes, food, gift_card
  product.price: money "How much was paid?"
  product.label: text
  product.worn: bool
  customer.email: text personal
group food: product.category in [food]
"""


def policy(clauses: str) -> Policy:
    return load_source(Source("features.policy", HEADER + clauses))


def decide(p: Policy, **sections: dict[str, Any]) -> Any:
    return p.evaluate(sections)


def test_an_exception_wins_over_the_general_clause() -> None:
    p = policy("""
clause general "Returns"
  applies to return
  otherwise allow
clause perishable "Food"
  applies to return of food
  exception to general
  otherwise refuse
""")
    food = decide(p, request={"kind": "return"}, product={"category": "food"})
    shoes = decide(p, request={"kind": "return"}, product={"category": "shoes"})
    assert (food.outcome.value, food.clause.id) == ("refuse", "perishable")
    assert (shoes.outcome.value, shoes.clause.id) == ("allow", "general")
    precedence = [s for s in food.trace if s.step == "precedence"]
    assert [(s.clause, s.text) for s in precedence] == [
        ("general", "clause perishable takes precedence")
    ]


def test_two_clauses_with_different_outcomes_conflict() -> None:
    p = policy("""
clause a "A"
  applies to return
  otherwise allow
clause b "B"
  applies to return of food
  otherwise refuse
""")
    decision = decide(p, request={"kind": "return"}, product={"category": "food"})
    assert (decision.outcome.value, decision.clause) == ("conflict", None)
    assert "a, b" in decision.explanations["en"]


def test_two_clauses_with_the_same_outcome_do_not_conflict() -> None:
    p = policy("""
clause a "A"
  applies to return
  otherwise allow
clause b "B"
  applies to return of food
  otherwise allow
""")
    decision = decide(p, request={"kind": "return"}, product={"category": "food"})
    assert (decision.outcome.value, decision.clause.id) == ("allow", "a")


def test_an_unknown_scope_that_could_change_the_answer_needs_info() -> None:
    p = policy("""
clause general "Returns"
  applies to return
  otherwise allow
clause perishable "Food"
  applies to return of food
  exception to general
  otherwise refuse
""")
    decision = decide(p, request={"kind": "return"})
    assert decision.outcome.value == "needs_info"
    assert decision.missing_facts == ("product.category",)


def test_business_days_with_extension() -> None:
    p = policy("""
clause r "Returns"
  applies to return
  allow when request.date within 2 business after delivery.date
""")
    # Delivered Thu 2 May 2024: Fri 3, Mon 6 (8 May is later) -> last day Mon 6 May.
    in_time = decide(p, request={"kind": "return", "date": "2024-05-06"},
                     delivery={"date": "2024-05-02"})  # fmt: skip
    late = decide(p, request={"kind": "return", "date": "2024-05-07"},
                  delivery={"date": "2024-05-02"})  # fmt: skip
    assert (in_time.outcome.value, in_time.deadline.isoformat()) == ("allow", "2024-05-06")
    assert late.outcome.value == "refuse"
    assert late.margin is not None
    assert (late.margin.value, late.margin.late, late.margin_unit) == (1, True, "business")


def test_calendar_days_extended_past_a_holiday() -> None:
    p = policy("""
clause r "Returns"
  applies to return
  allow when request.date within 14 days14 after delivery.date
""")
    # 14 days from Fri 30 Jun 2023 end on 14 July (a holiday), then the weekend: Mon 17 July.
    decision = decide(p, request={"kind": "return", "date": "2023-07-17"},
                      delivery={"date": "2023-06-30"})  # fmt: skip
    assert (decision.outcome.value, decision.deadline.isoformat()) == ("allow", "2023-07-17")


def test_counting_backwards_is_never_extended() -> None:
    p = policy("""
clause c "Cancellation"
  applies to cancellation
  allow when request.date within 7 days before arrival.date
""")
    # 7 days before Sat 15 June 2024: Sat 8 June, not moved to Monday.
    on_time = decide(p, request={"kind": "cancellation", "date": "2024-06-08"},
                     arrival={"date": "2024-06-15"})  # fmt: skip
    late = decide(p, request={"kind": "cancellation", "date": "2024-06-10"},
                  arrival={"date": "2024-06-15"})  # fmt: skip
    assert (on_time.outcome.value, on_time.deadline.isoformat()) == ("allow", "2024-06-08")
    assert late.outcome.value == "refuse"


def test_hours_between_two_datetimes() -> None:
    p = policy("""
clause c "Cancel within a day"
  applies to cancellation
  allow when request.at within 24 hours after order.placed_at
""")
    in_time = decide(p, request={"kind": "cancellation", "at": "2024-03-31T09:00:00+02:00"},
                     order={"placed_at": "2024-03-30T10:00:00+01:00"})  # fmt: skip
    late = decide(p, request={"kind": "cancellation", "at": "2024-03-31T11:30:00+02:00"},
                  order={"placed_at": "2024-03-30T10:00:00+01:00"})  # fmt: skip
    assert in_time.outcome.value == "allow"
    assert late.outcome.value == "refuse"
    assert late.margin is not None
    assert (late.margin.value, late.margin.late) == (1, True)


@pytest.mark.parametrize(
    ("price", "outcome"), [(49.99, "allow"), ("50", "refuse"), (None, "needs_info")]
)
def test_money_compared_with_a_number(price: object, outcome: str) -> None:
    p = policy("""
clause r "Small returns"
  applies to return
  allow when product.price < 50
""")
    decision = decide(p, request={"kind": "return"}, product={"price": price})
    assert decision.outcome.value == outcome
    if outcome == "needs_info":
        assert decision.questions == ("How much was paid?",)


def test_is_known_and_text_membership() -> None:
    p = policy("""
clause r "Returns"
  applies to return
  refuse when product.label in ["final sale", "soldes"] or customer.email is unknown
  otherwise allow
""")
    sale = decide(p, request={"kind": "return"}, product={"label": "soldes"},
                  customer={"email": "a@b.c"})  # fmt: skip
    anonymous = decide(p, request={"kind": "return"}, product={"label": "new"})
    normal = decide(p, request={"kind": "return"}, product={"label": "new"},
                    customer={"email": "a@b.c"})  # fmt: skip
    assert [d.outcome.value for d in (sale, anonymous, normal)] == ["refuse", "refuse", "allow"]


def test_first_rule_that_holds_decides_and_otherwise_is_the_opposite() -> None:
    p = policy("""
clause r "Returns"
  applies to return
  refuse when product.worn
  allow when product.category = shoes
""")
    worn = decide(p, request={"kind": "return"}, product={"worn": True, "category": "shoes"})
    shoes = decide(p, request={"kind": "return"}, product={"worn": False, "category": "shoes"})
    food = decide(p, request={"kind": "return"}, product={"worn": False, "category": "food"})
    assert [d.outcome.value for d in (worn, shoes, food)] == ["refuse", "allow", "refuse"]


def test_a_rule_file_with_errors_cannot_be_loaded() -> None:
    with pytest.raises(RuleFileError) as raised:
        policy('clause r "R"\n  allow when product.colour = red\n')
    assert [d.code for d in raised.value.diagnostics] == ["PC201"]
    assert "unknown fact `product.colour`" in str(raised.value)


def test_an_exception_of_unknown_scope_that_refuses_too_settles_the_refusal() -> None:
    p = policy("""
group food_only: product.category = food
clause general "Returns"
  applies to return
  allow when request.date within 14 days after delivery.date
clause perishable "Food"
  applies to return of food_only
  exception to general
  otherwise refuse
""")
    late = decide(p, request={"kind": "return", "date": "2024-05-20"},
                  delivery={"date": "2024-03-16"})  # fmt: skip
    assert (late.outcome.value, late.clause.id) == ("refuse", "general")
    assert any(s.step == "precedence" and s.clause == "perishable" for s in late.trace)
    in_time = decide(p, request={"kind": "return", "date": "2024-03-20"},
                     delivery={"date": "2024-03-16"})  # fmt: skip
    assert in_time.outcome.value == "needs_info"
    assert in_time.missing_facts == ("product.category",)


def test_a_refusal_by_otherwise_alone_is_rigid_when_the_clause_says_so() -> None:
    p = policy("""
clause no_refund "No refunds"
  applies to refund
  otherwise refuse
  discretion supervisor
""")
    decision = decide(p, request={"kind": "refund"})
    assert (decision.outcome.value, decision.rigid) == ("refuse", True)
    assert decision.discretion == ("supervisor", "always")
    assert "every request the clause applies to" in decision.explanations["en"]
