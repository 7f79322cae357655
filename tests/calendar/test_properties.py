"""Property-based tests of deadlines, margins and working-day counting (hypothesis).

Each property is checked over the mainland French, Alsace, Moselle, Réunion, German and
holiday-free calendars, with anchors from 1990 to 2090. The oracles written here count day by
day with `HolidayCalendar.is_working_day` / `is_holiday`, never with the library's tables.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.calendar import (
    Deadline,
    Direction,
    ExtendTo,
    HolidayCalendar,
    Margin,
    Period,
    Unit,
    add_months,
    calendar_for,
    compute_deadline,
)

PARIS = ZoneInfo("Europe/Paris")
ONE_DAY = timedelta(days=1)

CALENDARS: dict[str, HolidayCalendar] = {
    "FR mainland": calendar_for("FR", postcode="75011"),
    "FR Alsace": calendar_for("FR", postcode="67000"),
    "FR Moselle": calendar_for("FR", postcode="57000"),
    "FR Réunion": calendar_for("FR", postcode="97400"),
    "DE": calendar_for("DE"),
    "no holidays": calendar_for(None),
}

DAY_UNITS = (
    Unit.DAYS,
    Unit.OUVRABLES,
    Unit.OUVRES,
    Unit.FRANCS,
    Unit.WEEKS,
    Unit.MONTHS,
    Unit.YEARS,
)
WORKING_DAY_UNITS = (Unit.OUVRABLES, Unit.OUVRES)
MAX_COUNT = {
    Unit.DAYS: 60,
    Unit.OUVRABLES: 60,
    Unit.OUVRES: 60,
    Unit.FRANCS: 60,
    Unit.WEEKS: 60,
    Unit.MONTHS: 36,
    Unit.YEARS: 36,
    Unit.HOURS: 60 * 24,
}

# Table builds (holidays of a new decade, working-day tables) may happen on any call that
# reaches a decade not seen before, so the tests that touch a calendar run without a deadline.
CALENDAR_SETTINGS = settings(max_examples=250, deadline=None)

calendars = st.sampled_from(list(CALENDARS.values()))
anchors = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
aware_anchors = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2090, 12, 31, 23, 59),
    timezones=st.just(PARIS),
)


@st.composite
def periods(
    draw: st.DrawFn,
    units: tuple[Unit, ...] = DAY_UNITS,
    directions: tuple[Direction, ...] = (Direction.AFTER, Direction.BEFORE),
    extend: bool | None = None,
    minimum_working_days: bool | None = None,
    min_count: int = 0,
) -> Period:
    """Any period of one of `units`; `None` for a flag means draw it."""
    unit = draw(st.sampled_from(units))
    return Period(
        draw(st.integers(min_count, MAX_COUNT[unit])),
        unit,
        draw(st.sampled_from(directions)),
        extend=draw(st.booleans()) if extend is None else extend,
        extend_to=draw(st.sampled_from(ExtendTo)),
        minimum_working_days=(
            draw(st.booleans()) if minimum_working_days is None else minimum_working_days
        ),
        strict_francs=draw(st.booleans()),
    )


def with_count(period: Period, count: int) -> Period:
    return Period(
        count,
        period.unit,
        period.direction,
        extend=period.extend,
        extend_to=period.extend_to,
        minimum_working_days=period.minimum_working_days,
        strict_francs=period.strict_francs,
    )


def days_between(first: date, last: date) -> list[date]:
    """Every day of [first, last], ascending (empty when last < first)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def is_business_day(calendar: HolidayCalendar, day: date) -> bool:
    """Monday to Friday and not a public holiday: the 1182/71 'working day'."""
    return day.weekday() < 5 and not calendar.is_holiday(day)


def counted_range(deadline: Deadline) -> list[date]:
    """The days the count ran over: (anchor, nominal] forwards, [nominal, anchor) backwards."""
    if deadline.period.direction is Direction.AFTER:
        return days_between(deadline.anchor + ONE_DAY, deadline.nominal)
    return days_between(deadline.nominal, deadline.anchor - ONE_DAY)


# -- 1. direction ------------------------------------------------------------------------------


