"""RuleFile -> CompiledPolicy: each condition becomes a closure over its facts, compiled once.

Logic is Kleene's three-valued logic: `false and unknown` is false, `true or unknown` is true, so
a request far too late is refused even when other facts are unknown. Every operand is still
evaluated, because a refusal is rigid only when each of its reasons can be waived.

Evaluation runs the closures; nothing walks the AST per request. Every compiled condition keeps
its source text, the facts it reads and its place in the per-request table of values, which is
what the trace and the reasons for a refusal are read from.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from policycheck import nodes
from policycheck.calendar import (
    CalendarError,
    Deadline,
    Direction,
    HolidayCalendar,
    Margin,
    Period,
    compute_deadline,
    get_calendar,
    resolve_region,
)
from policycheck.calendar.local_time import zone
from policycheck.check import source_text
from policycheck.decision import ClauseRef
from policycheck.facts import FactSchema, FactValue
from policycheck.source import Source
from policycheck.symbols import Symbols

UNSET: Any = object()
Value = bool | None


class Ctx:
    """One request's evaluation state: its facts and the value of every compiled node."""

    __slots__ = ("facts", "values", "withins")

    def __init__(self, facts: dict[str, FactValue], size: int) -> None:
        self.facts = facts
        self.values: list[Any] = [UNSET] * size
        self.withins: dict[int, WithinResult] = {}


@dataclass(frozen=True, slots=True)
class WithinResult:
    """A computed period: its deadline and the request's margin (None when they vary by region)."""

    deadline: Deadline | None
    margin: Margin | None
    unit: str
    region_unknown: bool = False


@dataclass(eq=False, slots=True)
class Node:
    """A compiled condition: `fn(ctx)` gives True, False or None (unknown) and records it."""

    index: int
    op: str  # "and", "or", "not" or "atom"
    text: str
    facts: tuple[str, ...]
    children: tuple[Node, ...] = ()
    fn: Callable[[Ctx], Value] = field(default=lambda ctx: None)
    within: bool = False
    withins: tuple[int, ...] = ()  # indices of the `within` atoms in this node


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """`allow when` / `refuse when`, compiled."""

    outcome: str
    node: Node


