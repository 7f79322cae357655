"""Deadlines (Regulation 1182/71 art. 3; Code de la consommation L221-19).

The day of the anchor event is never counted. A period counted forwards may be extended to the
next working day when it ends on a Saturday, Sunday or public holiday (art. 3(4)) and may be
required to hold two working days (art. 3(5)); a period counted backwards ("until 7 days before
arrival") is never extended, nor is one in hours.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from policycheck.calendar.errors import MAX_YEAR, MIN_YEAR, CalendarError, out_of_range
from policycheck.calendar.holiday_calendar import HolidayCalendar
from policycheck.calendar.local_time import as_instant, local_date, zone
from policycheck.calendar.margin import Margin, measure_margin
from policycheck.calendar.period import Direction, ExtendTo, Period
from policycheck.calendar.skipped import SkippedDay, skipped_days
from policycheck.calendar.span import CountedPeriod
from policycheck.calendar.units import OUVRABLE_REST, WORKING_REST, Unit


class Deadline(CountedPeriod):
    """The last day on which a request is in time, and how it was reached."""

    def is_in_time(self, when: date) -> bool:
        """True when a request made at `when` falls within the period."""
        return not self.margin(when).late

    def margin(self, when: date) -> Margin:
        """How many units `when` is before (or after) this deadline."""
        return measure_margin(when, self)

    def late_by_at_most(self, when: date, count: int) -> bool:
        """True when a request at `when` is in time or late by at most `count` units of the
        period's own unit. Margins in weeks, months and years are counted in days; the tolerance
        keeps its unit: late by at most k months means the period k months longer (shorter,
        counted backwards) would have covered the request."""
        margin = self.margin(when)
        if not margin.late:
            return True
        if margin.unit is self.period.unit:
            return margin.value <= count
        try:
            longer = self.lengthened(count)
        except CalendarError:  # it would end past the supported years, so covers them all
            return local_date(when, self.tz).year <= MAX_YEAR
        return longer.is_in_time(when)

    def lengthened(self, count: int) -> Deadline:
        """The deadline had the period been `count` units longer (forwards) or shorter
        (backwards, past the anchor if need be): its last day is never earlier than this one's."""
        period = self.period
        if period.direction is Direction.AFTER:
            longer = replace(period, count=period.count + count)
        elif count <= period.count:
            longer = replace(period, count=period.count - count)
        else:
            longer = replace(period, count=count - period.count, direction=Direction.AFTER)
            longer = replace(longer, extend=False, minimum_working_days=False)
        return compute_deadline(self.anchor, longer, self.calendar, self.tz)

    def skipped(self, language: str = "en") -> tuple[SkippedDay, ...]:
        """The rest days and holidays the count passed over, then the days the extension skipped."""
        return skipped_days(self, language)

    def to_dict(self, language: str = "en") -> dict[str, object]:
        """JSON form of the deadline, with the skipped days named in `language`."""
        return {
            "anchor": self.anchor.isoformat(),
            "count": self.period.count,
            "unit": self.period.unit.value,
            "direction": self.period.direction.value,
            "nominal": self.nominal.isoformat(),
            "deadline": self.last_day.isoformat(),
            "ends_at": self.ends_at.isoformat().replace("+00:00", "Z"),
            "extended": self.extended,
            "region": str(self.calendar.region),
            "timezone": self.tz.key,
            "skipped": [skipped.to_dict() for skipped in self.skipped(language)],
        }


def compute_deadline(
    anchor: date, period: Period, calendar: HolidayCalendar, timezone: str | ZoneInfo = "UTC"
) -> Deadline:
    """The deadline of `period` counted from `anchor` (a date, or a datetime read in `timezone`)."""
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    if period.unit is Unit.HOURS:
        return _hours_deadline(anchor, period, calendar, tz)
    start = local_date(anchor, tz)
    nominal = _count(start, period, calendar)
    last = nominal
    if period.is_extensible:
        last = _extend(start, nominal, period, calendar)
    return Deadline(start, period, calendar, tz, nominal, last)


def _count(start: date, period: Period, calendar: HolidayCalendar) -> date:
    """The nominal last day: the start day not counted, no extension."""
    n, unit = period.count, period.unit
    sign = 1 if period.direction is Direction.AFTER else -1
    rest_days = unit.rest_days
    if rest_days is not None:
        if n == 0:
            return start
        if sign > 0:
            return date.fromordinal(calendar.nth_working_day_after(start.toordinal(), n, rest_days))
        return date.fromordinal(calendar.nth_working_day_before(start.toordinal(), n, rest_days))
    if unit is Unit.MONTHS or unit is Unit.YEARS:
        return add_months(start, sign * n * (12 if unit is Unit.YEARS else 1))
    days = n * 7 if unit is Unit.WEEKS else n
    if unit is Unit.FRANCS and period.strict_francs:
        days += 1  # strict procedural reading: the day it falls due is not counted either
    return _shift(start, sign * days)


def _extend(start: date, nominal: date, period: Period, calendar: HolidayCalendar) -> date:
    last = nominal
    if period.extend:
        rest = OUVRABLE_REST if period.extend_to is ExtendTo.OUVRABLE else WORKING_REST
        if not calendar.is_working_day(last, rest):
            last = date.fromordinal(calendar.nth_working_day_after(last.toordinal(), 1, rest))
    if period.minimum_working_days and (nominal - start).days >= 2:
        second = calendar.nth_working_day_after(start.toordinal(), 2, WORKING_REST)
        last = max(last, date.fromordinal(second))
    return last


def _hours_deadline(
    anchor: date, period: Period, calendar: HolidayCalendar, tz: ZoneInfo
) -> Deadline:
    if not isinstance(anchor, datetime):
        raise CalendarError(
            "a period in hours needs a date and time, such as 2024-06-01T10:30+02:00"
        )
    sign = 1 if period.direction is Direction.AFTER else -1
    end = as_instant(anchor, tz) + sign * timedelta(hours=period.count)
    last = end.astimezone(tz).date()
    _check_year(last)
    return Deadline(local_date(anchor, tz), period, calendar, tz, last, last, end)


def add_months(day: date, months: int) -> date:
    """`day` plus `months`, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise out_of_range()
    last_day = gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def _shift(day: date, days: int) -> date:
    ordinal = day.toordinal() + days
    if not _FIRST_ORDINAL <= ordinal <= _LAST_ORDINAL:
        raise out_of_range()
    return date.fromordinal(ordinal)


def _check_year(day: date) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise out_of_range()


_FIRST_ORDINAL = date(MIN_YEAR, 1, 1).toordinal()
_LAST_ORDINAL = date(MAX_YEAR, 12, 31).toordinal()
