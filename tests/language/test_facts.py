"""Date and date-time facts (issue 11 item 6): outside the supported years they are invalid facts
(PC506, naming the fact: 422, exit 2), never a CalendarError or an OverflowError; over the whole
range `datetime` allows, any offset, evaluation gives a Decision or FactsError."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from api_support import auth
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.settings import Settings
from policycheck import load_policy
from policycheck.calendar import MAX_YEAR, MIN_YEAR
from policycheck.evaluation.facts import FactsError
from policycheck.language.source import Source
from policycheck.policy import Policy, load_source

ROOT = Path(__file__).resolve().parents[2]
TOMTOM = load_policy(ROOT / "rules" / "tomtom-fr-2012.policy")
TOMTOM_VERSION = {
    "fact": "request.date",
    "version": "2012-06",
    "effective": {"from": "2012-01-01", "until": "2014-06-13"},
}
TIMES_TEXT = """\
policy times-2024 "Cancellations counted in hours and returns in business days"
  effective 2024-01-01
  timezone "Europe/Paris"

calendar ouvres: monday to friday, closed on public holidays of FR

facts
  request.kind: one of cancellation, return  "What does the customer ask for?"
  request.time: datetime                     "When did the customer ask?"
  order.time: datetime                       "When was the order placed?"
  delivery.date: date                        "When was the parcel delivered?"

clause cancel "Cancellation within 48 hours"
  applies to cancellation
  allow when request.time within 48 hours after order.time and request.time > 2020-01-01

clause ret "Returns within 10 business days"
  applies to return
  allow when request.time within 10 ouvres after delivery.date
