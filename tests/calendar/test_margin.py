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