@CALENDAR_SETTINGS
@given(calendars, anchors, periods())
def test_deadline_is_on_the_side_of_the_anchor_its_direction_says(
    calendar: HolidayCalendar, anchor: date, period: Period
) -> None:
    deadline = compute_deadline(anchor, period, calendar, "Europe/Paris")
    assert deadline.anchor == anchor
    if period.direction is Direction.AFTER:
        assert anchor <= deadline.nominal <= deadline.last_day
    else:
        assert deadline.last_day <= anchor
        assert deadline.nominal <= anchor


@CALENDAR_SETTINGS
@given(calendars, aware_anchors, periods(units=(Unit.HOURS,)))
def test_hours_deadline_is_on_the_side_of_the_anchor_its_direction_says(
    calendar: HolidayCalendar, anchor: datetime, period: Period
) -> None:
    deadline = compute_deadline(anchor, period, calendar, "Europe/Paris")
    local_anchor_day = anchor.astimezone(PARIS).date()
    assert deadline.anchor == local_anchor_day
    if period.direction is Direction.AFTER:
        assert deadline.ends_at >= anchor
        assert deadline.last_day >= local_anchor_day
    else:
        assert deadline.ends_at <= anchor
        assert deadline.last_day <= local_anchor_day


# -- 2. margin on the last day -----------------------------------------------------------------


@CALENDAR_SETTINGS
@given(calendars, anchors, periods())
def test_margin_on_the_last_day_is_zero_and_in_time(
    calendar: HolidayCalendar, anchor: date, period: Period
) -> None:
    deadline = compute_deadline(anchor, period, calendar, "Europe/Paris")
    assert deadline.margin(deadline.last_day) == Margin(0, period.unit.margin_unit, late=False)
    assert deadline.is_in_time(deadline.last_day)


@CALENDAR_SETTINGS
@given(calendars, aware_anchors, periods(units=(Unit.HOURS,)))
def test_hours_margin_at_the_end_instant_is_zero_and_in_time(
    calendar: HolidayCalendar, anchor: datetime, period: Period
) -> None:
    deadline = compute_deadline(anchor, period, calendar, "Europe/Paris")
    assert deadline.margin(deadline.ends_at) == Margin(0, Unit.HOURS, late=False)
    assert deadline.margin(deadline.ends_at.astimezone(PARIS)) == Margin(0, Unit.HOURS, False)


# -- 3. where counts and extensions land -------------------------------------------------------


@CALENDAR_SETTINGS
@given(calendars, anchors, periods(units=WORKING_DAY_UNITS, min_count=1))
def test_working_day_count_lands_on_a_working_day_of_its_unit(
    calendar: HolidayCalendar, anchor: date, period: Period
) -> None:
    deadline = compute_deadline(anchor, period, calendar)
    rest_days = period.unit.rest_days
    assert rest_days is not None
    assert calendar.is_working_day(deadline.nominal, rest_days)


@CALENDAR_SETTINGS
@given(
    calendars,
    anchors,
    periods(directions=(Direction.AFTER,), extend=True),
)
def test_extended_period_ends_on_a_business_day(
    calendar: HolidayCalendar, anchor: date, period: Period
) -> None:
    period = Period(
        period.count,
        period.unit,
        extend=True,
        minimum_working_days=period.minimum_working_days,
        strict_francs=period.strict_francs,
    )  # default extend_to: WORKING_DAY
    deadline = compute_deadline(anchor, period, calendar)
    assert is_business_day(calendar, deadline.last_day)


# -- 4. monotonic in N -------------------------------------------------------------------------


@CALENDAR_SETTINGS
@given(calendars, anchors, periods())
def test_one_more_unit_never_moves_the_deadline_towards_the_anchor(
    calendar: HolidayCalendar, anchor: date, period: Period
) -> None:
    shorter = compute_deadline(anchor, period, calendar)
    longer = compute_deadline(anchor, with_count(period, period.count + 1), calendar)
    if period.direction is Direction.AFTER:
        assert longer.nominal >= shorter.nominal
        assert longer.last_day >= shorter.last_day
    else:
        assert longer.nominal <= shorter.nominal
        assert longer.last_day <= shorter.last_day