@dataclass(frozen=True, slots=True)
class CompiledClause:
    """A clause ready to evaluate."""

    decl: nodes.ClauseDecl
    kinds: frozenset[str] | None
    group: Node | None
    scope_text: str
    rules: tuple[CompiledRule, ...]
    otherwise: str
    requirements: tuple[Node, ...]
    beats: frozenset[str]
    withins: tuple[int, ...]  # node indices of the `within` periods of its decision, in order
    ref: ClauseRef  # as quoted in a decision


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy ready to evaluate facts against: schema, clauses, hash."""

    header: nodes.Header
    source: Source
    hash: str
    schema: FactSchema
    clauses: tuple[CompiledClause, ...]
    node_count: int
    tz: ZoneInfo
    by_id: dict[str, CompiledClause]


def content_hash(text: str) -> str:
    """`sha256:<hex>` of a rule file's text: the policy's identity in every decision."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def compile_policy(rule_file: nodes.RuleFile, source: Source) -> CompiledPolicy:
    """Compile a checked rule file (no errors) into closures."""
    return _Compiler(rule_file, source).run()


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Compiler:
    def __init__(self, rule_file: nodes.RuleFile, source: Source) -> None:
        self.file = rule_file
        self.source = source
        self.symbols = Symbols.of(rule_file)
        self.tz = zone(rule_file.header.timezone)
        self.count = 0
        self.groups: dict[str, Node] = {}

    def run(self) -> CompiledPolicy:
        clauses = tuple(self.clause(c) for c in self.file.clauses)
        return CompiledPolicy(
            header=self.file.header,
            source=self.source,
            hash=content_hash(self.source.text),
            schema=FactSchema(self.file.facts, self.tz),
            clauses=clauses,
            node_count=self.count,
            tz=self.tz,
            by_id={c.decl.id: c for c in clauses},
        )

    def text(self, expr: nodes.Expr) -> str:
        return source_text(self.source, expr.span)

    def next_index(self) -> int:
        self.count += 1
        return self.count - 1

    # -- clauses -------------------------------------------------------------------------------

    def clause(self, decl: nodes.ClauseDecl) -> CompiledClause:
        scope = decl.scope
        kinds = frozenset(k.name for k in scope.kinds) if scope else None
        group = self.group(scope.group.name) if scope and scope.group else None
        rules = tuple(CompiledRule(r.outcome, self.expr(r.expr)) for r in decl.rules)
        if decl.otherwise is not None:
            otherwise = decl.otherwise
        else:
            otherwise = "refuse" if rules and rules[-1].outcome == "allow" else "allow"
        return CompiledClause(
            decl=decl,
            kinds=kinds,
            group=group,
            scope_text=source_text(self.source, scope.span) if scope else "",
            rules=rules,
            otherwise=otherwise,
            requirements=tuple(self.expr(r) for r in decl.requirements),
            beats=frozenset(r.name for r in (*decl.exception_to, *decl.overrides)),
            withins=tuple(i for rule in rules for i in rule.node.withins),
            ref=ClauseRef(decl.id, decl.title, decl.source),
        )

    def group(self, name: str) -> Node:
        """The shared node of a group: evaluated once per request, whoever asks first."""
        node = self.groups.get(name)
        if node is None:
            node = self.expr(self.symbols.groups[name].expr)
            self.groups[name] = node
        return node

    # -- expressions ---------------------------------------------------------------------------

    def expr(self, expr: nodes.Expr) -> Node:
        if isinstance(expr, nodes.And | nodes.Or):
            children = tuple(self.expr(item) for item in expr.items)
            maker = _and if isinstance(expr, nodes.And) else _or
            return self.node("and" if isinstance(expr, nodes.And) else "or", expr, children, maker)
        if isinstance(expr, nodes.Not):
            child = self.expr(expr.operand)
            return self.node("not", expr, (child,), _not)
        if isinstance(expr, nodes.Ref) and expr.name in self.symbols.groups:
            group = self.group(expr.name)
            index = self.next_index()

            def group_value(ctx: Ctx, group: Node = group, index: int = index) -> Value:
                value = ctx.values[group.index]
                if value is UNSET:
                    value = group.fn(ctx)
                ctx.values[index] = value
                return value  # type: ignore[no-any-return]

            return Node(index, "atom", expr.name, group.facts, (group,), group_value)
        return self.atom(expr)

    def node(
        self,
        op: str,
        expr: nodes.Expr,
        children: tuple[Node, ...],
        maker: Callable[[int, tuple[Node, ...]], Callable[[Ctx], Value]],
    ) -> Node:
        index = self.next_index()
        facts = tuple(dict.fromkeys(f for child in children for f in child.facts))
        withins = tuple(i for child in children for i in child.withins)
        return Node(
            index, op, self.text(expr), facts, children, maker(index, children), withins=withins
        )

    def atom(self, expr: nodes.Expr) -> Node:
        index = self.next_index()
        text = self.text(expr)
        if isinstance(expr, nodes.Ref):
            name = expr.name
            return Node(index, "atom", text, (name,), (), _fact_bool(index, name))
        if isinstance(expr, nodes.Known):
            assert isinstance(expr.operand, nodes.Ref)
            name = expr.operand.name
            return Node(index, "atom", text, (name,), (), _known(index, name, expr.known))
        if isinstance(expr, nodes.Compare):
            left, right = self.operand(expr.left, expr.right), self.operand(expr.right, expr.left)
            facts = _fact_names(expr.left, expr.right, self.symbols)
            return Node(
                index, "atom", text, facts, (), _compare(index, left, right, _COMPARE[expr.op])
            )
        if isinstance(expr, nodes.Member):
            get = self.operand(expr.operand, None)
            values = frozenset(v.name if isinstance(v, nodes.Ref) else v.value for v in expr.values)
            facts = _fact_names(expr.operand, None, self.symbols)
            return Node(index, "atom", text, facts, (), _member(index, get, values))
        if isinstance(expr, nodes.Within):
            return self.within(index, text, expr)
        if isinstance(expr, nodes.Literal):
            constant = expr.value if isinstance(expr.value, bool) else None
            return Node(index, "atom", text, (), (), _constant(index, constant))
        raise AssertionError(expr)

    def operand(self, expr: nodes.Expr, other: nodes.Expr | None) -> Callable[[Ctx], Any]:
        """A getter for a comparison operand; a datetime compared with a date is its local day."""
        if isinstance(expr, nodes.Literal):
            constant = expr.value
            return lambda ctx: constant
        assert isinstance(expr, nodes.Ref)
        fact = self.symbols.facts.get(expr.name)
        if fact is None:  # a bare enum value
            constant = expr.name
            return lambda ctx: constant
        name, tz = expr.name, self.tz
        other_kind = self.symbols.type_of(other).kind if other is not None else None
        if fact.type.kind == "datetime" and other_kind == "date":

            def local_day(ctx: Ctx) -> date | None:
                value = ctx.facts.get(name)
                return value.astimezone(tz).date() if isinstance(value, datetime) else None

            return local_day
        return lambda ctx: ctx.facts.get(name)

    def within(self, index: int, text: str, expr: nodes.Within) -> Node:
        found = self.symbols.unit_of(expr.unit)
        assert found is not None
        unit, calendar_decl = found
        direction = Direction.BEFORE if expr.before else Direction.AFTER
        extend = bool(calendar_decl and calendar_decl.extended)
        period = Period(expr.count, unit, direction, extend=extend)
        subject, anchor = self.operand(expr.subject, None), self.operand(expr.anchor, None)
        calendars = _CalendarChoice(calendar_decl)
        facts = _fact_names(expr.subject, expr.anchor, self.symbols)
        if calendars.region_fact is not None:
            facts = (*facts, calendars.region_fact)
        fn = _within(index, subject, anchor, period, calendars, self.tz, expr.unit)
        return Node(index, "atom", text, facts, (), fn, within=True, withins=(index,))


