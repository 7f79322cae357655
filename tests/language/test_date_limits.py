"""Last days that terms of sale write (issue 14, item 3): `on or before` a date, a day of the
year after (or of) another date, the later or earlier of two limits, and windows of days of any
year (`between 1 november and 24 december`)."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.evaluation.decision import Outcome
from policycheck.evaluation.facts import FactsError
from policycheck.language import nodes
from policycheck.language.build import build
from policycheck.language.formatter import format_rule_file
from policycheck.language.source import Source
from policycheck.language.syntax import parse
from policycheck.policy import Policy, diagnose, load_source
from tests.language.test_formatter import rule_file, shape

HEADER = """policy holiday-returns "Holiday returns"
  timezone "America/New_York"
  language en

facts
  request.kind: one of return
  request.date: date
  request.at: datetime
  delivery.date: date
  delivery.at: datetime
  order.total: number
"""
LATER = (
    "request.date on or before the later of 30 calendar_days after delivery.date "
    "and 31 january of the year after delivery.date"
)
EARLIER = LATER.replace("the later of", "the earlier of")
FIXED = "request.date on or before 2010-01-31"
YEARLY = "request.date on or before 31 January of the year after delivery.date"
YEARLY_OF = "request.date on or before 29 february of the year of delivery.date"
WINDOW = "delivery.date between 15 december and 15 january"
FORMS = [LATER, EARLIER, FIXED, YEARLY, YEARLY_OF]


@functools.cache
def policy(condition: str, tolerance: str = "") -> Policy:
    """Returns allowed when `condition` holds; `tolerance`: a near miss an agent may waive."""
    text = HEADER + f'\nclause r "Returns"\n  applies to return\n  allow when {condition}\n'
    if tolerance:
        text += f"  discretion agent when late by at most {tolerance}\n"
    return load_source(Source("holiday.policy", text))


def asked(returned: Any, delivered: Any = None, **more: Any) -> dict[str, Any]:
    request = {"kind": "return"} | ({"date": str(returned)} if returned is not None else {})
    delivery = {"date": str(delivered)} if delivered is not None else {}
    facts: dict[str, Any] = {"request": request | more.get("request", {})}
    facts["delivery"] = delivery | more.get("delivery", {})
    return facts


def decided(condition: str, *args: Any, tolerance: str = "", **more: Any) -> dict[str, Any]:
    return policy(condition, tolerance).evaluate(asked(*args, **more)).to_dict()


def condition_of(text: str) -> nodes.Expr:
    source = Source("t.policy", HEADER + f'clause r "R"\n  allow when {text}\n')
    tree, problems = parse(source)
    assert tree is not None, [p.message for p in problems]
    rule_file, problems = build(tree, source)
    assert problems == []
    return rule_file.clauses[0].rules[0].expr


def problems(condition: str) -> list[tuple[str, str, int, int]]:
    text = HEADER + f'\nclause r "Returns"\n  applies to return\n  allow when {condition}\n'
    _, found = diagnose(Source("t.policy", text))
    return [(d.code, d.message, d.span.line, d.span.col) for d in found]


# -- the syntax ------------------------------------------------------------------------------------


def test_a_date_is_a_last_day() -> None:
    expr = condition_of(FIXED)
    assert isinstance(expr, nodes.OnOrBefore)
    assert expr.limits == (nodes.FixedLimit(date(2010, 1, 31), expr.limits[0].span),)


def test_a_day_of_the_year_after_or_of_a_date_in_either_case() -> None:
    after, of = condition_of(YEARLY), condition_of(YEARLY_OF)
    assert isinstance(after, nodes.OnOrBefore)
    assert isinstance(of, nodes.OnOrBefore)
    first, second = after.limits[0], of.limits[0]
    assert isinstance(first, nodes.YearlyLimit)
    assert isinstance(second, nodes.YearlyLimit)
    assert (first.day.day, first.day.month, first.years_after) == (31, 1, 1)
    assert (second.day.day, second.day.month, second.years_after) == (29, 2, 0)
    assert first.anchor == nodes.Ref("delivery.date", first.anchor.span)


def test_the_later_and_the_earlier_of_two_limits() -> None:
    later, earlier = condition_of(LATER), condition_of(EARLIER)
    assert isinstance(later, nodes.OnOrBefore)
    assert isinstance(earlier, nodes.OnOrBefore)
    assert (later.later, earlier.later) == (True, False)
    period, yearly = later.limits
    assert isinstance(period, nodes.PeriodLimit)
    assert isinstance(yearly, nodes.YearlyLimit)
    assert (period.count, period.unit, period.before) == (30, "calendar_days", False)


def test_a_limit_inside_a_chain_of_and() -> None:
    expr = condition_of(f"{LATER} and order.total < 100 and {WINDOW}")
    assert isinstance(expr, nodes.And)
    assert [type(item).__name__ for item in expr.items] == ["OnOrBefore", "Compare", "Between"]


def test_a_window_of_days_of_any_year() -> None:
    expr = condition_of("delivery.date between 1 November and 24 december")
    assert isinstance(expr, nodes.Between)
    assert ((expr.first.day, expr.first.month), (expr.last.day, expr.last.month)) == (
        (1, 11),
        (24, 12),
    )


def test_new_keywords_stay_usable_as_names() -> None:
    assert isinstance(condition_of("later.x and between.y"), nodes.And)


@pytest.mark.parametrize("condition", [*FORMS, WINDOW, f"not {LATER} or {WINDOW}"])
def test_formatting_prints_the_same_tree_and_is_idempotent(condition: str) -> None:
    text = HEADER + f'clause r "R"\n  allow when {condition}\n'
    source = Source("t.policy", text)
    tree, _ = parse(source)
    assert tree is not None
    once = format_rule_file(build(tree, source)[0], source)
    assert "31 January" not in once  # months are printed in lowercase
    again = Source("t.policy", once)
    reparsed, _ = parse(again)
    assert reparsed is not None
    assert format_rule_file(build(reparsed, again)[0], again) == once
    assert shape(rule_file(once)) == shape(rule_file(text))


# -- checking --------------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", [*FORMS, WINDOW])
def test_each_form_checks_clean(condition: str) -> None:
    assert problems(condition) == []


def test_an_impossible_day_is_located_with_a_hint() -> None:
    text = HEADER + '\nclause r "R"\n  allow when request.date on or before 31 february of the '
    text += "year of delivery.date\n"
    _, found = diagnose(Source("t.policy", text))
    assert [(d.code, d.span.line, d.span.col, d.span.end_col) for d in found] == [
        ("PC105", 14, 40, 51)
    ]
    assert "29 days" in found[0].help


def test_29_february_is_a_day_and_a_misspelt_month_is_named() -> None:
    _, found = diagnose(
        Source("t.policy", HEADER + 'clause r "R"\n  allow when delivery.date between 29 february'
               " and 1 Marhc\n")
    )  # fmt: skip
    assert [(d.code, d.help) for d in found] == [("PC208", "did you mean `march`?")]


def test_subject_and_anchors_must_be_dates() -> None:
    found = problems(
        "order.total on or before the later of 3 days after order.total and 1 may of the "
        "year of order.total"
    )
    assert [code for code, *_ in found] == ["PC304", "PC304", "PC304"]
    assert [column for *_, column in found] == [14, 65, 102]
    assert problems("order.total between 1 may and 2 may")[0][:2] == (
        "PC304",
        "`between` needs dates, and `order.total` is a number",
    )


def test_a_period_in_hours_needs_dates_and_times() -> None:
    assert [c for c, *_ in problems(LATER.replace("30 calendar_days", "48 hours"))] == [
        "PC304",
        "PC304",
    ]
    timed = "request.at on or before the later of 48 hours after delivery.at and 2025-12-31"
    assert problems(timed) == []


def test_a_near_miss_counts_a_last_day_as_a_period() -> None:
    text = HEADER + f'\nclause r "Returns"\n  applies to return\n  allow when {FIXED}\n'
    text += "  discretion agent when late by at most 3 days\n"
    assert diagnose(Source("t.policy", text))[1] == []


# -- evaluation ------------------------------------------------------------------------------------


def test_the_later_of_a_period_and_the_31st_of_january() -> None:
    early = decided(LATER, "2026-01-20", "2025-11-20")
    assert (early["outcome"], early["deadline"]) == ("allow", "2026-01-31")
    assert early["margin"] == {"value": 11, "unit": "days", "late": False}
    # delivered after the holidays: 30 days run to 27 January, 31 January is later still
    late = decided(LATER, "2026-01-30", "2025-12-28")
    assert (late["outcome"], late["deadline"]) == ("allow", "2026-01-31")
    # delivered in mid-January: 30 days end after 31 January of the next year? No: of this one
    january = decided(LATER, "2026-02-20", "2026-01-15")
    assert (january["outcome"], january["deadline"]) == ("allow", "2027-01-31")


def test_the_earlier_of_is_late_by_the_period_and_waivable() -> None:
    out = decided(EARLIER, "2026-01-30", "2025-12-28", tolerance="3 calendar_days")
    assert (out["outcome"], out["deadline"]) == ("refuse", "2026-01-27")
    assert out["margin"] == {"value": 3, "unit": "calendar_days", "late": True}
    assert (out["rigid"], out["discretion"]) == (True, {"level": "agent", "reason": "near_miss"})
    beyond = decided(EARLIER, "2026-01-31", "2025-12-28", tolerance="3 calendar_days")
    assert (beyond["outcome"], beyond["rigid"]) == ("refuse", False)


def test_a_fixed_last_day_in_the_decision_json() -> None:
    out = decided(FIXED, "2010-02-01")
    assert (out["outcome"], out["deadline"]) == ("refuse", "2010-01-31")
    assert out["margin"] == {"value": 1, "unit": "days", "late": True}
    assert decided(FIXED, "2010-01-31")["outcome"] == "allow"
    step = next(s for s in out["trace"] if s.get("deadline"))
    assert step["deadline"] == "2010-01-31"


def test_a_fixed_last_day_is_a_near_miss_in_any_unit() -> None:
    # Sun 31 Jan 2010: Mon 1 Feb is the first business day after it, Tue 2 Feb the second
    text = HEADER.replace("facts\n", "calendar business: monday to friday\n\nfacts\n")
    text += f'\nclause r "Returns"\n  applies to return\n  allow when {FIXED}\n'
    text += "  discretion agent when late by at most 1 business\n"
    compiled = load_source(Source("business.policy", text))
    monday = compiled.evaluate(asked("2010-02-01")).to_dict()
    tuesday = compiled.evaluate(asked("2010-02-02")).to_dict()
    assert (monday["outcome"], monday["rigid"]) == ("refuse", True)
    assert (tuesday["outcome"], tuesday["rigid"]) == ("refuse", False)
    assert tuesday["margin"] == {"value": 2, "unit": "days", "late": True}


def test_29_february_is_28_february_in_other_years() -> None:
    assert decided(YEARLY_OF, "2025-03-01", "2025-01-10")["deadline"] == "2025-02-28"
    assert decided(YEARLY_OF, "2024-03-01", "2024-01-10")["deadline"] == "2024-02-29"


def test_request_date_unknown_the_deadline_is_still_given() -> None:
    out = decided(LATER, None, "2025-12-28")
    assert (out["outcome"], out["deadline"], out["missing_facts"]) == (
        "needs_info",
        "2026-01-31",
        ["request.date"],
    )
    assert decided(FIXED, None)["deadline"] == "2010-01-31"


def test_an_unknown_anchor_leaves_the_deadline_unknown() -> None:
    out = decided(YEARLY, "2026-01-20")
    assert (out["outcome"], out["deadline"], out["missing_facts"]) == (
        "needs_info",
        None,
        ["delivery.date"],
    )


def test_a_known_limit_may_settle_it_alone() -> None:
    # in time for the fixed day: in time for the later of it and anything
    either = "request.date on or before the later of 2026-01-31 and 30 days after delivery.date"
    assert decided(either, "2026-01-20")["outcome"] == "allow"
    assert decided(either, "2026-02-20")["outcome"] == "needs_info"
    # late for the fixed day: late for the earlier of it and anything
    both = either.replace("later", "earlier")
    out = decided(both, "2026-02-20")
    assert (out["outcome"], out["deadline"]) == ("refuse", None)


def test_a_date_time_is_read_as_its_local_day() -> None:
    fixed = "request.at on or before 2010-01-31"
    # 04:30 in UTC on 1 February is still 31 January in New York
    assert decided(fixed, None, request={"at": "2010-02-01T04:30Z"})["outcome"] == "allow"
    assert decided(fixed, None, request={"at": "2010-02-01T05:30Z"})["outcome"] == "refuse"
    window = "request.at between 15 december and 15 january"
    assert decided(window, None, request={"at": "2011-01-16T03:00Z"})["outcome"] == "allow"


def test_hours_in_the_later_of_give_an_instant() -> None:
    timed = "request.at on or before the later of 48 hours after delivery.at and 2024-03-01"
    out = decided(
        timed, None, request={"at": "2024-03-05T12:00Z"}, delivery={"at": "2024-03-03T15:00Z"}
    )
    assert (out["outcome"], out["deadline"]) == ("allow", "2024-03-05T10:00:00-05:00")
    assert out["margin"] == {"value": 3, "unit": "hours", "late": False}
    fixed = decided(
        timed, None, request={"at": "2024-03-02T12:00Z"}, delivery={"at": "2024-02-01T15:00Z"}
    )
    assert (fixed["outcome"], fixed["deadline"]) == ("refuse", "2024-03-01")


@pytest.mark.parametrize(
    ("delivered", "inside"),
    [
        ("2025-12-14", False),
        ("2025-12-15", True),
        ("2025-12-31", True),
        ("2026-01-01", True),
        ("2026-01-15", True),
        ("2026-01-16", False),
        ("2026-06-01", False),
    ],
)
def test_a_window_that_wraps_the_year_end(delivered: str, inside: bool) -> None:
    out = decided(WINDOW, None, delivered)
    assert out["outcome"] == ("allow" if inside else "refuse")
    assert out["deadline"] is None


def test_a_window_within_one_year_includes_both_ends() -> None:
    window = "delivery.date between 1 november and 24 december"
    ins = [decided(window, None, d)["outcome"] for d in ("2025-11-01", "2025-12-24")]
    outs = [decided(window, None, d)["outcome"] for d in ("2025-10-31", "2025-12-25")]
    assert (ins, outs) == (["allow", "allow"], ["refuse", "refuse"])


def test_a_last_day_past_the_supported_years_is_an_invalid_fact() -> None:
    with pytest.raises(FactsError) as raised:
        policy(YEARLY).evaluate(asked("2199-06-01", "2199-05-01"))
    assert [p.code for p in raised.value.problems] == ["PC507"]


def test_examples_expect_the_deadline_and_rigidity() -> None:
    text = HEADER + (
        f'\nclause r "Returns"\n  applies to return\n  allow when {EARLIER}\n'
        "  discretion agent when late by at most 3 calendar_days\n"
        '\nexample "three days late"\n'
        "  given request.kind = return, request.date = 2026-01-30, delivery.date = 2025-12-28\n"
        "  expect refuse under r\n  expect deadline 2026-01-27\n  expect rigid by agent\n"
    )
    compiled = load_source(Source("e.policy", text))
    result = compiled.run_example(compiled.examples[0])
    assert result.passed, result.failures


# -- properties ------------------------------------------------------------------------------------

days = st.dates(date(2000, 1, 1), date(2100, 12, 31))


@pytest.mark.parametrize("condition", FORMS)
@given(delivered=days, returned=days, later=st.integers(1, 400))
def test_a_later_request_never_turns_a_refusal_into_an_allowance(
    condition: str, delivered: date, returned: date, later: int
) -> None:
    first = policy(condition).evaluate(asked(returned, delivered))
    second = policy(condition).evaluate(asked(returned + timedelta(days=later), delivered))
    if first.outcome is Outcome.REFUSE:
        assert second.outcome is Outcome.REFUSE


@given(delivered=days, returned=days)
def test_the_later_of_is_in_time_when_either_limit_is(delivered: date, returned: date) -> None:
    thirty = delivered + timedelta(days=30)
    january = date(delivered.year + 1, 1, 31)
    out = policy(LATER).evaluate(asked(returned, delivered))
    assert (out.outcome is Outcome.ALLOW) == (returned <= max(thirty, january))
    assert out.deadline == max(thirty, january)
    earlier = policy(EARLIER).evaluate(asked(returned, delivered))
    assert (earlier.outcome is Outcome.ALLOW) == (returned <= min(thirty, january))
    assert earlier.deadline == min(thirty, january)


@given(day=days, first=st.tuples(st.integers(1, 12), st.integers(1, 28)),
       last=st.tuples(st.integers(1, 12), st.integers(1, 28)))  # fmt: skip
def test_a_window_holds_for_exactly_its_days(
    day: date, first: tuple[int, int], last: tuple[int, int]
) -> None:
    window = f"delivery.date between {first[1]} {nodes.MONTHS[first[0] - 1]} and {last[1]} "
    window += nodes.MONTHS[last[0] - 1]
    inside = policy(window).evaluate(asked(None, day)).outcome is Outcome.ALLOW
    found = (day.month, day.day)
    start, end = (first[0], first[1]), (last[0], last[1])
    expected = start <= found <= end if start <= end else not end < found < start
    assert inside == expected


def test_the_analysis_proves_the_new_forms_reachable_and_finds_a_contradiction() -> None:
    text = HEADER + (
        f'\nclause r "Returns"\n  applies to return\n  allow when {LATER} or {FIXED}\n'
        f"  refuse when {WINDOW}\n"
    )
    _, diagnostics = diagnose(Source("a.policy", text), analysis=True)
    assert not [d for d in diagnostics if d.code in ("PC409", "PC412")]
    # a last day and a date after it: never both
    dead = HEADER + (
        '\nclause r "Returns"\n  applies to return\n'
        "  allow when request.date on or before 2010-01-31 and request.date > 2010-01-31\n"
    )
    _, diagnostics = diagnose(Source("b.policy", dead), analysis=True)
    dead_ones = [d for d in diagnostics if d.code == "PC409"]
    assert [d.message for d in dead_ones] == [
        "condition `request.date on or before 2010-01-31 and request.date > 2010-01-31` never holds"
    ]


GIFTS = """policy gifts-2025 "Example Gift Shop — returns"
  timezone "America/New_York"

