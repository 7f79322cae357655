"""Worked examples of docs/domain.md §3.3, §3.4 and the founding TomTom cases, as parametrized
cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from policycheck.calendar import (
    Direction,
    ExtendTo,
    Period,
    Unit,
    calendar_for,
    compute_deadline,
)

PARIS, STRASBOURG, MULHOUSE, METZ, REUNION = "75011", "67000", "68100", "57000", "97400"
D = date.fromisoformat

# anchor, postcode, nominal last day, effective last day: 14 calendar days, art. 3(4) extension.
SECTION_3_3 = [
    ("2023-03-04", PARIS, "2023-03-18", "2023-03-20", "goods received on a Saturday"),
    ("2023-11-05", PARIS, "2023-11-19", "2023-11-20", "service concluded on a Sunday"),
    ("2023-06-30", PARIS, "2023-07-14", "2023-07-17", "14 July, then the weekend"),
    ("2023-05-04", PARIS, "2023-05-18", "2023-05-19", "Ascension"),
    ("2024-03-15", PARIS, "2024-03-29", "2024-03-29", "Good Friday is no holiday in Paris"),
    ("2024-03-15", STRASBOURG, "2024-03-29", "2024-04-02", "Good Friday in Alsace-Moselle"),
    ("2024-03-16", PARIS, "2024-03-30", "2024-04-02", "Saturday, Sunday, Easter Monday"),
    ("2023-12-12", PARIS, "2023-12-26", "2023-12-26", "Saint-Étienne: not in Paris"),
    ("2023-12-12", MULHOUSE, "2023-12-26", "2023-12-27", "Saint-Étienne in Mulhouse"),
    ("2024-12-11", PARIS, "2024-12-25", "2024-12-26", "Christmas in Paris"),
    ("2024-12-11", METZ, "2024-12-25", "2024-12-27", "Christmas and Saint-Étienne in Metz"),
    ("2022-12-17", PARIS, "2022-12-31", "2023-01-02", "Saturday, then 1 January: year end"),
    ("2024-12-20", PARIS, "2025-01-03", "2025-01-03", "crosses the year end, no extension"),
    ("2024-12-06", REUNION, "2024-12-20", "2024-12-23", "abolition of slavery, Réunion only"),
    ("2024-10-13", PARIS, "2024-10-27", "2024-10-28", "clocks go back on the last day"),
]


@pytest.mark.parametrize(
    ("anchor", "postcode", "nominal", "effective"),
    [pytest.param(*case[:4], id=case[4]) for case in SECTION_3_3],
)
def test_fourteen_days_with_the_1182_extension(
    anchor: str, postcode: str, nominal: str, effective: str
) -> None:
    deadline = compute_deadline(
        D(anchor), Period(14, Unit.DAYS, extend=True), calendar_for("FR", postcode=postcode),
        "Europe/Paris",
    )  # fmt: skip
    assert deadline.nominal == D(nominal)
    assert deadline.last_day == D(effective)
    assert deadline.extended is (nominal != effective)


def test_period_ending_after_the_clocks_go_back_ends_at_23h_utc() -> None:
    deadline = compute_deadline(
        D("2024-10-13"), Period(14, Unit.DAYS, extend=True), calendar_for("FR"), "Europe/Paris"
    )
    assert deadline.ends_at == datetime(2024, 10, 28, 23, 0, tzinfo=UTC)


def test_summer_deadline_ends_at_22h_utc() -> None:
    deadline = compute_deadline(
        D("2012-04-04"), Period(14, Unit.OUVRABLES), calendar_for("FR"), "Europe/Paris"
    )
    assert deadline.ends_at == datetime(2012, 4, 21, 22, 0, tzinfo=UTC)


def test_twelve_month_extension_then_sunday() -> None:
    """Art. 10 CRD: initial period ended Fri 17 Mar 2023; +12 months is a Sunday."""
    deadline = compute_deadline(
        D("2023-03-17"), Period(12, Unit.MONTHS, extend=True), calendar_for("FR"), "Europe/Paris"
    )
    assert (deadline.nominal, deadline.last_day) == (D("2024-03-17"), D("2024-03-18"))


def test_two_day_period_holds_two_working_days() -> None:
    """Art. 3(4) moves Sun 22 Dec 2024 to Mon 23; art. 3(5) then needs Tue 24."""
    calendar = calendar_for("FR")
    extended_only = compute_deadline(D("2024-12-20"), Period(2, Unit.DAYS, extend=True), calendar)
    both = compute_deadline(
        D("2024-12-20"), Period(2, Unit.DAYS, extend=True, minimum_working_days=True), calendar
    )
    assert extended_only.last_day == D("2024-12-23")
    assert both.nominal == D("2024-12-22")
    assert both.last_day == D("2024-12-24")
    kinds = [(s.day, s.kind) for s in both.skipped()]
    assert kinds == [
        (D("2024-12-22"), "rest_day"),
        (D("2024-12-23"), "minimum_working_days"),
    ]


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [("2025-01-31", "2025-02-28"), ("2024-01-31", "2024-02-29"), ("2024-03-31", "2024-04-30")],
)
def test_one_month_clamps_to_the_month_end(anchor: str, expected: str) -> None:
    deadline = compute_deadline(D(anchor), Period(1, Unit.MONTHS), calendar_for("FR"))
    assert deadline.last_day == D(expected)


@pytest.mark.parametrize(
    ("extend_to", "expected"),
    [(ExtendTo.OUVRABLE, "2012-04-07"), (ExtendTo.WORKING_DAY, "2012-04-10")],
)
def test_jours_francs_ending_on_good_friday_in_alsace(extend_to: ExtendTo, expected: str) -> None:
    """DOMAIN §3.4: the literal L221-19 reading stops on Saturday, 1182/71 goes to Tuesday."""
    period = Period(7, Unit.FRANCS, extend=True, extend_to=extend_to)
    deadline = compute_deadline(D("2012-03-30"), period, calendar_for("FR", postcode=STRASBOURG))
    assert deadline.nominal == D("2012-04-06")
    assert deadline.last_day == D(expected)


def test_strict_jours_francs_do_not_count_the_day_it_falls_due() -> None:
    calendar = calendar_for("FR")
    usual = compute_deadline(D("2012-03-05"), Period(7, Unit.FRANCS), calendar)
    strict = compute_deadline(D("2012-03-05"), Period(7, Unit.FRANCS, strict_francs=True), calendar)
    assert (usual.last_day, strict.last_day) == (D("2012-03-12"), D("2012-03-13"))


# The founding clause: 14 jours ouvrables following delivery.
TOMTOM = [
    ("2012-04-04", PARIS, "2012-04-21", "Easter Monday skipped"),
    ("2012-04-04", STRASBOURG, "2012-04-23", "Good Friday and Easter Monday skipped"),
    ("2012-12-17", METZ, "2013-01-05", "Christmas, Saint-Étienne, New Year"),
    ("2012-12-17", PARIS, "2013-01-04", "Christmas, New Year"),
    ("2012-05-14", PARIS, "2012-06-01", "Ascension and Whit Monday"),
]


@pytest.mark.parametrize(
    ("anchor", "postcode", "expected"), [pytest.param(*c[:3], id=c[3]) for c in TOMTOM]
)
def test_fourteen_jours_ouvrables(anchor: str, postcode: str, expected: str) -> None:
    calendar = calendar_for("FR", postcode=postcode)
    deadline = compute_deadline(D(anchor), Period(14, Unit.OUVRABLES), calendar, "Europe/Paris")
    assert deadline.last_day == D(expected)


def test_business_days_skip_saturdays_and_holidays() -> None:
    """The `holidays` documentation's own example: 14 jours ouvrés from 14 May 2012."""
    deadline = compute_deadline(D("2012-05-14"), Period(14, Unit.OUVRES), calendar_for("FR"))
    assert deadline.last_day == D("2012-06-05")


