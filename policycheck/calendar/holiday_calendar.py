"""Public holidays of one region, and fast working-day arithmetic over them.

A `HolidayCalendar` reads the `holidays` package once per year and keeps, for each weekly
rest pattern (Sunday only for *jours ouvrables*; Saturday and Sunday for business days), a
sorted table of working-day ordinals and a running count per day. Counting N working days
is then two list look-ups, whatever N is; the tables grow by whole decades when a date
outside them is asked for and are never rebuilt for a date they already cover.
"""

from __future__ import annotations

import bisect
import functools
import threading
from dataclasses import dataclass
from datetime import date

import holidays

from policycheck.calendar.errors import MAX_YEAR, MIN_YEAR, out_of_range
from policycheck.calendar.regions import Region

_CHUNK_YEARS = 10
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True, slots=True)
class _WorkdayTable:
    """Working days of the years [first_year, last_year] for one weekly rest pattern."""

    first_year: int
    last_year: int
    base: int  # ordinal of 1 January of first_year
    days: list[int]  # ordinals of the working days, ascending
    rank: list[int]  # rank[o - base] = number of working days with ordinal <= o


class HolidayCalendar:
    """Public holidays of a region, with working-day counting for any weekly rest pattern."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self._lock = threading.RLock()
        self._years: tuple[int, int] | None = None
        self._holidays: frozenset[int] = frozenset()
        self._tables: dict[frozenset[int], _WorkdayTable] = {}

    def __repr__(self) -> str:
        return f"HolidayCalendar({self.region})"

    # -- holidays ------------------------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """True when `day` is a public holiday of the region."""
        self._cover(day.year)
        return day.toordinal() in self._holidays

    def holiday_name(self, day: date, language: str = "en") -> str | None:
        """The holiday's name in `language` (`en` or `fr`), or None on an ordinary day."""
        if self.region.country is None or not self.is_holiday(day):
            return None
        names = _named_holidays(self.region, day.year, _LANGUAGES.get(language, "en_US"))
        return names.get(day)

    def holidays_in(self, year: int, language: str = "en") -> dict[date, str]:
        """Every public holiday of `year`, by date, named in `language`."""
        self._cover(year)
        if self.region.country is None:
            return {}
        return dict(
            sorted(_named_holidays(self.region, year, _LANGUAGES.get(language, "en_US")).items())
        )

    def rest_day_name(self, day: date, language: str = "en") -> str:
        """`Sunday`, `dimanche`: the weekday's name, for listing a skipped rest day."""
        names = _WEEKDAY_NAMES_FR if language == "fr" else _WEEKDAY_NAMES
        return names[day.weekday()]

    # -- working days --------------------------------------------------------------------------

    def is_working_day(self, day: date, rest_days: frozenset[int]) -> bool:
        """True unless `day` is a weekly rest day or a public holiday."""
        return day.weekday() not in rest_days and not self.is_holiday(day)

    def nth_working_day_after(self, ordinal: int, n: int, rest_days: frozenset[int]) -> int:
        """Ordinal of the n-th working day after `ordinal`, which itself is not counted (n >= 1)."""
        table = self._table_for(ordinal, rest_days)
        index = table.rank[ordinal - table.base] + n - 1
        while index >= len(table.days):
            table = self._extended(rest_days, table.last_year + _CHUNK_YEARS, ordinal)
            index = table.rank[ordinal - table.base] + n - 1
        return table.days[index]

    def nth_working_day_before(self, ordinal: int, n: int, rest_days: frozenset[int]) -> int:
        """Ordinal of the n-th working day before `ordinal` (not itself counted; n >= 1)."""
        table = self._table_for(ordinal, rest_days)
        index = bisect.bisect_left(table.days, ordinal) - n
        while index < 0:
            table = self._extended(rest_days, table.first_year - _CHUNK_YEARS, ordinal)
            index = bisect.bisect_left(table.days, ordinal) - n
        return table.days[index]

    def working_days_between(self, start: int, end: int, rest_days: frozenset[int]) -> int:
        """Number of working days in the ordinals (start, end]: 0 when end <= start."""
        if end <= start:
            return 0
        table = self._table_for(start, rest_days)
        if end - table.base >= len(table.rank):
            table = self._table_for(end, rest_days)
        return table.rank[end - table.base] - table.rank[start - table.base]

    # -- tables --------------------------------------------------------------------------------

    def _table_for(self, ordinal: int, rest_days: frozenset[int]) -> _WorkdayTable:
        table = self._tables.get(rest_days)
        if table is not None and 0 <= ordinal - table.base < len(table.rank):
            return table
        return self._extended(rest_days, date.fromordinal(ordinal).year, ordinal)

    def _extended(self, rest_days: frozenset[int], year: int, ordinal: int) -> _WorkdayTable:
        """A table that covers `year` and `ordinal`'s year; built once, then reused."""
        needed = {year, _year_of(ordinal)}
        if not all(MIN_YEAR <= y <= MAX_YEAR for y in needed):
            raise out_of_range()
        with self._lock:
            for y in needed:
                self._cover(y)
            assert self._years is not None
            first, last = self._years
            table = self._tables.get(rest_days)
            if table is None or (table.first_year, table.last_year) != (first, last):
                table = _build_table(first, last, self._holidays, rest_days)
                self._tables[rest_days] = table
            return table

    def _cover(self, year: int) -> None:
        """Make sure the holidays of `year` (and its whole decade) are loaded."""
        years = self._years
        if years is not None and years[0] <= year <= years[1]:
            return
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise out_of_range()
        with self._lock:
            self._load_years(year)

    def _load_years(self, year: int) -> None:
        years = self._years
        if years is not None and years[0] <= year <= years[1]:
            return  # another thread loaded it while this one waited
        chunk_first = max(MIN_YEAR, year - year % _CHUNK_YEARS)
        chunk_last = min(MAX_YEAR, chunk_first + _CHUNK_YEARS - 1)
        first = chunk_first if years is None else min(years[0], chunk_first)
        last = chunk_last if years is None else max(years[1], chunk_last)
        self._holidays = _holiday_ordinals(self.region, first, last)
        self._years = (first, last)


