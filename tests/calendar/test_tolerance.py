"""Property-based tests (hypothesis): near-miss tolerances in another unit than the period, and
periods in months (weeks, years) extended to the next working day (issue 13, item 5).

The oracles walk the calendar one day at a time: no working-day table, no `add_months` shortcut
beyond the month arithmetic they state.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.calendar import (
    CalendarError,
    Direction,
    HolidayCalendar,
    Period,
    Unit,
    calendar_for,
    compute_deadline,
    tolerated_until,
    within_tolerance,
)
from policycheck.calendar.units import OUVRABLE_REST, WORKING_REST

PARIS = ZoneInfo("Europe/Paris")
SETTINGS = settings(max_examples=300, deadline=None)  # holiday tables may be built on any call

calendars = st.sampled_from(
    [
        calendar_for("FR", postcode="75011"),
        calendar_for("FR", postcode="57000"),
        calendar_for("FR", postcode="97110"),
        calendar_for("DE", region="BY"),
        calendar_for(None),
    ]
)
anchors = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
PERIOD_UNITS = (Unit.DAYS, Unit.OUVRABLES, Unit.OUVRES, Unit.WEEKS, Unit.MONTHS, Unit.YEARS)
TOLERANCE_UNITS = (Unit.DAYS, Unit.OUVRABLES, Unit.OUVRES, Unit.WEEKS, Unit.MONTHS)


def closed(day: date, calendar: HolidayCalendar, rest: frozenset[int] = WORKING_REST) -> bool:
    return day.weekday() in rest or calendar.is_holiday(day)


def month_on(day: date, months: int) -> date:
    """The oracle of 1182/71 art. 3(2)(c): the same date `months` later, else the month's end."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, gregorian.monthrange(year, month + 1)[1]))


def moved_on(day: date, count: int, unit: Unit, calendar: HolidayCalendar) -> date:
    """The oracle of a tolerance: `day` moved on by `count` units, one day at a time."""
    if unit is Unit.MONTHS:
        return month_on(day, count)
    if unit in (Unit.DAYS, Unit.WEEKS):
        return day + timedelta(days=count * (7 if unit is Unit.WEEKS else 1))
    rest = OUVRABLE_REST if unit is Unit.OUVRABLES else WORKING_REST
    while count:
        day += timedelta(days=1)
        count -= not closed(day, calendar, rest)
    return day


@SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from(PERIOD_UNITS),
    st.integers(0, 40),
    st.booleans(),
    st.sampled_from(TOLERANCE_UNITS),
    st.integers(0, 6),
)
def test_a_tolerance_in_another_unit_reaches_the_deadline_moved_on_by_it(
    calendar: HolidayCalendar,
    anchor: date,
    unit: Unit,
    count: int,
    extend: bool,
    tolerance_unit: Unit,
    tolerance: int,
) -> None:
    deadline = compute_deadline(anchor, Period(count, unit, extend=extend), calendar, PARIS)
    if tolerance_unit is unit:
        return  # the period's own unit: `late_by_at_most` (tests/calendar/test_margin_units.py)
    limit = moved_on(deadline.last_day, tolerance, tolerance_unit, calendar)
    assert tolerated_until(deadline, tolerance, tolerance_unit) == limit
    # On the deadline: in time; within the tolerance: a near miss; after it: firm.
    on_time = deadline.last_day
    assert deadline.is_in_time(on_time)
    assert within_tolerance(deadline, on_time, tolerance, tolerance_unit)
    for late in (deadline.last_day + timedelta(days=1), limit):
        if deadline.last_day < late <= limit:
            assert not deadline.is_in_time(late)
            assert within_tolerance(deadline, late, tolerance, tolerance_unit)
    beyond = limit + timedelta(days=1)
    assert not within_tolerance(deadline, beyond, tolerance, tolerance_unit)


@SETTINGS
@given(calendars, calendars, anchors, st.integers(1, 30), st.integers(1, 4))
def test_a_tolerance_in_working_days_counts_on_its_own_calendar(
    period_calendar: HolidayCalendar,
    tolerance_calendar: HolidayCalendar,
    anchor: date,
    count: int,
    tolerance: int,
) -> None:
    """14 calendar days of one region, 1 jour ouvré of another: the other's holidays count."""
    deadline = compute_deadline(anchor, Period(count, Unit.DAYS), period_calendar, PARIS)
    limit = moved_on(deadline.last_day, tolerance, Unit.OUVRES, tolerance_calendar)
    assert tolerated_until(deadline, tolerance, Unit.OUVRES, tolerance_calendar) == limit
    assert within_tolerance(deadline, limit, tolerance, Unit.OUVRES, tolerance_calendar)
    after = limit + timedelta(days=1)
    assert not within_tolerance(deadline, after, tolerance, Unit.OUVRES, tolerance_calendar)
    assert not closed(limit, tolerance_calendar)  # a working-day tolerance ends on a working day


@SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from((Unit.WEEKS, Unit.MONTHS, Unit.YEARS)),
    st.integers(0, 40),
)
def test_a_period_in_months_extended_ends_on_the_next_working_day(
    calendar: HolidayCalendar, anchor: date, unit: Unit, count: int
) -> None:
    """Never on a closed day, never before the unextended last day, and every day it moved past
    was a Saturday, a Sunday or a public holiday (1182/71 art. 3(4))."""
    plain = compute_deadline(anchor, Period(count, unit), calendar, PARIS)
    extended = compute_deadline(anchor, Period(count, unit, extend=True), calendar, PARIS)
    months = {Unit.MONTHS: count, Unit.YEARS: 12 * count}.get(unit)
    nominal = month_on(anchor, months) if months is not None else anchor + timedelta(weeks=count)
    assert plain.last_day == plain.nominal == extended.nominal == nominal
    assert extended.last_day >= plain.last_day
    assert not closed(extended.last_day, calendar)
    day = nominal
    while day < extended.last_day:
        assert closed(day, calendar), day
        day += timedelta(days=1)
    assert extended.extended is (extended.last_day != nominal)