@CALENDAR_SETTINGS
@given(calendars, aware_anchors, periods(units=(Unit.HOURS,)))
def test_one_more_hour_never_moves_the_end_towards_the_anchor(
    calendar: HolidayCalendar, anchor: datetime, period: Period
) -> None:
    shorter = compute_deadline(anchor, period, calendar, "Europe/Paris")
    longer = compute_deadline(anchor, with_count(period, period.count + 1), calendar, PARIS)
    if period.direction is Direction.AFTER:
        assert longer.ends_at - shorter.ends_at == timedelta(hours=1)
        assert longer.last_day >= shorter.last_day
    else:
        assert shorter.ends_at - longer.ends_at == timedelta(hours=1)
        assert longer.last_day <= shorter.last_day


# -- 5. later requests are never more in time --------------------------------------------------


@CALENDAR_SETTINGS
@given(
    calendars,
    anchors,
    periods(),
    st.integers(-90, 90),
    st.integers(0, 90),
)
def test_a_later_request_is_never_more_in_time(
    calendar: HolidayCalendar, anchor: date, period: Period, offset: int, gap: int
) -> None:
    deadline = compute_deadline(anchor, period, calendar, "Europe/Paris")
    earlier = deadline.last_day + timedelta(days=offset)
    later = earlier + timedelta(days=gap)
    if deadline.is_in_time(later):
        assert deadline.is_in_time(earlier)
    # in time exactly up to the last day
    assert deadline.is_in_time(earlier) is (earlier <= deadline.last_day)
    # and margins move the right way: less to spare, or later by more
    early, late = deadline.margin(earlier), deadline.margin(later)
    if not early.late and not late.late:
        assert late.value <= early.value
    if early.late and late.late:
        assert late.value >= early.value
    day_after = deadline.margin(deadline.last_day + ONE_DAY)
    assert day_after.late
    assert day_after.value >= 1
    # a request in time up to the last instant of the last day, Paris time
    assert deadline.is_in_time(deadline.ends_at - timedelta(microseconds=1))
    assert deadline.margin(deadline.ends_at) == day_after


@CALENDAR_SETTINGS
@given(
    calendars,
    aware_anchors,
    periods(units=(Unit.HOURS,)),
    st.integers(-5000, 5000),
    st.integers(0, 5000),
)
def test_a_later_request_is_never_more_in_time_in_hours(
    calendar: HolidayCalendar, anchor: datetime, period: Period, offset: int, gap: int
) -> None:
    deadline = compute_deadline(anchor, period, calendar, "Europe/Paris")
    earlier = deadline.ends_at + timedelta(minutes=offset)
    later = earlier + timedelta(minutes=gap)
    if deadline.is_in_time(later):
        assert deadline.is_in_time(earlier)
    assert deadline.is_in_time(earlier) is (earlier <= deadline.ends_at)
    assert deadline.margin(deadline.ends_at + timedelta(seconds=1)) == Margin(1, Unit.HOURS, True)


# -- 6. working days counted in the range ------------------------------------------------------


@CALENDAR_SETTINGS
@given(calendars, anchors, periods(units=WORKING_DAY_UNITS, extend=False))
def test_working_days_in_the_counted_range_are_exactly_n(
    calendar: HolidayCalendar, anchor: date, period: Period
) -> None:
    deadline = compute_deadline(anchor, period, calendar)
    rest_days = period.unit.rest_days
    assert rest_days is not None
    if period.direction is Direction.AFTER and period.minimum_working_days:
        # art. 3(5) may move the last day; the count itself ends on the nominal day
        assert deadline.last_day >= deadline.nominal
    else:
        assert deadline.last_day == deadline.nominal
    days = counted_range(deadline)
    working = [day for day in days if calendar.is_working_day(day, rest_days)]
    assert len(working) == period.count

    if deadline.extended:
        return  # skipped() then also lists the days art. 3(5) moved past
    skipped = [entry.day for entry in deadline.skipped()]
    assert skipped == sorted(set(skipped))
    for day in skipped:
        assert day in days
        assert not calendar.is_working_day(day, rest_days)
    assert len(skipped) + period.count == len(days)


# -- 7. margin round trip ----------------------------------------------------------------------


@CALENDAR_SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from(WORKING_DAY_UNITS),
    st.integers(0, 60),
    st.integers(1, 10),
)
def test_request_on_the_last_day_of_n_plus_k_is_late_by_k(
    calendar: HolidayCalendar, anchor: date, unit: Unit, count: int, k: int
) -> None:
    deadline = compute_deadline(anchor, Period(count, unit), calendar)
    longer = compute_deadline(anchor, Period(count + k, unit), calendar)
    assert deadline.margin(longer.last_day) == Margin(k, unit, late=True)
    assert not deadline.is_in_time(longer.last_day)