facts
  request.kind: one of return
  request.date: date
  delivery.date: date

group holiday_season: delivery.date between 1 november and 24 december

clause holidays "Delivered 1 November to 24 December: returns until 31 January"
  applies to return of holiday_season
  allow when request.date on or before the later of 30 calendar_days after delivery.date
                                                and 31 january of the year after delivery.date
  discretion agent when late by at most 3 calendar_days
  exception to standard

clause standard "Returns within 30 days of delivery"
  applies to return
  allow when request.date within 30 calendar_days after delivery.date
  discretion agent when late by at most 3 calendar_days

example "a gift delivered in November, returned in January"
  given request.kind = return, request.date = 2026-01-20, delivery.date = 2025-11-20
  expect allow under holidays
  expect deadline 2026-01-31

example "delivered after Christmas: 30 days, three late"
  given request.kind = return, request.date = 2026-01-30, delivery.date = 2025-12-28
  expect refuse under standard
  expect deadline 2026-01-27
  expect rigid by agent
"""


def test_holiday_returns_check_clean_pass_their_examples_and_are_canonical() -> None:
    source = Source("gifts.policy", GIFTS)
    compiled, found = diagnose(source, analysis=True)
    assert compiled is not None
    assert found == []
    shop = load_source(source)
    assert [shop.run_example(e).passed for e in shop.examples] == [True, True]
    tree, _ = parse(source)
    assert tree is not None
    assert format_rule_file(build(tree, source)[0], source) == GIFTS


def test_holiday_returns_decide_as_the_terms_say() -> None:
    shop = load_source(Source("gifts.policy", GIFTS))
    november = shop.evaluate(asked("2026-01-20", "2025-11-20")).to_dict()
    assert (november["outcome"], november["clause"]["id"], november["deadline"]) == (
        "allow",
        "holidays",
        "2026-01-31",
    )
    late = shop.evaluate(asked("2026-01-30", "2025-12-28")).to_dict()
    assert (late["outcome"], late["clause"]["id"], late["deadline"]) == (
        "refuse",
        "standard",
        "2026-01-27",
    )
    assert late["margin"] == {"value": 3, "unit": "calendar_days", "late": True}
    assert late["discretion"] == {"level": "agent", "reason": "near_miss"}
    # a gift delivered on 20 December, returned on 3 February: three days past 31 January
    january = shop.evaluate(asked("2026-02-03", "2025-12-20")).to_dict()
    assert (january["outcome"], january["deadline"], january["rigid"]) == (
        "refuse",
        "2026-01-31",
        True,
    )
    assert january["margin"] == {"value": 3, "unit": "days", "late": True}


REGIONAL = """policy regional "Regional"
  timezone "Europe/Paris"