"""
TIMES = load_source(Source("times.policy", TIMES_TEXT))


def tomtom_facts(request: str | None, delivery: str | None) -> dict[str, Any]:
    return {
        "request": {"kind": "cancellation", "date": request},
        "product": {"category": "device", "used": False, "original_packaging": True},
        "delivery": {"date": delivery, "postcode": "75011"},
    }


def problems(policy: Policy, facts: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(FactsError) as raised:
        policy.evaluate(facts)
    return [(p.code, p.fact) for p in raised.value.problems]


# -- the supported years -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1899-12-31",
        "2200-01-01",
        "0001-01-01",
        "9999-12-31",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-23:59",
        "1900-01-01T00:30+14:00",  # 1899 in Paris, the policy's time zone
        "2199-12-31T23:30-10:00",  # 2200 in Paris
    ],
)
def test_a_date_fact_outside_the_supported_years_is_pc506_naming_it(value: str) -> None:
    assert problems(TOMTOM, tomtom_facts("2012-04-10", value)) == [("PC506", "delivery.date")]
    assert problems(TOMTOM, tomtom_facts(value, "2012-04-04")) == [("PC506", "request.date")]


def test_every_date_out_of_range_is_reported_at_once() -> None:
    found = problems(TOMTOM, tomtom_facts("9999-12-31", "0001-01-01"))
    assert sorted(found) == [("PC506", "delivery.date"), ("PC506", "request.date")]


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00", "2199-12-31T23:59-10:00"]
)
def test_a_datetime_fact_outside_the_supported_years_is_pc506_naming_it(value: str) -> None:
    facts = {"request": {"kind": "cancellation", "time": value}}
    assert problems(TIMES, facts) == [("PC506", "request.time")]


def test_the_first_and_last_supported_days_are_facts_like_any_other() -> None:
    first, last = f"{MIN_YEAR}-01-01", f"{MAX_YEAR}-12-31"
    assert TOMTOM.evaluate(tomtom_facts(last, first)).outcome.value == "refuse"
    assert TOMTOM.evaluate(tomtom_facts(first, first)).outcome.value == "allow"


# -- hypothesis: the whole range datetime allows, through the evaluator and the API ---------------

offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).flatmap(
    lambda naive: offsets.map(lambda tz: naive.replace(tzinfo=tz).isoformat())
)
edges = st.sampled_from(
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-23:59",
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:59:59.999999+23:59",
        f"{MIN_YEAR}-01-01T00:00+14:00",
        f"{MAX_YEAR}-12-31T23:59-14:00",
    ]
)
days = st.dates(min_value=date.min, max_value=date.max).map(date.isoformat)
near_edges = st.one_of(
    st.dates(date(MIN_YEAR - 1, 12, 1), date(MIN_YEAR, 2, 1)),
    st.dates(date(MAX_YEAR, 11, 1), date(MAX_YEAR + 1, 1, 31)),
).map(date.isoformat)
any_date = st.one_of(days, near_edges, moments, edges)
any_time = st.one_of(moments, edges, near_edges.map(lambda d: f"{d}T12:00+02:00"))


def decided_or_invalid(policy: Policy, facts: dict[str, Any]) -> str:
    try:
        return policy.evaluate(facts).outcome.value
    except FactsError as invalid:
        codes = {p.code for p in invalid.problems}
    assert codes <= {"PC506", "PC507"}, codes
    return "invalid"


@given(any_date, any_date)
def test_any_date_or_datetime_gives_a_decision_or_invalid_facts(
    request: str, delivery: str
) -> None:
    decided_or_invalid(TOMTOM, tomtom_facts(request, delivery))


@given(st.sampled_from(["cancellation", "return"]), any_time, any_time, any_date)
def test_any_datetime_gives_a_decision_or_invalid_facts(
    kind: str, asked: str, ordered: str, delivered: str
) -> None:
    facts = {
        "request": {"kind": kind, "time": asked},
        "order": {"time": ordered},
        "delivery": {"date": delivered},
    }
    decided_or_invalid(TIMES, facts)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=any_date, delivery=any_date, asked=any_time, ordered=any_time)
def test_the_api_answers_a_decision_or_422_for_any_date(
    client: TestClient, settings: Settings, request: str, delivery: str, asked: str, ordered: str
) -> None:
    times = settings.rules_dir / "times.policy"
    if not times.exists():
        times.write_text(TIMES_TEXT, encoding="utf-8")
        assert client.post("/v1/policies/reload", headers=auth("admin")).status_code == 200
    for body in (
        {"policy": "tomtom-fr-2012", "facts": tomtom_facts(request, delivery)},
        {
            "policy": "times-2024",
            "facts": {
                "request": {"kind": "cancellation", "time": asked},
                "order": {"time": ordered},
            },
        },
    ):
        response = client.post("/v1/decisions", json=body, headers=auth("agent"))
        assert response.status_code in (200, 422), response.text
        if response.status_code == 422 and response.json()["code"] == "no_version_in_force":
            # TomTom's 2012 terms are in force from 2012-01-01 to 2014-06-13 only
            assert body["policy"] == "tomtom-fr-2012"
            assert response.json()["errors"] == [TOMTOM_VERSION]
        elif response.status_code == 422:
            out = response.json()
            assert out["code"] == "invalid_facts"
            assert {e["code"] for e in out["errors"]} <= {"PC506", "PC507"}


def test_the_api_names_the_fact_out_of_range(client: TestClient) -> None:
    body = {"policy": "tomtom-fr-2012", "facts": tomtom_facts("9999-12-31T23:59:59+00:00", None)}
    response = client.post("/v1/decisions", json=body, headers=auth("agent"))
    assert response.status_code == 422
    assert [(e["code"], e["fact"]) for e in response.json()["errors"]] == [
        ("PC506", "request.date")
    ]


def test_a_datetime_fact_keeps_the_offset_it_was_given() -> None:
    facts = TIMES.compiled.schema.validate({"request": {"time": "2024-01-10T09:00+05:00"}})
    moment = facts["request.time"]
    assert isinstance(moment, datetime)
    assert (moment.utcoffset(), moment.astimezone(UTC).hour) == (timedelta(hours=5), 4)
