"""`customer timezone of FR at delivery.postcode`: its syntax, its diagnostics, and decisions
read on the customer's clock; an hour period's deadline as an instant with its offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.calendar.regions import country_timezones
from policycheck.evaluation.clock import gives_time
from policycheck.evaluation.facts import FactSchema
from policycheck.language import nodes
from policycheck.language.build import build
from policycheck.language.formatter import format_rule_file
from policycheck.language.source import Source
from policycheck.language.syntax import parse
from policycheck.policy import Policy, diagnose, load_source

HEADER = """policy shop-2012 "Shop"
  timezone "Europe/Paris"
  customer timezone of FR at delivery.postcode
  language fr
calendar ouvrables: monday to saturday, closed on public holidays of FR at delivery.postcode
facts
  request.kind: one of cancellation
  request.date: date
  request.at: datetime
  order.placed_at: datetime
  delivery.date: date
  delivery.postcode: text "What is the postcode of the delivery address?"
"""

DAYS = (
    HEADER
    + """
clause a "Cancellation"
  applies to cancellation
  allow when request.date within 14 ouvrables after delivery.date
"""
)

HOURS = (
    HEADER
    + """
clause a "Cancellation"
  applies to cancellation
  allow when request.at within 24 hours after order.placed_at
"""
)


def policy(text: str) -> Policy:
    return load_source(Source("clock.policy", text))


def cancel(p: Policy, *, proposed: dict[str, Any] | None = None, **sections: Any) -> Any:
    facts = {"request": {"kind": "cancellation", **sections.pop("request", {})}, **sections}
    return p.evaluate(facts, proposed)


def format_source(source: Source) -> str:
    tree, _ = parse(source)
    assert tree is not None
    rule_file, _ = build(tree, source)
    return format_rule_file(rule_file, source)


def codes(text: str) -> list[tuple[str, int, int]]:
    _, found = diagnose(Source("clock.policy", text))
    return [(d.code, d.span.line, d.span.col) for d in found]


# -- syntax ---------------------------------------------------------------------------------------


def test_the_header_line_builds_a_customer_zone() -> None:
    header = policy(DAYS).compiled.header
    assert isinstance(header.customer_zone, nodes.CustomerZone)
    assert (header.customer_zone.country, header.customer_zone.region_fact.name) == (
        "FR",
        "delivery.postcode",
    )


def test_the_formatter_keeps_the_line_next_to_the_timezone() -> None:
    messy = DAYS.replace(
        "  customer timezone of FR at delivery.postcode\n",
        "  customer   timezone of FR\n    at delivery.postcode\n",
    )
    formatted = format_source(Source("clock.policy", messy))
    lines = formatted.splitlines()
    at = lines.index('  timezone "Europe/Paris"')
    assert lines[at + 1] == "  customer timezone of FR at delivery.postcode"
    assert format_source(Source("clock.policy", formatted)) == formatted


def test_customer_is_still_a_name_elsewhere() -> None:
    text = DAYS.replace("  delivery.date: date\n", "  delivery.date: date\n  customer.name: text\n")
    assert [c for c, _, _ in codes(text)] == []


@pytest.mark.parametrize(
    ("line", "code", "column"),
    [
        ("customer timezone of FR at delivery.postcod", "PC201", 30),
        ("customer timezone of FR at delivery.date", "PC308", 30),
        ("customer timezone of XX at delivery.postcode", "PC310", 24),
        ("customer timezone of US at delivery.postcode", "PC416", 24),
    ],
)
def test_a_bad_customer_zone_is_a_located_diagnostic(line: str, code: str, column: int) -> None:
    text = DAYS.replace("customer timezone of FR at delivery.postcode", line)
    assert (code, 3, column) in codes(text)


def test_a_country_with_one_zone_gives_it_to_every_region() -> None:
    text = DAYS.replace("of FR at", "of BE at").replace("holidays of FR", "holidays of BE")
    assert [c for c, _, _ in codes(text)] == []


def test_an_unknown_policy_zone_suggests_the_nearest() -> None:
    text = DAYS.replace('"Europe/Paris"', '"America/Guadeloup"')
    _, found = diagnose(Source("clock.policy", text))
    [problem] = [d for d in found if d.code == "PC406"]
    assert problem.help == "did you mean `America/Guadeloupe`?"
    assert (problem.span.line, problem.span.col) == (2, 3)


# -- facts ----------------------------------------------------------------------------------------


def test_the_schema_reads_a_date_time_in_the_zone_it_is_given() -> None:
    schema = FactSchema(policy(DAYS).compiled.rule_file.facts, ZoneInfo("Europe/Paris"))
    facts = {"request": {"date": "2012-09-19T20:00-04:00", "at": "2012-09-19T20:00"}}
    paris = schema.validate(facts)
    guadeloupe = schema.validate(facts, ZoneInfo("America/Guadeloupe"))
    assert paris["request.date"] == date(2012, 9, 20)
    assert guadeloupe["request.date"] == date(2012, 9, 19)
    assert guadeloupe["request.at"] == datetime(
        2012, 9, 19, 20, tzinfo=ZoneInfo("America/Guadeloupe")
    )
    assert gives_time(schema, facts)
    assert not gives_time(schema, {"request": {"date": "2012-09-19"}})


# -- decisions ------------------------------------------------------------------------------------

EVENING = "2012-09-19T20:00-04:00"  # Wednesday 19 September, 20:00 in Guadeloupe; 02:00 in Paris


def test_guadeloupe_writes_at_20h_on_the_last_day_and_is_in_time() -> None:
    decision = cancel(
        policy(DAYS),
        request={"date": EVENING},
        delivery={"date": "2012-09-03", "postcode": "97110"},
    )
    assert (decision.outcome.value, decision.deadline) == ("allow", date(2012, 9, 19))
    assert decision.facts["request.date"] == date(2012, 9, 19)


def test_the_same_instant_from_paris_is_a_day_late() -> None:
    decision = cancel(
        policy(DAYS),
        request={"date": EVENING},
        delivery={"date": "2012-09-03", "postcode": "75011"},
    )
    assert decision.outcome.value == "refuse"
    assert decision.margin is not None
    assert (decision.margin.value, decision.margin.late) == (1, True)


def test_without_the_header_line_the_policy_zone_reads_it() -> None:
    plain = policy(DAYS.replace("  customer timezone of FR at delivery.postcode\n", ""))
    decision = cancel(
        plain, request={"date": EVENING}, delivery={"date": "2012-09-03", "postcode": "97110"}
    )
    assert decision.outcome.value == "refuse"


def test_la_reunion_is_a_day_ahead_for_a_delivery_after_local_midnight() -> None:
    facts = {"date": "2012-04-05T01:00+04:00"}  # 4 April, 23:00 in Paris
    reunion = cancel(
        policy(DAYS), request={"date": "2012-04-23"}, delivery={**facts, "postcode": "97400"}
    )
    paris = cancel(
        policy(DAYS), request={"date": "2012-04-23"}, delivery={**facts, "postcode": "75011"}
    )
    assert (reunion.outcome.value, reunion.deadline) == ("allow", date(2012, 4, 23))
    assert (paris.outcome.value, paris.deadline) == ("refuse", date(2012, 4, 21))


def test_the_customers_reading_stands_both_ways() -> None:
    # 01:00 on Sunday 22 April in La Réunion is 23:00 on Saturday 21 April, the last day, in Paris:
    # by her own clock she wrote a day late.
    decision = cancel(
        policy(DAYS),
        request={"date": "2012-04-22T01:00+04:00"},
        delivery={"date": "2012-04-04", "postcode": "97400"},
    )
    assert (decision.outcome.value, decision.deadline) == ("refuse", date(2012, 4, 21))


def test_unknown_postcode_where_the_zones_disagree_asks_for_it() -> None:
    decision = cancel(
        policy(DAYS),
        request={"date": EVENING},
        delivery={"date": "2012-09-03"},
        proposed={"outcome": "refuse", "clause": "a"},
    )
    assert decision.outcome.value == "needs_info"
    assert decision.missing_facts == ("delivery.postcode",)
    assert decision.questions == ("What is the postcode of the delivery address?",)
    assert (decision.clause.id, decision.deadline) == ("a", date(2012, 9, 19))
    assert decision.proposal is not None
    assert not decision.proposal.agrees
    assert "delivery postcode" in decision.explanation
    assert decision.explanations["en"].endswith(
        "The answer depends on the customer's time zone, given by the delivery postcode: "
        "the request date is 20 September 2012 in Europe/Paris, 19 September 2012 in "
        "America/Guadeloupe."
    )
    assert decision.to_dict()["outcome"] == "needs_info"


def test_the_words_of_a_doubt_mask_a_personal_date() -> None:
    text = DAYS.replace("  request.date: date\n", "  request.date: date personal\n")
    decision = cancel(policy(text), request={"date": EVENING}, delivery={"date": "2012-09-03"})
    assert decision.outcome.value == "needs_info"
    assert "request date : *** selon Europe/Paris, *** selon" in decision.explanations["fr"]
    assert "2012-09-19" not in decision.explanations["fr"].split("fuseau")[1]
    assert "19 septembre" not in decision.explanations["fr"].split("fuseau")[1]


def test_an_unreadable_postcode_is_an_unknown_region() -> None:
    decision = cancel(
        policy(DAYS), request={"date": EVENING}, delivery={"date": "2012-09-03", "postcode": "9"}
    )
    assert decision.outcome.value == "needs_info"
    assert decision.missing_facts == ("delivery.postcode",)


def test_unknown_postcode_where_every_zone_agrees_decides() -> None:
    decision = cancel(
        policy(DAYS),
        request={"date": "2012-09-19T12:00+02:00"},
        delivery={"date": "2012-09-03"},
        proposed={"outcome": "allow", "clause": "a"},
    )
    assert (decision.outcome.value, decision.deadline) == ("allow", date(2012, 9, 19))
    assert decision.proposal is not None
    assert decision.proposal.agrees


def test_unknown_postcode_same_answer_different_deadlines_gives_no_deadline() -> None:
    # Delivered at 23:30 in Paris: the 4th in Paris and the west, the 5th from Mayotte eastwards.
    decision = cancel(
        policy(DAYS),
        request={"date": "2012-04-10"},
        delivery={"date": "2012-04-04T23:30+02:00"},
    )
    assert (decision.outcome.value, decision.deadline, decision.margin) == ("allow", None, None)


# -- periods in hours: the deadline is an instant with its offset ---------------------------------


def test_an_hour_deadline_is_an_instant_in_the_customers_zone() -> None:
    decision = cancel(
        policy(HOURS),
        request={"at": "2024-03-31T09:00:00+02:00"},
        order={"placed_at": "2024-03-30T10:00:00+01:00"},
        delivery={"postcode": "97400"},
    )
    assert decision.outcome.value == "allow"
    assert decision.deadline == datetime.fromisoformat("2024-03-31T13:00:00+04:00")
    out = decision.to_dict()
    assert out["deadline"] == "2024-03-31T13:00:00+04:00"
    [condition] = [s for s in out["trace"] if s["step"] == "condition"]
    assert condition["deadline"] == "2024-03-31T13:00:00+04:00"
    assert "31 mars 2024 à 13:00 (UTC+04:00)" in decision.explanations["fr"]
    assert "31 March 2024 at 13:00 (UTC+04:00)" in decision.explanations["en"]


def test_an_hour_deadline_in_the_policy_zone_keeps_its_summer_offset() -> None:
    plain = policy(HOURS.replace("  customer timezone of FR at delivery.postcode\n", ""))
    decision = cancel(
        plain,
        request={"at": "2024-03-31T14:00:00+02:00"},
        order={"placed_at": "2024-03-30T12:00:00+01:00"},
    )
    assert decision.outcome.value == "refuse"
    assert decision.to_dict()["deadline"] == "2024-03-31T13:00:00+02:00"  # 24 h across the DST


def test_a_day_deadline_stays_a_date() -> None:
    decision = cancel(
        policy(DAYS),
        request={"date": EVENING},
        delivery={"date": "2012-09-03", "postcode": "97110"},
    )
    assert decision.to_dict()["deadline"] == "2012-09-19"


def test_expect_deadline_of_an_hour_period_is_its_local_day() -> None:
    text = (
        HOURS
        + """
