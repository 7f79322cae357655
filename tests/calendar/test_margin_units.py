"""Property-based tests (hypothesis): margins in every unit, and tolerances in their own unit.

A margin is counted in the period's own unit, or in calendar days for weeks, months and years;
"late by at most k units" is compared in the period's unit: the period k units longer (shorter,
counted backwards) would have covered the request. The oracles count with dates directly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.calendar import (
    Direction,
    HolidayCalendar,
    Period,
    Unit,
    add_months,
    calendar_for,
    compute_deadline,
)

PARIS = ZoneInfo("Europe/Paris")
SETTINGS = settings(max_examples=300, deadline=None)  # holiday tables may be built on any call

calendars = st.sampled_from(
    [calendar_for("FR", postcode="75011"), calendar_for("FR", postcode="57000"), calendar_for(None)]
)
anchors = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
directions = st.sampled_from(list(Direction))
DAY_COUNTED = (Unit.DAYS, Unit.FRANCS, Unit.WEEKS, Unit.MONTHS, Unit.YEARS)
ALL_DATE_UNITS = (*DAY_COUNTED, Unit.OUVRABLES, Unit.OUVRES)


def shifted(day: date, unit: Unit, count: int) -> date:
    """`day` moved by `count` (negative: back) weeks, months or years, months clamped."""
    if unit is Unit.WEEKS:
        return day + timedelta(weeks=count)
    return add_months(day, count * (12 if unit is Unit.YEARS else 1))


@SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from(ALL_DATE_UNITS),
    st.integers(0, 30),
    directions,
    st.booleans(),
    st.integers(-800, 800),
)
def test_a_margin_is_labelled_with_the_unit_it_is_counted_in(
    calendar: HolidayCalendar,
    anchor: date,
    unit: Unit,
    count: int,
    direction: Direction,
    extend: bool,
    offset: int,
) -> None:
    deadline = compute_deadline(anchor, Period(count, unit, direction, extend=extend), calendar)
    when = deadline.last_day + timedelta(days=offset)
    margin = deadline.margin(when)
    assert margin.late is (when > deadline.last_day)
    expected = Unit.DAYS if unit in (Unit.WEEKS, Unit.MONTHS, Unit.YEARS) else unit
    assert margin.unit is expected is unit.margin_unit
    if unit in DAY_COUNTED:  # counted in calendar days: the distance to the last day
        assert margin.value == abs(offset)


@SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from((Unit.WEEKS, Unit.MONTHS, Unit.YEARS)),
    st.integers(0, 30),
    directions,
    st.integers(0, 40),
    st.integers(1, 1200),
)
def test_late_by_at_most_k_units_is_in_time_for_a_period_k_units_longer(
    calendar: HolidayCalendar,
    anchor: date,
    unit: Unit,
    count: int,
    direction: Direction,
    tolerance: int,
    days_late: int,
) -> None:
    deadline = compute_deadline(anchor, Period(count, unit, direction), calendar)
    when = deadline.last_day + timedelta(days=days_late)
    sign = 1 if direction is Direction.AFTER else -1
    last_in_tolerance = shifted(anchor, unit, sign * count + tolerance)
    assert deadline.late_by_at_most(when, tolerance) is (when <= last_in_tolerance)
    # and in days: a week is 7 days, a month 28 to 31, a year 365 or 366
    low, high = {Unit.WEEKS: (7, 7), Unit.MONTHS: (28, 31), Unit.YEARS: (365, 366)}[unit]
    if days_late <= low * tolerance:
        assert deadline.late_by_at_most(when, tolerance)
    if days_late > high * tolerance:
        assert not deadline.late_by_at_most(when, tolerance)


@SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from(ALL_DATE_UNITS),
    st.integers(0, 30),
    directions,
    st.booleans(),
    st.integers(-60, 900),
    st.integers(0, 30),
)
def test_a_tolerance_is_monotonic_and_zero_means_in_time(
    calendar: HolidayCalendar,
    anchor: date,
    unit: Unit,
    count: int,
    direction: Direction,
    extend: bool,
    offset: int,
    tolerance: int,
) -> None:
    deadline = compute_deadline(anchor, Period(count, unit, direction, extend=extend), calendar)
    when = deadline.last_day + timedelta(days=offset)
    near = deadline.late_by_at_most(when, tolerance)
    assert deadline.late_by_at_most(when, 0) is deadline.is_in_time(when)
    if near:  # more tolerance, or an earlier request, stays within it
        assert deadline.late_by_at_most(when, tolerance + 1)
        assert deadline.late_by_at_most(when - timedelta(days=1), tolerance)
    margin = deadline.margin(when)
    if margin.unit is unit:  # the margin's own unit: the tolerance compares the margin
        assert near is (not margin.late or margin.value <= tolerance)


@SETTINGS
@given(
    st.datetimes(datetime(1990, 1, 1), datetime(2090, 12, 31), timezones=st.just(PARIS)),
    st.integers(0, 24 * 60),
    st.integers(-10_000, 10_000),
    st.integers(0, 100),
)
def test_hours_margins_and_tolerances_are_in_hours(
    anchor: datetime, count: int, minutes: int, tolerance: int
) -> None:
    deadline = compute_deadline(anchor, Period(count, Unit.HOURS), calendar_for("FR"), PARIS)
    when = deadline.ends_at + timedelta(minutes=minutes)
    margin = deadline.margin(when)
    assert margin.unit is Unit.HOURS
    assert margin.late is (minutes > 0)
    near = deadline.late_by_at_most(when, tolerance)
    longer = compute_deadline(anchor, Period(count + tolerance, Unit.HOURS), calendar_for("FR"))
    assert near is longer.is_in_time(when)