def _fact_names(first: nodes.Expr, second: nodes.Expr | None, symbols: Symbols) -> tuple[str, ...]:
    names = []
    for expr in (first, second):
        if isinstance(expr, nodes.Ref) and expr.name in symbols.facts:
            names.append(expr.name)
    return tuple(names)


# -- closures --------------------------------------------------------------------------------------


def _fact_bool(index: int, name: str) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        found = ctx.facts.get(name)
        ctx.values[index] = found
        return found  # type: ignore[return-value]

    return value


def _known(index: int, name: str, known: bool) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        result = (name in ctx.facts) is known
        ctx.values[index] = result
        return result

    return value


def _constant(index: int, constant: bool | None) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        ctx.values[index] = constant
        return constant

    return value


def _compare(
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


def _member(
    index: int, get: Callable[[Ctx], Any], values: frozenset[Any]
) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        found = get(ctx)
        result = None if found is None else found in values
        ctx.values[index] = result
        return result

    return value


def _not(index: int, children: tuple[Node, ...]) -> Callable[[Ctx], Value]:
    child = children[0].fn

    def value(ctx: Ctx) -> Value:
        found = child(ctx)
        result = None if found is None else not found
        ctx.values[index] = result
        return result

    return value


def _and(index: int, children: tuple[Node, ...]) -> Callable[[Ctx], Value]:
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


def _or(index: int, children: tuple[Node, ...]) -> Callable[[Ctx], Value]:
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


class _CalendarChoice:
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


def _within(
    index: int,
    subject: Callable[[Ctx], Any],
    anchor: Callable[[Ctx], Any],
    period: Period,
    calendars: _CalendarChoice,
    tz: ZoneInfo,
    unit_name: str,
) -> Callable[[Ctx], Value]:
    def value(ctx: Ctx) -> Value:
        when, start = subject(ctx), anchor(ctx)
        if when is None or start is None:
            ctx.values[index] = None
            return None
        calendar = calendars.for_request(ctx)
        if calendar is not None:
            deadline = compute_deadline(start, period, calendar, tz)
            margin = deadline.margin(when)
            ctx.withins[index] = WithinResult(deadline, margin, unit_name)
            result: Value = not margin.late
        else:
            result = _within_any_region(ctx, index, when, start, period, calendars, tz, unit_name)
        ctx.values[index] = result
        return result

    return value


def _within_any_region(
    ctx: Ctx,
    index: int,
    when: date,
    start: date,
    period: Period,
    calendars: _CalendarChoice,
    tz: ZoneInfo,
    unit_name: str,
) -> Value:
    """Unknown region: known when every region gives the same answer (and the same deadline)."""
    deadlines = [compute_deadline(start, period, c, tz) for c in calendars.every_region()]
    margins = [d.margin(when) for d in deadlines]
    in_time = {not m.late for m in margins}
    same = len({d.last_day for d in deadlines}) == 1
    ctx.withins[index] = WithinResult(
        deadlines[0] if same else None, margins[0] if same else None, unit_name, True
    )
    return in_time.pop() if len(in_time) == 1 else None
