"""Near-miss tolerances of a clause, compiled: `late by at most N UNIT`, in any unit.

A tolerance covers a late `within` of its clause when the request came no later than the
deadline moved on by N units of the tolerance (calendar.tolerance). A tolerance in working days
counts on its own calendar; when that calendar's region is unknown, every region of its country
is tried and the tolerance covers the request only if it does in all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.calendar import CalendarError, HolidayCalendar, Unit, within_tolerance
from policycheck.evaluation.closures import CalendarChoice
from policycheck.evaluation.runtime import Ctx, WithinResult
from policycheck.language import nodes
from policycheck.language.symbols import Symbols


@dataclass(frozen=True, slots=True)
class Tolerance:
    """`late by at most N UNIT`: the count, its unit and, for working days, whose calendar."""

    count: int
    unit: Unit
    calendars: CalendarChoice | None = None

    def covers(self, result: WithinResult, ctx: Ctx) -> bool:
        """True when the late request of `result` is late by at most this tolerance."""
        deadline, margin, when = result.deadline, result.margin, result.when
        if deadline is None or margin is None or when is None or not margin.late:
            return False
        choices: list[HolidayCalendar | None] = [None]
        if self.calendars is not None:
            calendar = self.calendars.for_request(ctx)
            choices = [calendar] if calendar is not None else list(self.calendars.every_region())
        if margin.unit is self.unit and choices in ([None], [deadline.calendar]):
            return margin.value <= self.count  # the margin is counted in the tolerance's unit
        try:
            return all(within_tolerance(deadline, when, self.count, self.unit, c) for c in choices)
        except CalendarError:  # a tolerance in hours against a date alone: `check` says so
            return False


def compile_tolerance(discretion: nodes.Discretion, symbols: Symbols) -> Tolerance | None:
    """The tolerance of a `discretion ... when late by at most N UNIT`; None for other kinds."""
    if discretion.reason != "near_miss" or discretion.unit is None:
        return None
    found = symbols.unit_of(discretion.unit)
    if found is None:
        return None
    unit, decl = found
    calendars = CalendarChoice(decl) if unit.counts_working_days else None
    return Tolerance(discretion.tolerance, unit, calendars)
