"""RuleFile -> CompiledPolicy: each condition becomes a closure over its facts, compiled once.

Evaluation runs the closures; nothing walks the AST per request. Every compiled condition keeps
its source text, the facts it reads and its place in the per-request table of values, which is
what the trace and the reasons for a refusal are read from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from policycheck.calendar import Direction, Period, Unit
from policycheck.calendar.local_time import zone
from policycheck.evaluation import amounts, closures, limits
from policycheck.evaluation.clock import CustomerClock
from policycheck.evaluation.compile_laws import CompiledLaw, LawCompiler
from policycheck.evaluation.decision import ClauseRef
from policycheck.evaluation.facts import FactSchema
from policycheck.evaluation.runtime import Ctx, Node, Value
from policycheck.evaluation.tolerances import Tolerance, compile_tolerance
from policycheck.language import nodes
from policycheck.language.check_money import literal_currencies
from policycheck.language.nesting import refs
from policycheck.language.source import Source
from policycheck.language.symbols import Symbols


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
    tolerances: tuple[Tolerance | None, ...] = ()  # of `decl.discretions`, in order
    fees: tuple[amounts.CompiledFee, ...] = ()  # said (`fees may charge`), then computed
    remedies: tuple[amounts.CompiledRemedy, ...] = ()
    # fees and remedy the same for every request (nothing computed): made once; else None
    fixed_settlement: dict[str, Any] | None = None


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
    # The checked AST it was compiled from: what `render` shows, without parsing the text again.
    rule_file: nodes.RuleFile = field(repr=False, compare=False)
    examples: tuple[nodes.Example, ...] = ()
    personal: frozenset[str] = frozenset()  # facts marked personal: masked in words and logs
    clock: CustomerClock | None = None  # `customer timezone of ...`: whose clock reads dates
    laws: tuple[CompiledLaw, ...] = ()  # the statutes beneath these terms (`subject to`)
    # the request kinds some clause applies to; None when a clause applies to every kind
    covered_kinds: frozenset[str] | None = None
    currency: str | None = None  # the currency of its amounts (one per policy)


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


class _Compiler(LawCompiler):
    def __init__(self, rule_file: nodes.RuleFile, source: Source) -> None:
        self.file = rule_file
        self.source = source
        self.symbols = Symbols.of(rule_file)
        self.tz = zone(rule_file.header.timezone)
        self.count = 0
        self.groups: dict[str, Node] = {}

    def run(self) -> CompiledPolicy:
        clauses = tuple(self.clause(c) for c in self.file.clauses)
        laws = tuple(
            CompiledLaw(law, tuple(self.answer(m) for m in law.mappings)) for law in self.file.laws
        )
        return CompiledPolicy(
            header=self.file.header,
            source=self.source,
            hash=content_hash(self.source.text),
            schema=FactSchema(self.file.facts, self.tz),
            clauses=clauses,
            node_count=self.count,
            tz=self.tz,
            by_id={c.decl.id: c for c in clauses},
            rule_file=self.file,
            examples=self.file.examples,
            personal=frozenset(f.name for f in self.file.facts if f.personal),
            clock=CustomerClock.of(self.file.header),
            laws=laws,
            covered_kinds=None
            if any(c.kinds is None for c in clauses)
            else frozenset(k for c in clauses for k in c.kinds or ()),
            currency=policy_currency(self.file),
        )

    def text(self, expr: nodes.Expr) -> str:
        return self.source.excerpt(expr.span)

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
        compiled = CompiledClause(
            decl=decl,
            kinds=kinds,
            group=group,
            scope_text=self.source.excerpt(scope.span) if scope else "",
            rules=rules,
            otherwise=otherwise,
            requirements=tuple(self.expr(r) for r in decl.requirements),
            beats=frozenset(r.name for r in (*decl.exception_to, *decl.overrides)),
            withins=tuple(i for rule in rules for i in rule.node.withins),
            ref=ClauseRef(decl.id, decl.title, decl.source),
            tolerances=tuple(compile_tolerance(d, self.symbols) for d in decl.discretions),
            fees=tuple(amounts.CompiledFee(text, None) for text in decl.fees)
            + tuple(
                amounts.CompiledFee(fee.label, self.amount(fee.amount), self.maybe(fee.when))
                for fee in decl.charges
            ),
            remedies=tuple(
                amounts.CompiledRemedy(
                    r.kind,
                    r.text,
                    self.amount(r.amount) if r.amount is not None else None,
                    self.maybe(r.when),
                )
                for r in decl.remedies
            ),
        )
        fixed = amounts.fixed_settlement(compiled.fees, compiled.remedies)
        return dataclasses.replace(compiled, fixed_settlement=fixed) if fixed else compiled

    def maybe(self, expr: nodes.Expr | None) -> Node | None:
        """The node of an optional condition (`when ...` of a fee or a remedy)."""
        return self.expr(expr) if expr is not None else None

    def amount(self, expr: nodes.Expr) -> amounts.Getter:
        """A getter for an amount: a fact, a literal, arithmetic, `min`/`max`, `fees`."""
        if isinstance(expr, nodes.Arith):
            divisor = _fact_names_in(expr.right, self.symbols) if expr.op == "/" else ()
            left, right = self.amount(expr.left), self.amount(expr.right)
            return amounts.arithmetic(expr.op, left, right, divisor)
        if isinstance(expr, nodes.Extreme):
            return amounts.extreme(expr.name, tuple(self.amount(item) for item in expr.items))
        if isinstance(expr, nodes.FeesTotal):
            return _fees_total
        return self.operand(expr, None)

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
            maker = closures.and_ if isinstance(expr, nodes.And) else closures.or_
            return self.node("and" if isinstance(expr, nodes.And) else "or", expr, children, maker)
        if isinstance(expr, nodes.Not):
            child = self.expr(expr.operand)
            return self.node("not", expr, (child,), closures.not_)
        if isinstance(expr, nodes.Ref) and expr.name in self.symbols.groups:
            group = self.group(expr.name)
            index = self.next_index()

            return Node(
                index,
                "atom",
                expr.name,
                group.facts,
                (group,),
                closures.group(index, group),
                expr=expr,
            )
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
            index,
            op,
            self.text(expr),
            facts,
            children,
            maker(index, children),
            withins=withins,
            expr=expr,
        )

    def atom(self, expr: nodes.Expr) -> Node:
        index = self.next_index()
        text = self.text(expr)
        if isinstance(expr, nodes.Ref):
            name = expr.name
            return Node(
                index, "atom", text, (name,), (), closures.fact_bool(index, name), expr=expr
            )
        if isinstance(expr, nodes.Known):
            assert isinstance(expr.operand, nodes.Ref)
            name = expr.operand.name
            fn = closures.known(index, name, expr.known)
            return Node(index, "atom", text, (name,), (), fn, expr=expr)
        if isinstance(expr, nodes.Compare):
            left, right = self.operand(expr.left, expr.right), self.operand(expr.right, expr.left)
            facts = _fact_names(expr.left, expr.right, self.symbols)
            fn = closures.compare(index, left, right, _COMPARE[expr.op])
            return Node(index, "atom", text, facts, (), fn, expr=expr)
        if isinstance(expr, nodes.Member):
            get = self.operand(expr.operand, None)
            values = frozenset(v.name if isinstance(v, nodes.Ref) else v.value for v in expr.values)
            facts = _fact_names(expr.operand, None, self.symbols)
            fn = closures.member(index, get, values)
            return Node(index, "atom", text, facts, (), fn, expr=expr)
        if isinstance(expr, nodes.Within):
            return self.within(index, text, expr)
        if isinstance(expr, nodes.OnOrBefore):
            return self.on_or_before(index, text, expr)
        if isinstance(expr, nodes.Between):
            get, facts = (
                self.operand(expr.subject, None),
                _fact_names(expr.subject, None, self.symbols),
            )
            fn = limits.between(index, get, expr.first, expr.last, self.tz)
            return Node(index, "atom", text, facts, (), fn, expr=expr)
        if isinstance(expr, nodes.Literal):
            constant = expr.value if isinstance(expr.value, bool) else None
            fn = closures.constant(index, constant)
            return Node(index, "atom", text, (), (), fn, expr=expr)
        raise AssertionError(expr)

    def operand(self, expr: nodes.Expr, other: nodes.Expr | None) -> Callable[[Ctx], Any]:
        """A getter for a comparison operand; a datetime compared with a date is its local day."""
        if isinstance(expr, nodes.Arith | nodes.Extreme | nodes.FeesTotal):
            return self.amount(expr)
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
                if not isinstance(value, datetime):
                    return None
                return value.astimezone(ctx.tz or tz).date()

            return local_day
        return lambda ctx: ctx.facts.get(name)

    def period(
        self, count: int, unit_name: str, before: bool
    ) -> tuple[Period, closures.CalendarChoice]:
        """A period as `within` counts it, and the calendar(s) it is counted on."""
        found = self.symbols.unit_of(unit_name)
        assert found is not None
        unit, calendar_decl = found
        direction = Direction.BEFORE if before else Direction.AFTER
        extend = bool(calendar_decl and calendar_decl.extended)
        return Period(count, unit, direction, extend=extend), closures.CalendarChoice(calendar_decl)

    def within(self, index: int, text: str, expr: nodes.Within) -> Node:
        period, calendars = self.period(expr.count, expr.unit, expr.before)
        subject, anchor = self.operand(expr.subject, None), self.operand(expr.anchor, None)
        facts = dated = _fact_names(expr.subject, expr.anchor, self.symbols)
        if calendars.region_fact is not None:
            facts = (*facts, calendars.region_fact)
        counted_from = dated[-1] if dated else ""  # the anchor's fact, else the subject's
        fn = closures.within(
            index, subject, anchor, period, calendars, self.tz, expr.unit, (text, counted_from)
        )
        return Node(index, "atom", text, facts, (), fn, within=True, withins=(index,), expr=expr)

    def on_or_before(self, index: int, text: str, expr: nodes.OnOrBefore) -> Node:
        """`on or before` a last day, or the later (earlier) of two: a period, like `within`."""
        compiled: list[limits.LimitFn] = []
        units: list[str] = []
        dated = list(_fact_names(expr.subject, None, self.symbols))
        regions: list[str] = []
        conditions: list[Node | None] = []
        for limit in expr.limits:
            conditions.append(self.maybe(limit.condition))
            if isinstance(limit, nodes.FixedLimit):
                compiled.append(limits.fixed(limit.day))
                units.append(Unit.DAYS.value)
                continue
            anchor = self.operand(limit.anchor, None)
            dated += _fact_names(limit.anchor, None, self.symbols)
            if isinstance(limit, nodes.YearlyLimit):
                compiled.append(limits.yearly(limit.day, limit.years_after, anchor))
                units.append(Unit.DAYS.value)
            else:
                period, calendars = self.period(limit.count, limit.unit, limit.before)
                compiled.append(limits.period(period, calendars, anchor))
                units.append(limit.unit)
                regions += [calendars.region_fact] if calendars.region_fact else []
        for i, condition in enumerate(conditions):
            if condition is not None:
                compiled[i] = limits.conditional(compiled[i], condition.fn)
        read_by_conditions = [f for c in conditions if c is not None for f in c.facts]
        facts = tuple(dict.fromkeys([*dated, *regions, *read_by_conditions]))
        counted_from = dated[-1] if dated else ""  # an anchor's fact, else the subject's
        fn = limits.on_or_before(
            index,
            self.operand(expr.subject, None),
            tuple(compiled),
            tuple(units),
            expr.later,
            self.tz,
            (text, counted_from),
        )
        return Node(index, "atom", text, facts, (), fn, within=True, withins=(index,), expr=expr)


def _fees_total(ctx: Ctx) -> Any:
    return ctx.fees


def _fact_names_in(expr: nodes.Expr, symbols: Symbols) -> tuple[str, ...]:
    """The facts an operand or an amount reads, in order."""
    return tuple(ref.name for ref in refs(expr) if ref.name in symbols.facts)


def policy_currency(rule_file: nodes.RuleFile) -> str | None:
    """The currency of a policy's amounts (checked to be one, PC332): its money facts', else
    that of the amounts it writes (`fee "handling" 5 USD`)."""
    found = next((f.type.currency for f in rule_file.facts if f.type.currency), None)
    if found is None:
        found = next((currency for currency, _ in literal_currencies(rule_file)), None)
    return found


def _fact_names(first: nodes.Expr, second: nodes.Expr | None, symbols: Symbols) -> tuple[str, ...]:
    names: list[str] = []
    for expr in (first, second):
        if expr is not None:
            names += _fact_names_in(expr, symbols)
    return tuple(dict.fromkeys(names))