calendar ouvrables: monday to saturday, closed on public holidays of FR at delivery.postcode

facts
  request.kind: one of return
  request.date: date
  delivery.date: date
  delivery.postcode: text

clause r "Returns"
  applies to return
  allow when CONDITION
"""


@functools.cache
def regional(condition: str) -> Policy:
    return load_source(Source("regional.policy", REGIONAL.replace("CONDITION", condition)))


@given(
    delivered=st.dates(date(2012, 3, 1), date(2012, 6, 30)),
    after=st.integers(0, 8),
    postcode=st.sampled_from([None, "75011", "67000", "97110"]),
)
def test_a_period_in_the_later_of_a_past_day_counts_as_within(
    delivered: date, after: int, postcode: str | None
) -> None:
    """Of 2 jours ouvrables and a day long past, the later is the period: decided as `within`
    decides it, holidays by region, and every region tried when the postcode is unknown."""
    facts = asked(delivered + timedelta(days=after), delivered)
    if postcode is not None:
        facts["delivery"]["postcode"] = postcode
    within = regional("request.date within 2 ouvrables after delivery.date").evaluate(facts)
    later = regional(
        "request.date on or before the later of 2 ouvrables after delivery.date and 1900-01-01"
    ).evaluate(facts)
    keys = ("outcome", "deadline", "margin", "missing_facts")
    assert {k: later.to_dict()[k] for k in keys} == {k: within.to_dict()[k] for k in keys}


def test_regions_that_disagree_leave_the_answer_to_the_postcode() -> None:
    # Thu 5 April 2012: 2 jours ouvrables end on Sat 7 in Paris, on Tue 10 in Alsace (Good Friday)
    condition = "request.date on or before the later of 2 ouvrables after delivery.date and "
    condition += "1 january of the year of delivery.date"
    out = regional(condition).evaluate(asked("2012-04-08", "2012-04-05")).to_dict()
    assert (out["outcome"], out["deadline"], out["missing_facts"]) == (
        "needs_info",
        None,
        ["delivery.postcode"],
    )
    paris = asked("2012-04-08", "2012-04-05", delivery={"postcode": "75011"})
    assert regional(condition).evaluate(paris).to_dict()["deadline"] == "2012-04-07"


# -- a limit that counts only under a condition (`... if holiday_season`) ------------------

HOLIDAYS = """policy h "H"
  timezone "America/New_York"