def test_skipped_days_are_named() -> None:
    deadline = compute_deadline(
        D("2012-04-04"), Period(14, Unit.OUVRABLES), calendar_for("FR", postcode=STRASBOURG)
    )
    assert [(s.day.isoformat(), s.kind, s.name) for s in deadline.skipped()] == [
        ("2012-04-06", "holiday", "Good Friday"),
        ("2012-04-08", "rest_day", "Sunday"),
        ("2012-04-09", "holiday", "Easter Monday"),
        ("2012-04-15", "rest_day", "Sunday"),
        ("2012-04-22", "rest_day", "Sunday"),
    ]
    assert deadline.skipped("fr")[1].name == "dimanche"


def test_ouvrables_ending_on_saturday_extend_to_monday_only_when_asked() -> None:
    calendar = calendar_for("FR")
    plain = compute_deadline(D("2012-04-04"), Period(14, Unit.OUVRABLES), calendar)
    extended = compute_deadline(D("2012-04-04"), Period(14, Unit.OUVRABLES, extend=True), calendar)
    assert plain.last_day == D("2012-04-21")  # a Saturday: a jour ouvrable (K2, literal)
    assert extended.last_day == D("2012-04-23")


def test_backwards_period_is_never_extended() -> None:
    """'Until 7 days before arrival' on Sat 15 Jun 2024: Sat 8 Jun, even with extension on."""
    period = Period(7, Unit.DAYS, Direction.BEFORE, extend=True, minimum_working_days=True)
    deadline = compute_deadline(D("2024-06-15"), period, calendar_for("FR"))
    assert deadline.last_day == deadline.nominal == D("2024-06-08")