@CALENDAR_SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from(WORKING_DAY_UNITS),
    st.integers(0, 60),
    st.integers(0, 100),
)
def test_early_margin_is_how_much_shorter_the_period_could_have_been(
    calendar: HolidayCalendar, anchor: date, unit: Unit, count: int, offset: int
) -> None:
    """Early by k: the period N - k still covers the request, the period N - k - 1 does not."""
    deadline = compute_deadline(anchor, Period(count, unit), calendar)
    span = (deadline.last_day - anchor).days
    when = anchor + timedelta(days=offset % (span + 1))  # a day of [anchor, last day]
    margin = deadline.margin(when)
    assert not margin.late
    assert 0 <= margin.value <= count
    rest_days = unit.rest_days
    assert rest_days is not None
    if when == anchor:
        assert margin.value == count  # a period of 0 ends on the anchor day itself
    else:  # the period must still reach the first working day on or after `when`
        working = [
            d
            for d in days_between(when, deadline.last_day)
            if calendar.is_working_day(d, rest_days)
        ]
        assert margin.value == len(working) - 1
    shortest = compute_deadline(anchor, Period(count - margin.value, unit), calendar)
    assert shortest.is_in_time(when)
    if margin.value < count:
        too_short = compute_deadline(anchor, Period(count - margin.value - 1, unit), calendar)
        assert not too_short.is_in_time(when)


@CALENDAR_SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from(WORKING_DAY_UNITS),
    st.integers(0, 60),
    st.integers(0, 120),
)
def test_backwards_margin_round_trip(
    calendar: HolidayCalendar, anchor: date, unit: Unit, count: int, days_before: int
) -> None:
    """Counting backwards (request up to the anchor day): early by k means N + k units still
    cover the request and N + k + 1 do not; late by k means N - k units cover it and
    N - k + 1 do not."""
    deadline = compute_deadline(anchor, Period(count, unit, Direction.BEFORE), calendar)
    when = anchor - timedelta(days=days_before)
    margin = deadline.margin(when)
    assert margin.late is (when > deadline.last_day)
    sign = -1 if margin.late else 1
    if margin.late:
        assert 1 <= margin.value <= count
    covering = Period(count + sign * margin.value, unit, Direction.BEFORE)
    assert compute_deadline(anchor, covering, calendar).is_in_time(when)
    one_more = Period(count + sign * margin.value + 1, unit, Direction.BEFORE)
    assert not compute_deadline(anchor, one_more, calendar).is_in_time(when)


@CALENDAR_SETTINGS
@given(calendars, anchors, st.sampled_from(WORKING_DAY_UNITS), st.integers(0, 30))
def test_zero_units_before_the_anchor_leave_every_working_day_before_it_to_spare(
    calendar: HolidayCalendar, anchor: date, unit: Unit, days_before: int
) -> None:
    """`0 units before` ends on the anchor day, even a rest day. A request `days_before` days
    earlier could have met a period as many units longer as there are working days in
    [request, anchor): the k-th working day before the anchor is the end of the period k."""
    deadline = compute_deadline(anchor, Period(0, unit, Direction.BEFORE), calendar)
    assert deadline.last_day == anchor
    when = anchor - timedelta(days=days_before)
    rest_days = unit.rest_days
    assert rest_days is not None
    spare = sum(calendar.is_working_day(d, rest_days) for d in days_between(when, anchor - ONE_DAY))
    assert deadline.margin(when) == Margin(spare, unit, late=False)
    covering = compute_deadline(anchor, Period(spare, unit, Direction.BEFORE), calendar)
    assert covering.is_in_time(when)


# -- 8. brute-force oracle ---------------------------------------------------------------------


def naive_last_day(
    calendar: HolidayCalendar, anchor: date, count: int, unit: Unit, extend: bool
) -> date:
    rest_days = unit.rest_days if unit.rest_days is not None else frozenset()
    day, counted = anchor, 0
    while counted < count:
        day += ONE_DAY
        if day.weekday() not in rest_days and (unit is Unit.DAYS or not calendar.is_holiday(day)):
            counted += 1
    if extend:
        while day.weekday() in (5, 6) or calendar.is_holiday(day):
            day += ONE_DAY
    return day


