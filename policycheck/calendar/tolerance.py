"""Near-miss tolerances: how late a request may be, counted in a unit of its own.

"14 calendar days; an agent may accept one working day late": the tolerance runs from the
deadline's last day (after any extension), moved on by N units of the tolerance's unit — the
N-th working day of its calendar after it, N calendar days, weeks or months (month arithmetic,
clamped) later, or N hours past the instant the period ends. A tolerance in the period's own
unit keeps its meaning of `Deadline.late_by_at_most` (the period N units longer).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from policycheck.calendar.deadline import Deadline, add_months
from policycheck.calendar.errors import CalendarError
from policycheck.calendar.holiday_calendar import HolidayCalendar
from policycheck.calendar.local_time import as_instant, local_date
from policycheck.calendar.units import Unit


def tolerated_until(
    deadline: Deadline, count: int, unit: Unit, calendar: HolidayCalendar | None = None
) -> date | datetime:
    """The last day (a date) or instant (an aware datetime, UTC) a request late by at most
    `count` `unit` may be made. `calendar` gives the working days of a tolerance in working
    days (default: the deadline's own)."""
    days = calendar or deadline.calendar
    if unit is Unit.HOURS:
        return deadline.ends_at + timedelta(hours=count)
    if deadline.period.unit is not Unit.HOURS:
        return _moved_on(deadline.last_day, count, unit, days)
    # A period in hours ends at an instant: the same local time, N days (or working days) later.
    end = deadline.ends_at.astimezone(deadline.tz)
    moved = _moved_on(end.date(), count, unit, days)
    local = datetime.combine(moved, end.time().replace(tzinfo=None))
    return as_instant(local, deadline.tz)


def within_tolerance(
    deadline: Deadline,
    when: date,
    count: int,
    unit: Unit,
    calendar: HolidayCalendar | None = None,
) -> bool:
    """True when a request at `when` is in time or late by at most `count` `unit`.

    In the period's own unit (and, for working days, its own calendar) this is the period
    `count` units longer, as `Deadline.late_by_at_most` says; in another unit, the deadline
    moved on by `count` units of it (`tolerated_until`)."""
    if deadline.is_in_time(when):
        return True
    same_days = calendar is None or calendar is deadline.calendar
    if unit is deadline.period.unit and (same_days or not unit.counts_working_days):
        return deadline.late_by_at_most(when, count)
    try:
        limit = tolerated_until(deadline, count, unit, calendar)
    except CalendarError:  # it would end past the supported years, so covers them all
        return True
    if isinstance(limit, datetime):
        if not isinstance(when, datetime):
            raise CalendarError("a tolerance in hours is measured against a date and time")
        return as_instant(when, deadline.tz) <= limit
    return local_date(when, deadline.tz) <= limit


def _moved_on(day: date, count: int, unit: Unit, calendar: HolidayCalendar) -> date:
    """`day` moved on by `count` units: working days of `calendar`, days, weeks or months."""
    rest_days = unit.rest_days
    if rest_days is not None:
        if count == 0:
            return day
        return date.fromordinal(calendar.nth_working_day_after(day.toordinal(), count, rest_days))
    if unit is Unit.MONTHS or unit is Unit.YEARS:
        return add_months(day, count * (12 if unit is Unit.YEARS else 1))
    days = count * 7 if unit is Unit.WEEKS else count
    moved = day.toordinal() + days
    try:
        return date.fromordinal(moved)
    except (ValueError, OverflowError):
        raise CalendarError("the tolerance reaches past the supported years") from None
