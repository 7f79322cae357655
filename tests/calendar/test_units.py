"""Unit words in French and English."""

from __future__ import annotations

import pytest

from policycheck.calendar import CalendarError, Unit, parse_unit


@pytest.mark.parametrize(
    ("word", "unit"),
    [
        ("ouvrables", Unit.OUVRABLES),
        ("jours ouvrables", Unit.OUVRABLES),
        ("ouvres", Unit.OUVRES),
        ("ouvrés", Unit.OUVRES),
        ("business-days", Unit.OUVRES),
        ("business_days", Unit.OUVRES),
        ("days", Unit.DAYS),
        ("jours", Unit.DAYS),
        ("Jours", Unit.DAYS),
        ("francs", Unit.FRANCS),
        ("hours", Unit.HOURS),
        ("heures", Unit.HOURS),
        ("weeks", Unit.WEEKS),
        ("months", Unit.MONTHS),
        ("mois", Unit.MONTHS),
        ("years", Unit.YEARS),
    ],
)
def test_unit_words(word: str, unit: Unit) -> None:
    assert parse_unit(word) is unit


def test_unknown_unit_lists_the_accepted_words() -> None:
    with pytest.raises(CalendarError, match=r"unknown unit `fortnights`; accepted: ouvrables"):
        parse_unit("fortnights")


@pytest.mark.parametrize(
    ("unit", "count", "language", "text"),
    [
        (Unit.OUVRABLES, 1, "en", "1 jour ouvrable"),
        (Unit.OUVRABLES, 2, "fr", "2 jours ouvrables"),
        (Unit.OUVRES, 3, "en", "3 business days"),
        (Unit.OUVRES, 1, "fr", "1 jour ouvré"),
        (Unit.DAYS, 0, "en", "0 days"),
    ],
)
def test_labels(unit: Unit, count: int, language: str, text: str) -> None:
    assert unit.label(count, language) == text
