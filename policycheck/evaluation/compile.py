"""RuleFile -> CompiledPolicy: each condition becomes a closure over its facts, compiled once.

Evaluation runs the closures; nothing walks the AST per request. Every compiled condition keeps
its source text, the facts it reads and its place in the per-request table of values, which is
what the trace and the reasons for a refusal are read from.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from policycheck.calendar import Direction, Period
from policycheck.calendar.local_time import zone
from policycheck.evaluation import closures
from policycheck.evaluation.clock import CustomerClock
from policycheck.evaluation.decision import ClauseRef
from policycheck.evaluation.facts import FactSchema
from policycheck.evaluation.runtime import Ctx, Node, Value
from policycheck.evaluation.tolerances import Tolerance, compile_tolerance
from policycheck.language import nodes
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


@dataclass(frozen=True, slots=True)
class LawAnswer:
    """How our facts answer one fact of a law beneath the terms (`where`), compiled."""

    name: str  # the law's fact
    get: Callable[[Ctx], Any]  # its value from our request (None: unknown)
    facts: tuple[str, ...]  # our facts it reads: what to ask when the law's answer waits on it
    constant: bool = False  # the same value for every request: `value` (None for `unknown`)
    value: Any = None


@dataclass(frozen=True, slots=True)
class CompiledLaw:
    """`subject to LAW-ID` with its `where` answers (facts of the same name: evaluation.layers)."""

    decl: nodes.LawRef
    answers: tuple[LawAnswer, ...]


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
        return CompiledClause(
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
        )

    def answer(self, mapping: nodes.LawMapping) -> LawAnswer:
        """`where LAW-FACT = ...`: one of our facts, a value, a condition, cases or unknown."""
        name, expr = mapping.target.name, mapping.expr
        if mapping.cases:
            table = self.value_table(mapping.cases)
            if table is not None:  # each case one of our enum's values: looked up, not tested
                ours, values = table
                lookup: dict[Any, str] = dict(values)
                return LawAnswer(name, lambda ctx: lookup.get(ctx.facts.get(ours)), (ours,))
            cases = tuple((case.value, self.expr(case.expr)) for case in mapping.cases)
            facts = tuple(dict.fromkeys(f for _, node in cases for f in node.facts))
            return LawAnswer(name, closures.first_case(cases), facts)
        if expr is None:  # `= unknown`
            return LawAnswer(name, lambda ctx: None, (), constant=True)
        if isinstance(expr, nodes.Literal):
            value = expr.value
            return LawAnswer(name, lambda ctx: value, (), constant=True, value=value)
        if isinstance(expr, nodes.Ref) and expr.name not in self.symbols.groups:
            ours = expr.name
            if ours in self.symbols.facts:
                return LawAnswer(name, lambda ctx: ctx.facts.get(ours), (ours,))
            # a value of the law's enum
            return LawAnswer(name, lambda ctx: ours, (), constant=True, value=ours)
        node = self.expr(expr)
        return LawAnswer(name, node.fn, node.facts)

    def value_table(
        self, cases: tuple[nodes.MappingCase, ...]
    ) -> tuple[str, dict[str, str]] | None:
        """`withdrawal when request.kind = cancellation, other when request.kind in [return,
        refund]` as {cancellation: withdrawal, return: other, refund: other} when every case
        tests one enum fact of ours against values (the first case naming a value wins, as
        when the cases are tested in turn); None otherwise."""
        fact: str | None = None
        table: dict[str, str] = {}
        for case in cases:
            expr = case.expr
            values: tuple[nodes.Expr, ...]
            if isinstance(expr, nodes.Compare) and expr.op == "=":
                subject, values = expr.left, (expr.right,)
            elif isinstance(expr, nodes.Member):
                subject, values = expr.operand, expr.values
            else:
                return None
            declared = (
                self.symbols.facts.get(subject.name) if isinstance(subject, nodes.Ref) else None
            )
            if (
                declared is None
                or declared.type.kind != "enum"
                or fact not in (None, declared.name)
            ):
                return None
            fact = declared.name
            for value in values:
                if not isinstance(value, nodes.Ref) or value.name not in declared.type.values:
                    return None
                table.setdefault(value.name, case.value)
        return (fact, table) if fact is not None else None

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
        if isinstance(expr, nodes.Literal):
            constant = expr.value if isinstance(expr.value, bool) else None
            fn = closures.constant(index, constant)
            return Node(index, "atom", text, (), (), fn, expr=expr)
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
                if not isinstance(value, datetime):
                    return None
                return value.astimezone(ctx.tz or tz).date()

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
        calendars = closures.CalendarChoice(calendar_decl)
        facts = dated = _fact_names(expr.subject, expr.anchor, self.symbols)
        if calendars.region_fact is not None:
            facts = (*facts, calendars.region_fact)
        counted_from = dated[-1] if dated else ""  # the anchor's fact, else the subject's
        fn = closures.within(
            index, subject, anchor, period, calendars, self.tz, expr.unit, (text, counted_from)
        )
        return Node(index, "atom", text, facts, (), fn, within=True, withins=(index,), expr=expr)


def _fact_names(first: nodes.Expr, second: nodes.Expr | None, symbols: Symbols) -> tuple[str, ...]:
    names = []
    for expr in (first, second):
        if isinstance(expr, nodes.Ref) and expr.name in symbols.facts:
            names.append(expr.name)
    return tuple(names)
