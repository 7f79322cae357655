"""What a counted period is: its anchor, the period, where the count ended, the last day in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from policycheck.calendar.holiday_calendar import HolidayCalendar
from policycheck.calendar.local_time import end_of_day
from policycheck.calendar.period import Period


@dataclass(frozen=True)
class CountedPeriod:
    """A period counted from its anchor: where the count ended and the last day in time.

    Data only: `Deadline` adds what the deadline says about a request (margins, tolerance,
    the days it passed over), measured by `margin` and `skipped` from this."""

    anchor: date
    period: Period
    calendar: HolidayCalendar
    tz: ZoneInfo
    nominal: date  # last day of the count, before any extension
    last_day: date  # last day in time, after any extension
    instant: datetime | None = None  # end instant (UTC) of a period in hours

    @property
    def extended(self) -> bool:
        """True when art. 3(4) or 3(5) moved the end past the nominal last day."""
        return self.last_day != self.nominal

    @cached_property
    def ends_at(self) -> datetime:
        """The instant (UTC) the period expires: end of the last day in the policy's time zone."""
        return self.instant if self.instant is not None else end_of_day(self.last_day, self.tz)

    @property
    def due(self) -> date:
        """The deadline as a decision states it: the last day in time, or, for a period in hours,
        the instant it expires with the offset of its zone (`2024-03-31T13:00:00+02:00`)."""
        return self.instant.astimezone(self.tz) if self.instant is not None else self.last_day