_LANGUAGES = {"en": "en_US", "fr": "fr"}


def _year_of(ordinal: int) -> int:
    return date.fromordinal(ordinal).year


def _holiday_ordinals(region: Region, first: int, last: int) -> frozenset[int]:
    if region.country is None:
        return frozenset()
    table = holidays.country_holidays(
        region.country, subdiv=region.subdivision, years=range(first, last + 1)
    )
    return frozenset(day.toordinal() for day in table)


@functools.lru_cache(maxsize=256)
def _named_holidays(region: Region, year: int, language: str) -> dict[date, str]:
    assert region.country is not None
    table = holidays.country_holidays(
        region.country, subdiv=region.subdivision, years=year, language=language
    )
    return dict(table.items())


def _build_table(
    first_year: int, last_year: int, holiday_ordinals: frozenset[int], rest_days: frozenset[int]
) -> _WorkdayTable:
    base = date(first_year, 1, 1).toordinal()
    end = date(last_year, 12, 31).toordinal()
    days: list[int] = []
    rank: list[int] = []
    weekday = date.fromordinal(base).weekday()
    for ordinal in range(base, end + 1):
        if weekday not in rest_days and ordinal not in holiday_ordinals:
            days.append(ordinal)
        rank.append(len(days))
        weekday = (weekday + 1) % 7
    return _WorkdayTable(first_year, last_year, base, days, rank)


@functools.cache
def get_calendar(region: Region) -> HolidayCalendar:
    """The one shared calendar of a region: built once per process, then cached."""
    return HolidayCalendar(region)
