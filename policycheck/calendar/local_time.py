"""Dates in the policy's time zone: the calendar day of an instant, and the instant a day ends."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policycheck.calendar.errors import CalendarError


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (for example `Europe/Paris`), with a clear error if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            f"unknown time zone `{name}`; use an IANA name such as Europe/Paris or UTC"
        ) from None


def local_date(value: date, tz: ZoneInfo) -> date:
    """The calendar day of `value` in `tz`; a naive datetime is taken as already local."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(tz).date()
    return value


def as_instant(value: datetime, tz: ZoneInfo) -> datetime:
    """An aware datetime in UTC; a naive one is read as wall-clock time in `tz`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) at which the last hour of `day` expires in `tz`: next local midnight."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def parse_when(text: str) -> date:
    """Read an ISO date (`2012-04-04`) or date-time with offset (`2012-06-01T23:30+02:00`)."""
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise CalendarError(
            f"malformed date `{text}`; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[+HH:MM]"
        ) from None