example "24 hours, read in La Réunion"
  given request.kind = cancellation, request.at = 2024-03-31T09:00+02:00,
        order.placed_at = 2024-03-30T10:00+01:00, delivery.postcode = "97400"
  expect allow under a
  expect deadline 2024-03-31
"""
    )
    p = policy(text)
    [example] = p.examples
    assert p.run_example(example).failures == ()


# -- properties on the shipped TomTom terms -------------------------------------------------------

TOMTOM = load_source(
    Source.read(Path(__file__).resolve().parents[2] / "rules/tomtom-fr-2012.policy")
)
ZONE_OF = {
    "75011": "Europe/Paris",
    "67000": "Europe/Paris",
    "97110": "America/Guadeloupe",
    "97400": "Indian/Reunion",
    "98700": "Pacific/Tahiti",
    "98800": "Pacific/Noumea",
}
moments = st.builds(
    lambda day, minutes, offset: (
        datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)
    ).astimezone(timezone(timedelta(minutes=15 * offset))),
    st.dates(date(2012, 1, 1), date(2013, 12, 31)),
    st.integers(0, 24 * 60 - 1),
    st.integers(-12 * 4, 14 * 4),
)


def _tomtom_facts(asked: datetime, delivered: datetime | str, postcode: str | None) -> Any:
    delivery = {"date": delivered if isinstance(delivered, str) else delivered.isoformat()}
    return {
        "request": {"kind": "cancellation", "date": asked.isoformat()},
        "product": {"category": "device", "used": False, "original_packaging": True},
        "delivery": delivery | ({"postcode": postcode} if postcode else {}),
    }


@given(moments, moments, st.sampled_from(sorted(ZONE_OF)))
def test_a_date_time_decides_as_the_customers_local_day_would(
    asked: datetime, delivered: datetime, postcode: str
) -> None:
    zone = ZoneInfo(ZONE_OF[postcode])
    with_time = TOMTOM.evaluate(_tomtom_facts(asked, delivered, postcode))
    local = _tomtom_facts(asked, delivered, postcode)
    local["request"]["date"] = asked.astimezone(zone).date().isoformat()
    local["delivery"]["date"] = delivered.astimezone(zone).date().isoformat()
    as_days = TOMTOM.evaluate(local)
    assert (with_time.outcome, with_time.clause, with_time.deadline, with_time.margin) == (
        as_days.outcome,
        as_days.clause,
        as_days.deadline,
        as_days.margin,
    )


@given(moments, st.dates(date(2012, 1, 1), date(2013, 12, 31)))
def test_an_unknown_address_decides_or_asks_for_it(asked: datetime, delivered: date) -> None:
    decision = TOMTOM.evaluate(_tomtom_facts(asked, delivered.isoformat(), None))
    if decision.outcome.value == "needs_info":
        assert decision.missing_facts == ("delivery.postcode",)
        return
    days = {asked.astimezone(ZoneInfo(name)).date() for name in country_timezones("FR")}
    for day in days:  # every French clock would have given this answer
        facts = _tomtom_facts(asked, delivered.isoformat(), None)
        facts["request"]["date"] = day.isoformat()
        assert TOMTOM.evaluate(facts).outcome == decision.outcome


def test_a_doubt_between_the_law_and_the_terms_asks_for_the_address() -> None:
    # 20:00 in Guadeloupe on the last of the 7 jours francs; the next day in Paris: the law
    # allows on one clock, the terms refuse on the other.
    facts = _tomtom_facts(datetime.fromisoformat("2012-09-10T20:00-04:00"), "2012-09-03", None)
    facts["product"]["used"] = True
    decision = TOMTOM.evaluate(facts)
    assert decision.outcome.value == "needs_info"
    assert decision.missing_facts == ("delivery.postcode",)
    assert (decision.clause, decision.layer, decision.terms, decision.law) == (
        None,
        "contract",
        None,
        None,
    )
    facts["delivery"]["postcode"] = "97110"
    guadeloupe = TOMTOM.evaluate(facts)
    assert (guadeloupe.outcome.value, guadeloupe.layer) == ("allow", "law")
