"""Legal time: periods in calendar days, *jours ouvrables*, business days, *jours francs*, hours,
weeks, months and years; public holidays by country and region; deadlines and margins.

>>> from datetime import date
>>> from policycheck.calendar import Period, Unit, calendar_for, compute_deadline
>>> paris = calendar_for("FR", postcode="75011")
>>> deadline = compute_deadline(date(2012, 4, 4), Period(14, Unit.OUVRABLES), paris, "Europe/Paris")
>>> deadline.last_day.isoformat()
'2012-04-21'
>>> deadline.margin(date(2012, 4, 23)).describe()
'late by 1 jour ouvrable'
"""

from __future__ import annotations

from policycheck.calendar.deadline import Deadline, add_months, compute_deadline
from policycheck.calendar.errors import MAX_YEAR, MIN_YEAR, CalendarError
from policycheck.calendar.holiday_calendar import HolidayCalendar, get_calendar
from policycheck.calendar.local_time import parse_when
from policycheck.calendar.margin import Margin
from policycheck.calendar.period import Direction, ExtendTo, Period
from policycheck.calendar.regions import Region, default_timezone, resolve_region
from policycheck.calendar.skipped import SkippedDay
from policycheck.calendar.tolerance import tolerated_until, within_tolerance
from policycheck.calendar.units import ACCEPTED_UNIT_WORDS, Unit, parse_unit


def calendar_for(
    country: str | None, *, postcode: str | None = None, region: str | None = None
) -> HolidayCalendar:
    """The shared (cached) holiday calendar of a country, by region code or French postcode."""
    return get_calendar(resolve_region(country, postcode=postcode, region=region))


__all__ = [
    "ACCEPTED_UNIT_WORDS",
    "MAX_YEAR",
    "MIN_YEAR",
    "CalendarError",
    "Deadline",
    "Direction",
    "ExtendTo",
    "HolidayCalendar",
    "Margin",
    "Period",
    "Region",
    "SkippedDay",
    "Unit",
    "add_months",
    "calendar_for",
    "compute_deadline",
    "default_timezone",
    "get_calendar",
    "parse_unit",
    "parse_when",
    "resolve_region",
    "tolerated_until",
    "within_tolerance",
]
