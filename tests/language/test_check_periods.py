"""Periods and dates the calendar cannot count (issue 11 item 8): located diagnostics when the
rule file shows them (PC107 dates, PC314 periods, PC304 hours from a date), invalid facts (PC507)
when only the request's dates do; never a CalendarError."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from api_support import auth
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.calendar import MAX_YEAR, MIN_YEAR, Unit
from policycheck.evaluation.facts import FactsError
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.source import Source, Span
from policycheck.language.symbols import longest_period
from policycheck.policy import Policy, diagnose

HEAD = """\
policy periods "Periods"
  effective 2020-01-01
  timezone "Europe/Paris"

calendar ouvrables: monday to saturday, closed on public holidays of FR

facts
  request.kind: one of cancellation, return  "What does the customer ask for?"
  request.date: date                         "When did the customer ask?"
  delivery.date: date                        "When was the parcel delivered?"
  request.time: datetime                     "When exactly did the customer ask?"
"""
LINE = HEAD.count("\n") + 4  # the clause's `allow when` line
INDENT = len("  allow when ")


def rule_file(condition: str, extra: str = "") -> str:
    return (
        HEAD
        + f"""
clause a "Returns"
  applies to return
  allow when {condition}
  otherwise refuse
{extra}"""
    )


def diagnostics_of(text: str) -> tuple[Any, list[Diagnostic]]:
    return diagnose(Source("t.policy", text), analysis=True)


def errors(text: str) -> list[tuple[str, Span]]:
    compiled, found = diagnostics_of(text)
    errors = [(d.code, d.span) for d in found if d.severity.value == "error"]
    assert (compiled is None) == bool(errors)
    return errors


def columns(condition: str, part: str) -> tuple[int, int]:
    start = INDENT + condition.index(part) + 1
    return start, start + len(part)


# -- periods longer than the supported years: PC314 at the count ----------------------------------


@pytest.mark.parametrize(
    ("count", "unit"),
    [("10000000000", "months"), ("300", "years"), ("109573", "days"), ("100000", "ouvrables")],
)
def test_a_period_longer_than_the_supported_years_is_pc314_at_its_count(
    count: str, unit: str
) -> None:
    condition = f"request.date within {count} {unit} after delivery.date"
    start, end = columns(condition, count)
    assert errors(rule_file(condition)) == [("PC314", Span(LINE, start, LINE, end))]


def test_the_longest_periods_that_fit_check_clean() -> None:
    for unit, word in [(Unit.YEARS, "years"), (Unit.MONTHS, "months"), (Unit.DAYS, "days")]:
        condition = f"request.date within {longest_period(unit)} {word} after delivery.date"
        assert errors(rule_file(condition)) == []


def test_a_near_miss_tolerance_longer_than_the_supported_years_is_pc314() -> None:
    text = rule_file(
        "request.date within 14 ouvrables after delivery.date",
        "  discretion agent when late by at most 1000000 ouvrables\n",
    )
    assert [code for code, _ in errors(text)] == ["PC314"]
    assert errors(text)[0][1].line == LINE + 2


def test_a_period_from_a_date_written_in_the_file_must_end_in_the_supported_years() -> None:
    condition = f"request.date within 14 days after {MAX_YEAR}-12-30"
    start, end = columns(condition, "14")
    assert errors(rule_file(condition)) == [("PC314", Span(LINE, start, LINE, end))]
    backwards = f"request.date within 3 months before {MIN_YEAR}-02-01"
    assert [code for code, _ in errors(rule_file(backwards))] == ["PC314"]


def test_a_period_in_hours_from_a_date_is_pc304() -> None:
    condition = "request.time within 48 hours after delivery.date"
    start, end = columns(condition, "delivery.date")
    assert errors(rule_file(condition)) == [("PC304", Span(LINE, start, LINE, end))]


# -- dates written in the rule file: PC107 where they are -----------------------------------------


@pytest.mark.parametrize(
    "day", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31", "9999-12-31T23:59+14:00"]
)
def test_a_date_outside_the_supported_years_is_pc107_where_it_is_written(day: str) -> None:
    example = f"""
example "odd"
  given request.kind = return, request.time = {day}
  expect refuse
"""
    text = rule_file("request.date < 2100-01-01", example)
    line = text.splitlines().index(f"  given request.kind = return, request.time = {day}") + 1
    column = len("  given request.kind = return, request.time = ") + 1
    if "T" in day:
        assert errors(text) == [("PC107", Span(line, column, line, column + len(day)))]
    else:
        assert ("PC107", Span(line, column, line, column + len(day))) in errors(text)
    condition = f"request.date < {day[:10]}"
    start, end = columns(condition, day[:10])
    assert errors(rule_file(condition)) == [("PC107", Span(LINE, start, LINE, end))]


def test_an_effective_period_ending_in_9999_is_pc107_with_a_hint() -> None:
    text = rule_file("request.date < 2100-01-01").replace(
        "effective 2020-01-01", "effective 2020-01-01 until 9999-12-31"
    )
    _, found = diagnostics_of(text)
    assert [(d.code, d.span) for d in found if d.severity.value == "error"] == [
        ("PC107", Span(2, 30, 2, 40))
    ]
    assert "until" in found[0].help


# -- periods that fit the years but not from every request's dates: PC507, naming the fact --------


def test_a_period_reaching_past_the_supported_years_from_the_facts_is_pc507() -> None:
    compiled, found = diagnostics_of(rule_file("request.date within 100 years after delivery.date"))
    assert compiled is not None, found
    policy = Policy(compiled)
    facts = {
        "request": {"kind": "return", "date": "2150-01-01"},
        "delivery": {"date": "2150-01-01"},
    }
    with pytest.raises(FactsError) as raised:
        policy.evaluate(facts)
    assert [(p.code, p.fact) for p in raised.value.problems] == [("PC507", "delivery.date")]
    facts["delivery"] = {"date": "2050-01-01"}
    assert policy.evaluate(facts).outcome.value == "allow"


units = st.sampled_from(["days", "ouvrables", "francs", "weeks", "months", "years"])
counts = st.one_of(st.integers(0, 400), st.integers(0, 200_000), st.integers(0, 10**12))
supported = st.dates(date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31))


@settings(max_examples=60)
@given(counts, units, st.sampled_from(["after", "before"]), supported, supported)
def test_any_period_gives_a_diagnostic_or_a_policy_that_decides(
    count: int, unit: str, direction: str, asked: Any, delivered: Any
) -> None:
    text = rule_file(f"request.date within {count} {unit} {direction} delivery.date")
    compiled, found = diagnostics_of(text)
    if compiled is None:
        assert [d.code for d in found if d.severity.value == "error"] == ["PC314"]
        return
    facts = {
        "request": {"kind": "return", "date": asked.isoformat()},
        "delivery": {"date": delivered.isoformat()},
    }
    try:
        outcome = Policy(compiled).evaluate(facts).outcome.value
    except FactsError as invalid:
        outcome = ",".join(f"{p.code} {p.fact}" for p in invalid.problems)
    assert outcome in ("allow", "refuse", "PC507 delivery.date")


def test_the_api_reports_uncountable_periods_as_diagnostics(client: TestClient) -> None:
    for condition, code in [
        ("request.date within 10000000000 months after delivery.date", "PC314"),
        ("request.date within 14 days after 0001-01-01", "PC107"),
        ("request.date < 9999-12-31", "PC107"),
    ]:
        response = client.post(
            "/v1/policies/check", json={"text": rule_file(condition)}, headers=auth("legal")
        )
        assert response.status_code == 200, response.text
        assert [d["code"] for d in response.json()["diagnostics"]] == [code]
