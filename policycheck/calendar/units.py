"""Units of time that terms of sale count in, and the words (French and English) that name them."""

from __future__ import annotations

import enum

from policycheck.calendar.errors import CalendarError

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

#: Weekly rest days of a *jour ouvrable* count: only Sunday.
OUVRABLE_REST = frozenset({SUNDAY})
#: Weekly rest days of a business-day (*jour ouvré*, EU "working day") count: Saturday and Sunday.
WORKING_REST = frozenset({SATURDAY, SUNDAY})


class Unit(enum.Enum):
    """A unit of a period. The value is the canonical name used in JSON and rule files."""

    DAYS = "days"
    OUVRABLES = "ouvrables"
    OUVRES = "ouvres"
    FRANCS = "francs"
    HOURS = "hours"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"

    @property
    def rest_days(self) -> frozenset[int] | None:
        """Weekly rest days for units counted in working days; None for the other units."""
        if self is Unit.OUVRABLES:
            return OUVRABLE_REST
        if self is Unit.OUVRES:
            return WORKING_REST
        return None

    @property
    def counts_working_days(self) -> bool:
        """True for units that skip rest days and public holidays while counting."""
        return self.rest_days is not None

    @property
    def margin_unit(self) -> Unit:
        """The unit a margin is measured in: the period's own, or days for weeks, months, years."""
        if self in (Unit.WEEKS, Unit.MONTHS, Unit.YEARS):
            return Unit.DAYS
        return self

    def label(self, count: int, language: str = "en") -> str:
        """`1 jour ouvrable`, `2 business days`: a count with its unit in words."""
        singular, plural = _LABELS[language if language in _LABELS else "en"][self]
        return f"{count} {singular if abs(count) == 1 else plural}"


_ALIASES: dict[str, Unit] = {
    "days": Unit.DAYS,
    "day": Unit.DAYS,
    "calendar-days": Unit.DAYS,
    "jours": Unit.DAYS,
    "jour": Unit.DAYS,
    "calendaires": Unit.DAYS,
    "jours-calendaires": Unit.DAYS,
    "ouvrables": Unit.OUVRABLES,
    "ouvrable": Unit.OUVRABLES,
    "jours-ouvrables": Unit.OUVRABLES,
    "ouvres": Unit.OUVRES,
    "ouvrés": Unit.OUVRES,
    "ouvre": Unit.OUVRES,
    "ouvré": Unit.OUVRES,
    "jours-ouvres": Unit.OUVRES,
    "jours-ouvrés": Unit.OUVRES,
    "business-days": Unit.OUVRES,
    "business-day": Unit.OUVRES,
    "working-days": Unit.OUVRES,
    "working-day": Unit.OUVRES,
    "francs": Unit.FRANCS,
    "franc": Unit.FRANCS,
    "jours-francs": Unit.FRANCS,
    "clear-days": Unit.FRANCS,
    "hours": Unit.HOURS,
    "hour": Unit.HOURS,
    "heures": Unit.HOURS,
    "heure": Unit.HOURS,
    "weeks": Unit.WEEKS,
    "week": Unit.WEEKS,
    "semaines": Unit.WEEKS,
    "semaine": Unit.WEEKS,
    "months": Unit.MONTHS,
    "month": Unit.MONTHS,
    "mois": Unit.MONTHS,
    "years": Unit.YEARS,
    "year": Unit.YEARS,
    "ans": Unit.YEARS,
    "an": Unit.YEARS,
    "années": Unit.YEARS,
    "annees": Unit.YEARS,
}

_LABELS: dict[str, dict[Unit, tuple[str, str]]] = {
    "en": {
        Unit.DAYS: ("day", "days"),
        Unit.OUVRABLES: ("jour ouvrable", "jours ouvrables"),
        Unit.OUVRES: ("business day", "business days"),
        Unit.FRANCS: ("jour franc", "jours francs"),
        Unit.HOURS: ("hour", "hours"),
        Unit.WEEKS: ("week", "weeks"),
        Unit.MONTHS: ("month", "months"),
        Unit.YEARS: ("year", "years"),
    },
    "fr": {
        Unit.DAYS: ("jour", "jours"),
        Unit.OUVRABLES: ("jour ouvrable", "jours ouvrables"),
        Unit.OUVRES: ("jour ouvré", "jours ouvrés"),
        Unit.FRANCS: ("jour franc", "jours francs"),
        Unit.HOURS: ("heure", "heures"),
        Unit.WEEKS: ("semaine", "semaines"),
        Unit.MONTHS: ("mois", "mois"),
        Unit.YEARS: ("an", "ans"),
    },
}

ACCEPTED_UNIT_WORDS = (
    "ouvrables, ouvres/business-days, days/jours, francs, hours, weeks, months, years"
)


def parse_unit(word: str) -> Unit:
    """Read a unit from its French or English name (case, accents and `_`/space tolerant)."""
    key = word.strip().lower().replace("_", "-").replace(" ", "-")
    unit = _ALIASES.get(key)
    if unit is None:
        raise CalendarError(f"unknown unit `{word}`; accepted: {ACCEPTED_UNIT_WORDS}")
    return unit