calendar calendar_days: monday to sunday
facts
  request.kind: one of return
  request.date: date "When?"
  delivery.date: date "Delivered when?"
group holiday_season: delivery.date between 1 november and 24 december
clause window "W"
  applies to return
  allow when request.date on or before the later of 30 calendar_days after delivery.date
    and 31 january of the year after delivery.date if holiday_season
  discretion agent when late by at most 3 calendar_days
"""


@pytest.mark.parametrize(
    ("delivered", "returned", "outcome", "deadline", "rigid"),
    [
        ("2025-11-20", "2026-01-20", "allow", "2026-01-31", False),
        ("2025-12-24", "2026-01-31", "allow", "2026-01-31", False),
        ("2025-12-28", "2026-01-30", "refuse", "2026-01-27", True),  # after the season: 30 days
        ("2025-11-05", "2026-02-03", "refuse", "2026-01-31", True),  # 3 days after 31 January
        ("2025-01-15", "2025-02-20", "refuse", "2025-02-14", False),  # 6 days late: firm
        ("2025-10-31", "2025-11-30", "allow", "2025-11-30", False),  # the day before the season
    ],
)
def test_a_limit_counts_only_while_its_condition_holds(
    delivered: str, returned: str, outcome: str, deadline: str, rigid: bool
) -> None:
    found = load_source(Source("h.policy", HOLIDAYS)).evaluate(
        {"request": {"kind": "return", "date": returned}, "delivery": {"date": delivered}}
    )
    assert (found.outcome.value, str(found.deadline), found.rigid) == (outcome, deadline, rigid)


def test_a_conditional_limit_formats_back_to_itself() -> None:
    source = Source("h.policy", HOLIDAYS)
    compiled, found = diagnose(source)
    assert compiled is not None, found
    formatted = format_rule_file(compiled.rule_file, source)
    assert "31 january of the year after delivery.date if holiday_season" in formatted
    for condition in ("not holiday_season", "(holiday_season and true)"):
        written = condition
        text = HOLIDAYS.replace("if holiday_season", f"if {condition}")
        again = Source("h.policy", text)
        assert f"if {written}" in format_rule_file(diagnose(again)[0].rule_file, again)  # type: ignore[union-attr]


def test_every_limit_conditional_is_pc336() -> None:
    text = HOLIDAYS.replace(
        "after delivery.date\n", "after delivery.date if not holiday_season\n", 1
    )
    assert "PC336" in [d.code for d in diagnose(Source("h.policy", text))[1]]
