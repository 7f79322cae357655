"""Margins: how far a request is from a deadline, in the period's own unit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from policycheck.calendar.errors import CalendarError
from policycheck.calendar.local_time import as_instant, local_date
from policycheck.calendar.period import Direction
from policycheck.calendar.span import CountedPeriod
from policycheck.calendar.units import Unit

_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Margin:
    """`value` units early (late=False, 0 on the last day itself) or late (late=True, value >= 1).

    `unit` is the unit the margin is counted in: the period's own, or calendar days for a period
    in weeks, months or years (whose units vary in length). Late by k means k more units would
    have made the request in time; early by k means the period could have been k units shorter
    (longer, for a period counted backwards). After an extension, margins are counted from the
    extended last day. A tolerance in the period's unit: `Deadline.late_by_at_most`.
    """

    value: int
    unit: Unit
    late: bool

    def to_dict(self) -> dict[str, object]:
        """JSON form: `{"value": 1, "unit": "ouvrables", "late": true}`."""
        return {"value": self.value, "unit": self.unit.value, "late": self.late}

    def describe(self, language: str = "en") -> str:
        """`late by 1 jour ouvrable`, `2 days to spare`, `on the last day`."""
        amount = self.unit.label(self.value, language)
        if language == "fr":
            if self.late:
                return f"en retard de {amount}"
            return "le dernier jour" if self.value == 0 else f"{amount} d'avance"
        if self.late:
            return f"late by {amount}"
        return "on the last day" if self.value == 0 else f"{amount} to spare"


def measure_margin(when: date, deadline: CountedPeriod) -> Margin:
    """The margin of a request made at `when` (date, or datetime read in the deadline's zone)."""
    unit = deadline.period.unit
    if unit is Unit.HOURS:
        return _hours_margin(when, deadline)
    when_ordinal = local_date(when, deadline.tz).toordinal()
    last_ordinal = deadline.last_day.toordinal()
    rest_days = unit.rest_days
    if rest_days is None:
        gap = when_ordinal - last_ordinal
        return Margin(abs(gap), unit.margin_unit, gap > 0)
    calendar = deadline.calendar
    on_rest_day = not calendar.is_working_day(date.fromordinal(when_ordinal), rest_days)
    if when_ordinal <= last_ordinal:
        return Margin(_spare_working_days(when_ordinal, on_rest_day, deadline), unit, False)
    late = calendar.working_days_between(last_ordinal, when_ordinal, rest_days)
    # Only the next working day would have covered a request made on a rest day.
    return Margin(late + on_rest_day, unit, True)


def _spare_working_days(when_ordinal: int, on_rest_day: bool, deadline: CountedPeriod) -> int:
    """By how many units the period could change and still cover an early request.

    Forwards: how much shorter it could be. A request on a rest day inside the period still
    needs it to reach the next working day; one on or before the anchor day fits a period of 0.
    Backwards: how much longer it could be: the working days from the request to the last day.
    """
    rest_days = deadline.period.unit.rest_days
    assert rest_days is not None
    calendar, last_ordinal = deadline.calendar, deadline.last_day.toordinal()
    if deadline.period.direction is Direction.BEFORE:
        return calendar.working_days_between(when_ordinal - 1, last_ordinal - 1, rest_days)
    spare = calendar.working_days_between(when_ordinal, last_ordinal, rest_days)
    if on_rest_day and when_ordinal > deadline.anchor.toordinal():
        spare -= 1
    return max(0, spare)


def _hours_margin(when: date, deadline: CountedPeriod) -> Margin:
    if not isinstance(when, datetime):
        raise CalendarError("a period in hours is measured against a date and time, not a date")
    gap = as_instant(when, deadline.tz) - deadline.ends_at
    if gap > timedelta(0):
        return Margin(math.ceil(gap / _HOUR), Unit.HOURS, True)
    return Margin(math.floor(-gap / _HOUR), Unit.HOURS, False)