@SETTINGS
@given(anchors, st.sampled_from((Unit.MONTHS, Unit.YEARS)), st.integers(1, 24))
def test_a_period_in_months_counted_backwards_is_never_extended(
    anchor: date, unit: Unit, count: int
) -> None:
    paris = calendar_for("FR", postcode="75011")
    period = Period(count, unit, Direction.BEFORE, extend=True)
    assert compute_deadline(anchor, period, paris, PARIS).extended is False


@SETTINGS
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2080, 12, 31)),
    st.integers(1, 30),
    st.integers(0, 48),
    st.integers(-3, 60),
)
def test_a_tolerance_in_hours_on_a_period_in_days_counts_from_the_end_instant(
    anchor: datetime, count: int, hours: int, after_minutes: int
) -> None:
    """14 days from a date-time, 12 hours' tolerance: up to 12:00 the day after the last day."""
    paris = calendar_for("FR", postcode="75011")
    deadline = compute_deadline(
        anchor.replace(tzinfo=PARIS), Period(count, Unit.DAYS), paris, PARIS
    )
    limit = tolerated_until(deadline, hours, Unit.HOURS)
    assert limit == deadline.ends_at + timedelta(hours=hours)
    when = (deadline.ends_at + timedelta(hours=hours, minutes=after_minutes)).astimezone(PARIS)
    assert within_tolerance(deadline, when, hours, Unit.HOURS) is (after_minutes <= 0)


def test_a_tolerance_in_working_days_on_a_period_in_hours_keeps_the_time_of_day() -> None:
    """48 hours from Thu 11 Apr 2024 18:00 in Paris end Sat 13 Apr 18:00; one jour ouvré later
    is Mon 15 Apr 18:00 (16:00 UTC)."""
    paris = calendar_for("FR", postcode="75011")
    start = datetime(2024, 4, 11, 18, 0, tzinfo=PARIS)
    deadline = compute_deadline(start, Period(48, Unit.HOURS), paris, PARIS)
    assert tolerated_until(deadline, 1, Unit.OUVRES) == datetime(2024, 4, 15, 16, 0, tzinfo=UTC)
    just_in = datetime(2024, 4, 15, 17, 59, tzinfo=PARIS)
    assert within_tolerance(deadline, just_in, 1, Unit.OUVRES)
    assert not within_tolerance(
        deadline, datetime(2024, 4, 15, 18, 1, tzinfo=PARIS), 1, Unit.OUVRES
    )


def test_a_tolerance_in_hours_against_a_date_alone_is_refused() -> None:
    paris = calendar_for("FR", postcode="75011")
    deadline = compute_deadline(date(2024, 3, 1), Period(14, Unit.DAYS), paris, PARIS)
    with pytest.raises(CalendarError, match="date and time"):
        within_tolerance(deadline, date(2024, 3, 16), 12, Unit.HOURS)


def test_domain_worked_example_art_10_twelve_months_extended() -> None:
    """docs/domain.md §3.3: the initial period ended Fri 17 Mar 2023; + 12 months is Sun 17 Mar
    2024, extended to Mon 18 Mar 2024."""
    paris = calendar_for("FR", postcode="75011")
    period = Period(12, Unit.MONTHS, extend=True)
    deadline = compute_deadline(date(2023, 3, 17), period, paris, PARIS)
    assert (deadline.nominal, deadline.last_day) == (date(2024, 3, 17), date(2024, 3, 18))
    assert [s.day for s in deadline.skipped()] == [date(2024, 3, 17)]


def test_fourteen_calendar_days_one_working_day_late() -> None:
    """Delivered Thu 28 Mar 2024: 14 days end Thu 11 Apr, one jour ouvré later is Fri 12 Apr;
    delivered Fri 29 Mar: 14 days end Fri 12 Apr, one jour ouvré later is Mon 15 Apr."""
    paris = calendar_for("FR", postcode="75011")
    for delivered, last, limit in (
        (date(2024, 3, 28), date(2024, 4, 11), date(2024, 4, 12)),
        (date(2024, 3, 29), date(2024, 4, 12), date(2024, 4, 15)),
    ):
        deadline = compute_deadline(delivered, Period(14, Unit.DAYS), paris, PARIS)
        assert deadline.last_day == last
        assert tolerated_until(deadline, 1, Unit.OUVRES) == limit


def test_the_tolerance_calendar_decides_which_days_count() -> None:
    """Delivered Fri 15 Mar 2024: 14 days end Fri 29 Mar. One jour ouvré later: Tue 2 Apr (the
    weekend, then Easter Monday); one jour ouvrable later: Sat 30 Mar (Saturday counts)."""
    paris = calendar_for("FR", postcode="75011")
    deadline = compute_deadline(date(2024, 3, 15), Period(14, Unit.DAYS), paris, PARIS)
    assert deadline.last_day == date(2024, 3, 29)
    assert tolerated_until(deadline, 1, Unit.OUVRES) == date(2024, 4, 2)
    assert tolerated_until(deadline, 1, Unit.OUVRABLES) == date(2024, 3, 30)
    assert tolerated_until(deadline, 1, Unit.OUVRABLES, calendar_for(None)) == date(2024, 3, 30)
    assert tolerated_until(deadline, 2, Unit.OUVRES, calendar_for(None)) == date(2024, 4, 2)
