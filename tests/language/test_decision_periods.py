"""A decision's deadline and margin: kept whenever the facts determine them, counted and labelled
in one unit, and a near-miss tolerance compared in its own unit (issue 11, items 2 and 3)."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import load_policy
from policycheck.evaluation.decision import Outcome
from policycheck.language.source import Source
from policycheck.policy import Policy, load_source

TOMTOM = load_policy(Path(__file__).resolve().parents[2] / "rules" / "tomtom-fr-2012.policy")

CALENDARS = {
    "ouvrables": "calendar ouvrables: monday to saturday, closed on public holidays of FR\n",
    "business": "calendar business: monday to friday, closed on public holidays of FR\n",
}
# The unit each period's margin is counted in, as a decision's JSON names it.
MARGIN_UNIT = {
    "days": "days",
    "francs": "francs",
    "ouvrables": "ouvrables",
    "business": "business",
    "weeks": "days",
    "months": "days",
    "years": "days",
}


@functools.cache
def returns(unit: str, count: int, tolerance: int | None = None) -> Policy:
    """Returns allowed within `count` `unit` of delivery; a near miss of `tolerance` waivable."""
    discretion = f"  discretion agent when late by at most {tolerance} {unit}\n"
    text = (
        'policy returns "Returns"\n  timezone "Europe/Paris"\n  language en\n'
        + CALENDARS.get(unit, "")
        + "facts\n  request.kind: one of return\n  request.date: date\n"
        + "  delivery.date: date\n  product.worn: bool\n"
        + 'clause r "Returns"\n  applies to return\n'
        + f"  allow when request.date within {count} {unit} after delivery.date"
        + " and not product.worn\n"
        + (discretion if tolerance is not None else "")
    )
    return load_source(Source(f"returns-{unit}.policy", text))


def asked(day: date, delivered: date, worn: bool | None = False) -> dict[str, Any]:
    return {
        "request": {"kind": "return", "date": day.isoformat()},
        "delivery": {"date": delivered.isoformat()},
        "product": {"worn": worn},
    }


# -- item 2: needs_info keeps a deadline it could compute ------------------------------------


def test_needs_info_keeps_the_deadline_and_margin_it_could_compute() -> None:
    """A device delivered Mon 29 Oct 2012 in Lille: 1 and 11 Nov skipped, last day Thu 15 Nov."""
    facts = {
        "request": {"kind": "cancellation", "date": "2012-11-12"},
        "product": {"category": "device", "original_packaging": True},
        "delivery": {"date": "2012-10-29", "postcode": "59000"},
    }
    decision = TOMTOM.evaluate(facts)
    out = decision.to_dict()
    assert (out["outcome"], out["clause"]["id"]) == ("needs_info", "a")
    assert out["missing_facts"] == ["product.used"]
    assert out["deadline"] == "2012-11-15"
    assert out["margin"] == {"value": 3, "unit": "ouvrables", "late": False}
    assert decision.deadline == date(2012, 11, 15)


def test_needs_info_without_a_determined_deadline_says_none() -> None:
    """Postcode unknown on a day the regions disagree: no single deadline to give."""
    facts = {
        "request": {"kind": "cancellation", "date": "2012-04-23"},
        "product": {"category": "device", "used": False, "original_packaging": True},
        "delivery": {"date": "2012-04-04"},
    }
    out = TOMTOM.evaluate(facts).to_dict()
    assert (out["outcome"], out["deadline"], out["margin"]) == ("needs_info", None, None)


def test_needs_info_for_the_request_date_still_gives_the_deadline() -> None:
    """The deadline depends on the delivery date alone: asking when the customer asked, the
    decision already says by when it had to be."""
    facts = asked(date(2024, 1, 20), date(2024, 1, 1))
    del facts["request"]["date"]
    out = returns("months", 1).evaluate(facts).to_dict()
    assert (out["outcome"], out["missing_facts"]) == ("needs_info", ["request.date"])
    assert (out["deadline"], out["margin"]) == ("2024-02-01", None)
    unknown_delivery = asked(date(2024, 1, 20), date(2024, 1, 1))
    del unknown_delivery["delivery"]["date"]
    assert returns("months", 1).evaluate(unknown_delivery).deadline is None


def test_needs_info_in_time_gives_the_deadline_and_margin() -> None:
    decision = returns("months", 1).evaluate(asked(date(2024, 1, 20), date(2024, 1, 1), None))
    assert (decision.outcome, decision.missing_facts) == (Outcome.NEEDS_INFO, ("product.worn",))
    assert decision.to_dict()["margin"] == {"value": 12, "unit": "days", "late": False}


# -- item 3: margins in the unit they are counted in, tolerances in their own unit -----------


@pytest.mark.parametrize(
    ("unit", "delivered", "day", "margin"),
    [
        ("months", "2024-01-01", "2024-03-11", 10),  # 2 months end Fri 1 Mar
        ("weeks", "2024-01-01", "2024-01-25", 10),  # 2 weeks end Mon 15 Jan
        ("years", "2024-01-01", "2026-01-11", 10),  # 2 years end Thu 1 Jan 2026
    ],
)
def test_a_request_10_days_late_on_a_period_in_weeks_months_or_years(
    unit: str, delivered: str, day: str, margin: int
) -> None:
    """Labelled in days (as counted), and a near miss within a tolerance of 1 unit (or 2 weeks)."""
    tolerance = 2 if unit == "weeks" else 1
    decision = returns(unit, 2, tolerance).evaluate(
        asked(date.fromisoformat(day), date.fromisoformat(delivered))
    )
    out = decision.to_dict()
    assert out["outcome"] == "refuse"
    assert out["margin"] == {"value": margin, "unit": "days", "late": True}
    assert (out["rigid"], out["discretion"]) == (True, {"level": "agent", "reason": "near_miss"})
    periods = [step for step in out["trace"] if "margin" in step]
    assert [step["margin"] for step in periods] == [out["margin"]]


def test_a_request_more_than_a_month_late_is_firm() -> None:
    """2 months from 31 Jan 2024 end 31 Mar; 3 months end 30 Apr: 1 May is beyond 1 month."""
    policy = returns("months", 2, 1)
    within = policy.evaluate(asked(date(2024, 4, 30), date(2024, 1, 31))).to_dict()
    beyond = policy.evaluate(asked(date(2024, 5, 1), date(2024, 1, 31))).to_dict()
    assert (within["margin"], within["rigid"]) == (
        {"value": 30, "unit": "days", "late": True},
        True,
    )
    assert (beyond["margin"], beyond["rigid"]) == (
        {"value": 31, "unit": "days", "late": True},
        False,
    )


UNITS = sorted(MARGIN_UNIT)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(UNITS),
    st.integers(0, 12),
    st.integers(0, 4),
    st.dates(date(2000, 1, 1), date(2080, 12, 31)),
    st.integers(0, 1500),
)
def test_margins_and_tolerances_in_every_unit(
    unit: str, count: int, tolerance: int, delivered: date, days_after: int
) -> None:
    """The margin is labelled with the unit it is counted in; a late request is rigid exactly
    when the period `tolerance` units longer would have allowed it."""
    day = delivered + timedelta(days=days_after)
    out = returns(unit, count, tolerance).evaluate(asked(day, delivered)).to_dict()
    margin = out["margin"]
    assert margin["unit"] == MARGIN_UNIT[unit]
    assert margin["late"] is (out["outcome"] == "refuse")
    assert margin["late"] is (day > date.fromisoformat(out["deadline"]))
    if MARGIN_UNIT[unit] == "days":  # calendar days from the last day
        assert margin["value"] == abs((day - date.fromisoformat(out["deadline"])).days)
    if out["outcome"] == "refuse":
        longer = returns(unit, count + tolerance).evaluate(asked(day, delivered))
        assert out["rigid"] is (longer.outcome is Outcome.ALLOW)
