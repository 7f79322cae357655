"""The closures of last days and windows of days: `on or before` a date, a day of a year or a
period, or the later (earlier) of two of them; `between 1 november and 24 december`.

A last day written as a date (`2010-01-31`, or `31 january of the year after delivery.date`) is
a `Deadline` of 0 calendar days after that day: its margin is counted in calendar days and a
near-miss tolerance moves it on as it moves any deadline. A period (`30 calendar_days after
delivery.date`) is counted as `within` counts it. Of two limits, the one that ends later (earlier)
is the deadline, and the margin is counted in its unit. Every such condition records a
`WithinResult` as `within` does, so the decision's deadline and margin, the trace and near-miss
discretion read it alike.
"""

from __future__ import annotations

import calendar as gregorian
import functools
import itertools
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from policycheck.calendar import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarError,
    Deadline,
    HolidayCalendar,
    Period,
    Unit,
    compute_deadline,
    get_calendar,
    resolve_region,
)
from policycheck.calendar.errors import out_of_range
from policycheck.calendar.local_time import local_date
from policycheck.evaluation.closures import CalendarChoice
from policycheck.evaluation.facts import FactProblem, FactsError
from policycheck.evaluation.runtime import Ctx, Value, WithinResult
from policycheck.language import nodes

#: The candidate deadlines of one limit (one per region when the region is unknown), and what
#: they vary with: (country, region fact) of its calendar, None when they do not vary.
Candidates = tuple[tuple[Deadline, ...], tuple[str | None, str] | None]
#: A limit, compiled: its candidates for a request, in a zone; None when its anchor is unknown.
LimitFn = Callable[[Ctx, ZoneInfo], Candidates | None]


@functools.cache
def _no_holidays() -> HolidayCalendar:
    return get_calendar(resolve_region(None))


def last_day(day: date, tz: ZoneInfo) -> Deadline:
    """A last day written as such: 0 calendar days after it (margins in calendar days)."""
    return compute_deadline(day, Period(0, Unit.DAYS), _no_holidays(), tz)


def day_in_year(day: nodes.DayOfYear, year: int) -> date:
    """`31 january` of `year`; 29 february is 28 february in a year without one."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise out_of_range()
    return date(year, day.month, min(day.day, gregorian.monthrange(year, day.month)[1]))


def fixed(day: date) -> LimitFn:
    """`2010-01-31`."""
    return lambda ctx, tz: ((last_day(day, tz),), None)


def yearly(day: nodes.DayOfYear, years_after: int, anchor: Callable[[Ctx], Any]) -> LimitFn:
    """`31 january of the year after delivery.date`: the anchor's local year, moved on."""

    def limit(ctx: Ctx, tz: ZoneInfo) -> Candidates | None:
        start = anchor(ctx)
        if start is None:
            return None
        year = local_date(start, tz).year + years_after
        return ((last_day(day_in_year(day, year), tz),), None)

    return limit


def period(period: Period, calendars: CalendarChoice, anchor: Callable[[Ctx], Any]) -> LimitFn:
    """`30 calendar_days after delivery.date`, counted as `within` counts it."""

    def limit(ctx: Ctx, tz: ZoneInfo) -> Candidates | None:
        start = anchor(ctx)
        if start is None:
            return None
        calendar = calendars.for_request(ctx)
        if calendar is not None:
            return ((compute_deadline(start, period, calendar, tz),), None)
        every = calendars.every_region()
        key = (calendars.country, calendars.region_fact or "")
        return (tuple(compute_deadline(start, period, c, tz) for c in every), key)

    return limit


#: What a limit whose condition does not hold gives: no last day of its own.
ABSENT: Candidates = ((), None)


def conditional(limit: LimitFn, holds: Callable[[Ctx], Value]) -> LimitFn:
    """`LIMIT if CONDITION`: the limit when the condition holds, ABSENT when it does not,
    unknown (None) when the condition is."""

    def value(ctx: Ctx, tz: ZoneInfo) -> Candidates | None:
        condition = holds(ctx)
        if condition is None:
            return None
        return limit(ctx, tz) if condition else ABSENT

    return value


