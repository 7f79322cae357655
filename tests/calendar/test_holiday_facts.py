"""Frozen public-holiday facts that the other calendar tests rely on.

If an upgrade of the `holidays` package changes any of these, this file fails first and says
which date moved: check the law (docs/domain.md §4.3), then update the table deliberately.
"""

from __future__ import annotations

from datetime import date

import pytest

from policycheck.calendar import calendar_for

MAINLAND_2012 = {
    "2012-01-01", "2012-04-09", "2012-05-01", "2012-05-08", "2012-05-17", "2012-05-28",
    "2012-07-14", "2012-08-15", "2012-11-01", "2012-11-11", "2012-12-25",
}  # fmt: skip
MAINLAND_2023 = {
    "2023-01-01", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-18", "2023-05-29",
    "2023-07-14", "2023-08-15", "2023-11-01", "2023-11-11", "2023-12-25",
}  # fmt: skip
MAINLAND_2024 = {
    "2024-01-01", "2024-04-01", "2024-05-01", "2024-05-08", "2024-05-09", "2024-05-20",
    "2024-07-14", "2024-08-15", "2024-11-01", "2024-11-11", "2024-12-25",
}  # fmt: skip
# Alsace-Moselle adds Good Friday and Saint-Étienne (26 December).
ALSACE_MOSELLE_EXTRA = {
    2012: {"2012-04-06", "2012-12-26"},
    2023: {"2023-04-07", "2023-12-26"},
    2024: {"2024-03-29", "2024-12-26"},
}
MAINLAND = {2012: MAINLAND_2012, 2023: MAINLAND_2023, 2024: MAINLAND_2024}

CASES = [
    pytest.param(postcode, year, expected, id=f"{postcode}-{year}")
    for year, mainland in MAINLAND.items()
    for postcode, expected in [
        ("75011", mainland),  # Paris
        ("20000", mainland),  # Ajaccio: Corsica is mainland for holidays
        ("54000", mainland),  # Nancy: Meurthe-et-Moselle is not Alsace-Moselle
        ("57000", mainland | ALSACE_MOSELLE_EXTRA[year]),  # Metz
        ("67000", mainland | ALSACE_MOSELLE_EXTRA[year]),  # Strasbourg
        ("68100", mainland | ALSACE_MOSELLE_EXTRA[year]),  # Mulhouse
    ]
]


@pytest.mark.parametrize(("postcode", "year", "expected"), CASES)
def test_public_holidays_of_a_year_are_exactly_the_frozen_ones(
    postcode: str, year: int, expected: set[str]
) -> None:
    calendar = calendar_for("FR", postcode=postcode)
    assert {day.isoformat() for day in calendar.holidays_in(year)} == expected


def test_reunion_has_the_abolition_of_slavery_on_20_december() -> None:
    reunion = calendar_for("FR", postcode="97400")
    assert {d.isoformat() for d in reunion.holidays_in(2024)} == MAINLAND_2024 | {"2024-12-20"}
    assert not calendar_for("FR", postcode="75011").is_holiday(date(2024, 12, 20))


@pytest.mark.parametrize(
    ("day", "language", "name"),
    [
        (date(2012, 4, 9), "en", "Easter Monday"),
        (date(2012, 12, 26), "en", "Saint Stephen's Day"),
        (date(2012, 12, 26), "fr", "Saint-Étienne"),
        (date(2012, 5, 17), "fr", "Ascension"),
    ],
)
def test_holiday_names_come_from_the_package_in_the_asked_language(
    day: date, language: str, name: str
) -> None:
    assert calendar_for("FR", postcode="57000").holiday_name(day, language) == name


def test_an_ordinary_day_has_no_holiday_name() -> None:
    assert calendar_for("FR").holiday_name(date(2012, 4, 10)) is None


def test_no_country_means_no_public_holidays() -> None:
    assert calendar_for(None).holidays_in(2012) == {}
    assert not calendar_for(None).is_holiday(date(2012, 12, 25))
