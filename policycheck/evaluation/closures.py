"""The closures conditions compile to: Kleene three-valued logic, comparisons, periods.

`false and unknown` is false, `true or unknown` is true, so a request far too late is refused
even when other facts are unknown. Every operand is still evaluated, because a refusal is rigid
only when each of its reasons can be waived. Each closure records its value in the request's
table, where the trace and the reasons for a refusal are read from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from policycheck.calendar import (
    CalendarError,
    HolidayCalendar,
    Period,
    compute_deadline,
    get_calendar,
    resolve_region,
)
from policycheck.calendar.errors import out_of_range
from policycheck.evaluation.facts import FactProblem, FactsError
from policycheck.evaluation.runtime import UNSET, Ctx, Node, Value, WithinResult
from policycheck.language import nodes


def group(index: int, node: Node) -> Callable[[Ctx], Value]:
    """A reference to a group: its shared node is evaluated once per request."""

    def value(ctx: Ctx) -> Value:
        found = ctx.values[node.index]
        if found is UNSET:
            found = node.fn(ctx)
        ctx.values[index] = found
        return found  # type: ignore[no-any-return]

    return value


def fact_bool(index: int, name: str) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        found = ctx.facts.get(name)
        ctx.values[index] = found
        return found  # type: ignore[return-value]

    return value


def known(index: int, name: str, known: bool) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        result = (name in ctx.facts) is known
        ctx.values[index] = result
        return result

    return value


def constant(index: int, constant: bool | None) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        ctx.values[index] = constant
        return constant

    return value


def compare(
    index: int,
    left: Callable[[Ctx], Any],
    right: Callable[[Ctx], Any],
    compare: Callable[[Any, Any], bool],
) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        a, b = left(ctx), right(ctx)
        result = None if a is None or b is None else compare(a, b)
        ctx.values[index] = result
        return result

    return value


def member(index: int, get: Callable[[Ctx], Any], values: frozenset[Any]) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        found = get(ctx)
        result = None if found is None else found in values
        ctx.values[index] = result
        return result

    return value


def first_case(cases: tuple[tuple[str, Node], ...]) -> Callable[[Ctx], str | None]:
    """`goods when hardware, services when services`: the value of the first case that holds;
    unknown when a case before it is unknown, or when none holds."""

    def value(ctx: Ctx) -> str | None:
        for answer, node in cases:
            holds = node.fn(ctx)
            if holds is None:
                return None
            if holds:
                return answer
        return None

    return value


def not_(index: int, children: tuple[Node, ...]) -> Callable[[Ctx], Value]:
    child = children[0].fn

    def value(ctx: Ctx) -> Value:
        found = child(ctx)
        result = None if found is None else not found
        ctx.values[index] = result
        return result

    return value


def and_(index: int, children: tuple[Node, ...]) -> Callable[[Ctx], Value]:
    fns = tuple(child.fn for child in children)

    def value(ctx: Ctx) -> Value:
        result: Value = True
        for fn in fns:  # every operand is evaluated: a refusal needs all of its reasons
            found = fn(ctx)
            if found is False:
                result = False
            elif found is None and result is True:
                result = None
        ctx.values[index] = result
        return result

    return value


def or_(index: int, children: tuple[Node, ...]) -> Callable[[Ctx], Value]:
    fns = tuple(child.fn for child in children)

    def value(ctx: Ctx) -> Value:
        result: Value = False
        for fn in fns:
            found = fn(ctx)
            if found is True:
                result = True
            elif found is None and result is False:
                result = None
        ctx.values[index] = result
        return result

    return value


class CalendarChoice:
    """The holiday calendar of a `within`: fixed, or chosen per request from a region fact."""

    def __init__(self, decl: nodes.CalendarDecl | None) -> None:
        self.country = decl.country if decl else None
        self.region_fact = decl.region_fact.name if decl and decl.region_fact else None
        self.fixed = (
            get_calendar(resolve_region(self.country)) if self.region_fact is None else None
        )

    def for_request(self, ctx: Ctx) -> HolidayCalendar | None:
        """The request's calendar; None when its region is unknown or unreadable."""
        if self.fixed is not None:
            return self.fixed
        value = ctx.facts.get(self.region_fact or "")
        return _regional_calendar(self.country, value) if isinstance(value, str) else None

    def every_region(self) -> tuple[HolidayCalendar, ...]:
        """Every calendar the region could give: the country's own and each subdivision's."""
        return _every_region(self.country)


