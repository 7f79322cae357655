"""Dates in the policy's time zone: the calendar day of an instant, and the instant a day ends."""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policycheck.calendar.errors import CalendarError


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (for example `Europe/Paris`), with a clear error if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown time zone `{name}`; {zone_hint(name)}") from None


def zone_hint(name: str) -> str:
    """What to write instead of an unknown zone: the nearest IANA name, or an example."""
    close = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.8)
    if close:
        return f"did you mean `{close[0]}`?"
    cities = _zone_cities()  # `Paris` alone: `Europe/Paris`
    city = difflib.get_close_matches(name.strip().lower().replace(" ", "_"), cities, 1, 0.8)
    if city:
        return f"did you mean `{cities[city[0]]}`?"
    return "use an IANA name such as Europe/Paris, America/Guadeloupe or UTC"


@functools.cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


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


@functools.cache
def _zone_cities() -> dict[str, str]:
    """The last part of each zone's name, lowercased (`paris`), and the zone it names."""
    cities: dict[str, str] = {}
    for full in _zone_names():
        if "/" in full:
            cities.setdefault(full.rsplit("/", 1)[1].lower(), full)
    return cities
