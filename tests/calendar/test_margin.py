"""Margins: how early or late a request is, in the period's own unit."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from policycheck.calendar import (
    CalendarError,
    Direction,
    Margin,
    Period,
    Unit,
    calendar_for,
    compute_deadline,
)

D = date.fromisoformat


@pytest.fixture
def tomtom_paris():  # type: ignore[no-untyped-def]
    """14 jours ouvrables from Wed 4 Apr 2012 in Paris: last day Sat 21 Apr 2012."""
    return compute_deadline(D("2012-04-04"), Period(14, Unit.OUVRABLES), calendar_for("FR"))


@pytest.mark.parametrize(
    ("when", "margin"),
    [
        ("2012-04-21", Margin(0, Unit.OUVRABLES, late=False)),
        ("2012-04-20", Margin(1, Unit.OUVRABLES, late=False)),
        ("2012-04-16", Margin(5, Unit.OUVRABLES, late=False)),
        ("2012-04-15", Margin(5, Unit.OUVRABLES, late=False)),  # Sunday: must still reach Mon 16
        ("2012-04-23", Margin(1, Unit.OUVRABLES, late=True)),  # Monday after Saturday
        ("2012-04-22", Margin(1, Unit.OUVRABLES, late=True)),  # Sunday: Monday would cover it
        ("2012-04-24", Margin(2, Unit.OUVRABLES, late=True)),
        ("2012-05-04", Margin(10, Unit.OUVRABLES, late=True)),  # 1 May skipped
    ],
)
def test_ouvrables_margin(tomtom_paris, when: str, margin: Margin) -> None:  # type: ignore[no-untyped-def]
    assert tomtom_paris.margin(D(when)) == margin
    assert tomtom_paris.is_in_time(D(when)) is not margin.late


def test_margin_of_a_datetime_uses_the_local_date() -> None:
    deadline = compute_deadline(
        D("2012-04-04"), Period(14, Unit.OUVRABLES), calendar_for("FR"), "Europe/Paris"
    )
    late_evening = datetime.fromisoformat("2012-04-21T23:30+02:00")
    next_morning_utc = datetime.fromisoformat("2012-04-21T22:30+00:00")
    assert not deadline.margin(late_evening).late
    assert deadline.margin(next_morning_utc) == Margin(1, Unit.OUVRABLES, late=True)


def test_months_margin_is_in_days() -> None:
    deadline = compute_deadline(D("2024-01-31"), Period(1, Unit.MONTHS), calendar_for("FR"))
    assert deadline.margin(D("2024-03-02")) == Margin(2, Unit.DAYS, late=True)


def test_hours_margin_rounds_lateness_up_and_slack_down() -> None:
    anchor = datetime.fromisoformat("2024-06-01T10:00+02:00")
    deadline = compute_deadline(anchor, Period(24, Unit.HOURS), calendar_for("FR"), "Europe/Paris")
    assert deadline.margin(datetime.fromisoformat("2024-06-02T11:15+02:00")) == Margin(
        2, Unit.HOURS, late=True
    )
    assert deadline.margin(datetime.fromisoformat("2024-06-02T08:30+02:00")) == Margin(
        1, Unit.HOURS, late=False
    )
    with pytest.raises(CalendarError, match="date and time"):
        deadline.margin(D("2024-06-02"))


@pytest.mark.parametrize(
    ("margin", "language", "text"),
    [
        (Margin(1, Unit.OUVRABLES, True), "en", "late by 1 jour ouvrable"),
        (Margin(2, Unit.OUVRABLES, True), "fr", "en retard de 2 jours ouvrables"),
        (Margin(0, Unit.DAYS, False), "en", "on the last day"),
        (Margin(3, Unit.OUVRES, False), "en", "3 business days to spare"),
    ],
)
def test_margin_description(margin: Margin, language: str, text: str) -> None:
    assert margin.describe(language) == text


def test_hours_need_a_datetime_anchor() -> None:
    with pytest.raises(CalendarError, match="needs a date and time"):
        compute_deadline(D("2024-06-01"), Period(24, Unit.HOURS), calendar_for("FR"))


@pytest.mark.parametrize("count", [-1, 1.5, True])
def test_period_count_must_be_a_whole_non_negative_number(count: object) -> None:
    with pytest.raises(CalendarError):
        Period(count, Unit.DAYS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("anchor", "period"),
    [
        ("2199-12-25", Period(14, Unit.OUVRABLES)),
        ("2199-12-25", Period(14, Unit.DAYS)),
        ("2199-06-01", Period(12, Unit.MONTHS)),
        ("1900-01-05", Period(10, Unit.DAYS, Direction.BEFORE)),
    ],
)
def test_dates_outside_the_supported_years_are_a_clear_error(anchor: str, period: Period) -> None:
    with pytest.raises(CalendarError, match="1900 to 2199"):
        compute_deadline(D(anchor), period, calendar_for("FR"))


def test_backwards_slack_counts_how_much_longer_the_period_could_be() -> None:
    """3 business days before Fri 3 May 2024 end Mon 29 Apr. Four would end Fri 26 Apr: a
    request on Fri 26 has 1 to spare, one on Sun 28 has none."""
    period = Period(3, Unit.OUVRES, Direction.BEFORE)
    deadline = compute_deadline(D("2024-05-03"), period, calendar_for("FR"))
    assert deadline.margin(D("2024-04-28")) == Margin(0, Unit.OUVRES, late=False)
    assert deadline.margin(D("2024-04-26")) == Margin(1, Unit.OUVRES, late=False)
    assert deadline.margin(D("2024-04-30")) == Margin(1, Unit.OUVRES, late=True)


# -- a tolerance keeps its unit: late by at most N weeks, months, years ------------------------


@pytest.mark.parametrize(
    ("unit", "anchor", "when", "tolerance", "near"),
    [
        # 1 month from Wed 31 Jan 2024 ends Thu 29 Feb; 2 months end Sun 31 Mar.
        (Unit.MONTHS, "2024-01-31", "2024-03-10", 1, True),  # 10 days late, within a month
        (Unit.MONTHS, "2024-01-31", "2024-03-31", 1, True),  # 31 days late: still 1 month
        (Unit.MONTHS, "2024-01-31", "2024-04-01", 1, False),
        (Unit.MONTHS, "2024-01-31", "2024-03-10", 0, False),
        # 1 week from Mon 1 Jan 2024 ends Mon 8 Jan; 2 weeks end Mon 15 Jan.
        (Unit.WEEKS, "2024-01-01", "2024-01-15", 1, True),
        (Unit.WEEKS, "2024-01-01", "2024-01-16", 1, False),
        # 1 year from Thu 29 Feb 2024 ends Fri 28 Feb 2025; 2 years end Sat 28 Feb 2026.
        (Unit.YEARS, "2024-02-29", "2026-02-28", 1, True),
        (Unit.YEARS, "2024-02-29", "2026-03-01", 1, False),
        (Unit.YEARS, "2024-02-29", "2025-12-31", 1, True),  # 306 days late: within a year
    ],
)
def test_a_tolerance_in_weeks_months_or_years_is_compared_in_its_own_unit(
    unit: Unit, anchor: str, when: str, tolerance: int, near: bool
) -> None:
    """The margin is counted in days; the tolerance is not converted into days."""
    deadline = compute_deadline(D(anchor), Period(1, unit), calendar_for("FR"))
    margin = deadline.margin(D(when))
    assert (margin.unit, margin.late) == (Unit.DAYS, True)
    assert deadline.late_by_at_most(D(when), tolerance) is near


def test_a_tolerance_in_the_margins_own_unit_compares_the_margin() -> None:
    deadline = compute_deadline(D("2012-04-04"), Period(14, Unit.OUVRABLES), calendar_for("FR"))
    assert deadline.margin(D("2012-04-25")) == Margin(3, Unit.OUVRABLES, late=True)
    assert deadline.late_by_at_most(D("2012-04-25"), 3)
    assert not deadline.late_by_at_most(D("2012-04-25"), 2)
    assert deadline.late_by_at_most(D("2012-04-10"), 0)  # in time: late by nothing


def test_a_backwards_period_in_months_tolerates_lateness_past_its_anchor() -> None:
    """2 months before 30 Jun 2024 end 30 Apr; late by at most 3 months reaches 31 Jul."""
    period = Period(2, Unit.MONTHS, Direction.BEFORE)
    deadline = compute_deadline(D("2024-06-30"), period, calendar_for("FR"))
    assert deadline.last_day == D("2024-04-30")
    assert deadline.late_by_at_most(D("2024-05-30"), 1)
    assert not deadline.late_by_at_most(D("2024-05-31"), 1)
    assert deadline.late_by_at_most(D("2024-07-30"), 3)
    assert not deadline.late_by_at_most(D("2024-07-31"), 3)


def test_a_tolerance_reaching_past_the_supported_years_covers_every_supported_day() -> None:
    deadline = compute_deadline(D("2199-01-15"), Period(1, Unit.MONTHS), calendar_for("FR"))
    assert deadline.late_by_at_most(D("2199-12-31"), 10_000_000_000)