@functools.lru_cache(maxsize=4096)
def _regional_calendar(country: str | None, place: str) -> HolidayCalendar | None:
    try:
        if country == "FR":
            return get_calendar(resolve_region(country, postcode=place))
        return get_calendar(resolve_region(country, region=place))
    except CalendarError:
        return None


@functools.cache
def _every_region(country: str | None) -> tuple[HolidayCalendar, ...]:
    if country is None:
        return (get_calendar(resolve_region(None)),)
    entity = holidays.country_holidays(country, years=[])
    codes = [c for c in entity.subdivisions if not c.startswith("Zone")]
    return tuple(
        get_calendar(resolve_region(country, region=code) if code else resolve_region(country))
        for code in [None, *codes]
    )


def within(
    index: int,
    subject: Callable[[Ctx], Any],
    anchor: Callable[[Ctx], Any],
    period: Period,
    calendars: CalendarChoice,
    tz: ZoneInfo,
    unit_name: str,
    source: tuple[str, str] = ("", ""),
) -> Callable[[Ctx], Value]:
    """`source`: the condition's text and the fact it counts from, to name in an error."""

    def value(ctx: Ctx) -> Value:
        when, start = subject(ctx), anchor(ctx)
        local = ctx.tz or tz  # the customer's zone when the policy reads their clock
        if when is None or start is None:
            if start is not None:
                _deadline_only(ctx, index, start, period, calendars, local, unit_name)
            ctx.values[index] = None
            return None
        calendar = calendars.for_request(ctx)
        try:
            if calendar is not None:
                deadline = compute_deadline(start, period, calendar, local)
                margin = deadline.margin(when)
                ctx.withins[index] = WithinResult(deadline, margin, unit_name, when=when)
                result: Value = not margin.late
            else:
                result = _within_any_region(
                    ctx, index, when, start, period, calendars, local, unit_name
                )
        except CalendarError as problem:
            raise _uncountable(source, start, str(problem)) from None
        except OverflowError:
            raise _uncountable(source, start, str(out_of_range())) from None
        ctx.values[index] = result
        return result

    return value


def _uncountable(source: tuple[str, str], start: date, reason: str) -> FactsError:
    """PC507: facts valid one by one, from which a period reaches past the supported years."""
    text, fact = source
    message = f"`{text}` cannot be counted from {start.isoformat()}: {reason}"
    return FactsError([FactProblem("PC507", fact, message)])


def _deadline_only(
    ctx: Ctx,
    index: int,
    start: date,
    period: Period,
    calendars: CalendarChoice,
    tz: ZoneInfo,
    unit_name: str,
) -> None:
    """Request date unknown: the deadline alone, when the anchor (and region) determine it."""
    calendar = calendars.for_request(ctx)
    choices = (calendar,) if calendar is not None else calendars.every_region()
    try:
        deadlines = [compute_deadline(start, period, c, tz) for c in choices]
    except CalendarError:  # no deadline to give (say, a period in hours from a date)
        return
    if len({d.last_day for d in deadlines}) == 1:
        ctx.withins[index] = WithinResult(deadlines[0], None, unit_name, calendar is None)


def _within_any_region(
    ctx: Ctx,
    index: int,
    when: date,
    start: date,
    period: Period,
    calendars: CalendarChoice,
    tz: ZoneInfo,
    unit_name: str,
) -> Value:
    """Unknown region: known when every region gives the same answer (and the same deadline)."""
    deadlines = [compute_deadline(start, period, c, tz) for c in calendars.every_region()]
    margins = [d.margin(when) for d in deadlines]
    in_time = {not m.late for m in margins}
    same = len({d.last_day for d in deadlines}) == 1
    ctx.withins[index] = WithinResult(
        deadlines[0] if same else None, margins[0] if same else None, unit_name, True, when
    )
    return in_time.pop() if len(in_time) == 1 else None
