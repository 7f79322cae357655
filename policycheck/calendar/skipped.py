"""The days a deadline passed over: rest days and holidays not counted, then extension days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from policycheck.calendar.holiday_calendar import HolidayCalendar
from policycheck.calendar.period import Direction
from policycheck.calendar.span import CountedPeriod
from policycheck.calendar.units import WORKING_REST, Unit


@dataclass(frozen=True, slots=True)
class SkippedDay:
    """A day the count passed over or the extension moved past, and why."""

    day: date
    kind: str  # "rest_day", "holiday" or "minimum_working_days"
    name: str

    def to_dict(self) -> dict[str, str]:
        """JSON form: `{"date": "2012-04-09", "kind": "holiday", "name": "Easter Monday"}`."""
        return {"date": self.day.isoformat(), "kind": self.kind, "name": self.name}


def skipped_days(deadline: CountedPeriod, language: str = "en") -> tuple[SkippedDay, ...]:
    """Every day inside the period that was not counted, and every day the extension moved past."""
    period = deadline.period
    if period.unit is Unit.HOURS:
        return ()
    skipped: list[SkippedDay] = []
    rest_days = period.unit.rest_days
    if rest_days is not None:
        if period.direction is Direction.AFTER:
            first, last = deadline.anchor + timedelta(days=1), deadline.nominal
        else:
            first, last = deadline.nominal, deadline.anchor - timedelta(days=1)
        for day in _days(first, last):
            if not deadline.calendar.is_working_day(day, rest_days):
                skipped.append(_why(day, deadline.calendar, language))
    for day in _days(deadline.nominal, deadline.last_day - timedelta(days=1)):
        skipped.append(_why(day, deadline.calendar, language))
    return tuple(skipped)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _why(day: date, calendar: HolidayCalendar, language: str) -> SkippedDay:
    name = calendar.holiday_name(day, language)
    if name is not None:
        return SkippedDay(day, "holiday", name)
    if day.weekday() in WORKING_REST:
        return SkippedDay(day, "rest_day", calendar.rest_day_name(day, language))
    reason = (
        "au moins deux jours ouvrés (1182/71 art. 3(5))"
        if language == "fr"
        else "at least two working days (1182/71 art. 3(5))"
    )
    return SkippedDay(day, "minimum_working_days", reason)