def on_or_before(
    index: int,
    subject: Callable[[Ctx], Any],
    limits: tuple[LimitFn, ...],
    units: tuple[str, ...],
    later: bool,
    tz: ZoneInfo,
    source: tuple[str, str] = ("", ""),
) -> Callable[[Ctx], Value]:
    """`subject on or before` one limit, or the later (`later`) or earlier of several; `units`
    names each limit's unit as the rule file does (`days` for a date); `source`: the
    condition's text and the fact it counts from, to name in an error."""

    def value(ctx: Ctx) -> Value:
        when, local = subject(ctx), ctx.tz or tz
        try:
            found = [limit(ctx, local) for limit in limits]
            if ABSENT in found:  # limits whose condition fails: the others decide
                kept = [i for i, f in enumerate(found) if f is not ABSENT]
                found, named = [found[i] for i in kept], tuple(units[i] for i in kept)
            else:
                named = units
            result = _decide(ctx, index, when, found, named, later)
        except CalendarError as problem:
            raise _uncountable(source, str(problem)) from None
        except OverflowError:
            raise _uncountable(source, str(out_of_range())) from None
        ctx.values[index] = result
        return result

    return value


def _uncountable(source: tuple[str, str], reason: str) -> FactsError:
    """PC507: facts valid one by one, from which a last day falls past the supported years."""
    text, fact = source
    return FactsError([FactProblem("PC507", fact, f"`{text}` cannot be counted: {reason}")])


def _decide(
    ctx: Ctx,
    index: int,
    when: Any,
    found: list[Candidates | None],
    units: tuple[str, ...],
    later: bool,
) -> Value:
    """In time or late against the later (earlier) limit, recording its deadline and margin;
    with a limit unknown, known only when the known ones settle it."""
    if any(f is None for f in found):
        if when is None:
            return None
        # The later of: in time for a known limit is in time; the earlier of: late is late.
        for candidates in (f for f in found if f is not None):
            settled = {not d.margin(when).late for d in candidates[0]}
            if settled == {later}:
                return later
        return None
    combos = _combos([f for f in found if f is not None])
    chosen = [_pick(combo, later) for combo in combos]
    deadlines = [combo[i] for combo, i in zip(combos, chosen, strict=True)]
    same = len({d.due for d in deadlines}) == 1
    unit = units[chosen[0]] if len(set(chosen)) == 1 else units[0]
    several = len(combos) > 1
    if when is None:
        if same:
            ctx.withins[index] = WithinResult(deadlines[0], None, unit, several)
        return None
    margins = [d.margin(when) for d in deadlines]
    in_time = {not m.late for m in margins}
    ctx.withins[index] = WithinResult(
        deadlines[0] if same else None, margins[0] if same else None, unit, several, when
    )
    return in_time.pop() if len(in_time) == 1 else None


def _pick(deadlines: tuple[Deadline, ...], later: bool) -> int:
    """The index of the limit that ends last (first); the first written on a tie."""
    ends = [d.ends_at for d in deadlines]
    best = max(ends) if later else min(ends)
    return ends.index(best)


def _combos(found: list[Candidates]) -> list[tuple[Deadline, ...]]:
    """Every way the limits' deadlines can go together: limits whose calendars take the same
    region from the same fact vary together, region by region; the others each on their own."""
    keys = list(dict.fromkeys(key for _, key in found if key is not None))
    sizes = [next(len(c) for c, k in found if k == key) for key in keys]
    combos = []
    for picks in itertools.product(*(range(size) for size in sizes)):
        chosen = dict(zip(keys, picks, strict=True))
        combos.append(tuple(c[chosen[k]] if k is not None else c[0] for c, k in found))
    return combos


def between(
    index: int,
    subject: Callable[[Ctx], Any],
    first: nodes.DayOfYear,
    last: nodes.DayOfYear,
    tz: ZoneInfo,
) -> Callable[[Ctx], Value]:
    """`subject between 1 november and 24 december`, both included, in any year (wrapping the
    year's end when the first day comes after the last)."""
    start, end = (first.month, first.day), (last.month, last.day)

    def value(ctx: Ctx) -> Value:
        when = subject(ctx)
        result: Value = None
        if when is not None:
            day = local_date(when, ctx.tz or tz)
            found = (day.month, day.day)
            result = start <= found <= end if start <= end else (found >= start or found <= end)
        ctx.values[index] = result
        return result

    return value