@CALENDAR_SETTINGS
@given(
    calendars,
    anchors,
    st.sampled_from((Unit.OUVRABLES, Unit.OUVRES, Unit.DAYS)),
    st.integers(0, 60),
    st.booleans(),
)
def test_last_day_matches_a_day_by_day_count(
    calendar: HolidayCalendar, anchor: date, unit: Unit, count: int, extend: bool
) -> None:
    deadline = compute_deadline(anchor, Period(count, unit, extend=extend), calendar)
    assert deadline.nominal == naive_last_day(calendar, anchor, count, unit, extend=False)
    assert deadline.last_day == naive_last_day(calendar, anchor, count, unit, extend=extend)


# -- 9. months ---------------------------------------------------------------------------------


@settings(max_examples=300)
@given(anchors, st.integers(-36, 36))
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(day: date, months: int) -> None:
    result = add_months(day, months)
    assert result.year * 12 + result.month == day.year * 12 + day.month + months
    month_length = gregorian.monthrange(result.year, result.month)[1]
    if day.day <= month_length:
        assert result.day == day.day
    else:
        assert result.day == month_length


@CALENDAR_SETTINGS
@given(calendars, anchors, st.integers(0, 36), st.booleans())
def test_months_and_years_after_are_add_months(
    calendar: HolidayCalendar, anchor: date, count: int, extend: bool
) -> None:
    months = compute_deadline(anchor, Period(count, Unit.MONTHS, extend=extend), calendar)
    assert months.nominal == add_months(anchor, count)
    if not extend:
        assert months.last_day == add_months(anchor, count)
    years = compute_deadline(anchor, Period(count, Unit.YEARS), calendar)
    assert years.last_day == add_months(anchor, 12 * count)
    before = compute_deadline(anchor, Period(count, Unit.MONTHS, Direction.BEFORE), calendar)
    assert before.last_day == add_months(anchor, -count)


# -- 10. backwards periods ---------------------------------------------------------------------


@CALENDAR_SETTINGS
@given(
    calendars,
    anchors,
    periods(directions=(Direction.BEFORE,), extend=True),
)
def test_backwards_periods_are_never_extended(
    calendar: HolidayCalendar, anchor: date, period: Period
) -> None:
    deadline = compute_deadline(anchor, period, calendar)
    assert deadline.last_day == deadline.nominal
    assert not deadline.extended
    plain = Period(
        period.count, period.unit, Direction.BEFORE, strict_francs=period.strict_francs
    )  # neither art. 3(4) nor art. 3(5)
    assert deadline.last_day == compute_deadline(anchor, plain, calendar).last_day
    assert all(entry.day < anchor for entry in deadline.skipped())


# -- 11. hours across DST ----------------------------------------------------------------------


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, gregorian.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 6) % 7)


@st.composite
def anchors_near_clock_changes(draw: st.DrawFn) -> datetime:
    """An aware Paris time within three days of a spring or autumn clock change (01:00 UTC)."""
    year = draw(st.integers(1996, 2090))
    month = draw(st.sampled_from((3, 10)))
    change = datetime.combine(_last_sunday(year, month), datetime.min.time(), UTC).replace(hour=1)
    offset = timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))
    return (change + offset).astimezone(PARIS)


@CALENDAR_SETTINGS
@given(
    calendars,
    st.one_of(anchors_near_clock_changes(), aware_anchors),
    st.integers(0, 24 * 5),
    st.sampled_from(Direction),
)
def test_hours_are_elapsed_hours_across_clock_changes(
    calendar: HolidayCalendar, anchor: datetime, count: int, direction: Direction
) -> None:
    deadline = compute_deadline(anchor, Period(count, Unit.HOURS, direction), calendar, PARIS)
    elapsed = deadline.ends_at - anchor
    sign = 1 if direction is Direction.AFTER else -1
    assert elapsed == sign * timedelta(hours=count)
    assert deadline.ends_at.utcoffset() == timedelta(0)
    assert deadline.last_day == deadline.ends_at.astimezone(PARIS).date()
    assert deadline.nominal == deadline.last_day