def test_backwards_working_days_skip_holidays() -> None:
    """3 business days before Fri 3 May 2024: Thu 2, Tue 30 Apr, Mon 29 (1 May is a holiday)."""
    period = Period(3, Unit.OUVRES, Direction.BEFORE)
    deadline = compute_deadline(D("2024-05-03"), period, calendar_for("FR"))
    assert deadline.last_day == D("2024-04-29")
    assert [s.day for s in deadline.skipped()] == [D("2024-05-01")]


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        ("2012-06-01T23:30+02:00", "2012-06-15"),  # still 1 June in Paris
        ("2012-06-01T23:30+00:00", "2012-06-16"),  # 2 June 01:30 in Paris
        ("2012-06-01T23:30", "2012-06-15"),  # naive: already local time
    ],
)
def test_datetimes_are_read_in_the_policy_time_zone(anchor: str, expected: str) -> None:
    deadline = compute_deadline(
        datetime.fromisoformat(anchor), Period(14, Unit.DAYS), calendar_for("FR"), "Europe/Paris"
    )
    assert deadline.last_day == D(expected)


def test_hours_across_the_spring_clock_change_are_elapsed_hours() -> None:
    anchor = datetime.fromisoformat("2024-03-30T12:00+01:00")
    deadline = compute_deadline(anchor, Period(24, Unit.HOURS), calendar_for("FR"), "Europe/Paris")
    assert deadline.ends_at == datetime(2024, 3, 31, 11, 0, tzinfo=UTC)  # 13:00 local, UTC+2
    assert deadline.last_day == D("2024-03-31")


def test_weeks_end_on_the_same_weekday() -> None:
    deadline = compute_deadline(D("2024-03-06"), Period(2, Unit.WEEKS), calendar_for("FR"))
    assert deadline.last_day == D("2024-03-20")


def test_one_year_from_29_february_clamps() -> None:
    deadline = compute_deadline(D("2024-02-29"), Period(1, Unit.YEARS), calendar_for("FR"))
    assert deadline.last_day == D("2025-02-28")
