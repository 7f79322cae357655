"""A compiled policy's facts and conditions as SMT terms (z3), three-valued like the evaluator.

Each fact is a pair: `known` (a Boolean) and its value — an integer index for enum values and
texts (one table of strings for the whole file, so `a = b` between two facts means the same),
a Boolean, a day number for dates (`date.toordinal()`), seconds since 1970 (UTC) for date-times,
an exact real for numbers and amounts. Each condition is a pair of Booleans (`true`, `false`);
neither means unknown, and `and`, `or`, `not` combine them as the evaluator's closures do
(Kleene's logic). Dates range over the supported years, less a year at each end so that a
period counted from any of them stays inside.

Periods (`within`, `on or before`) and the local day of a date-time are not written out: they go
through the calendar's holidays, zones and counting rules. They are fresh terms, constrained by
what is always true of them (`Encoder.background`) and by what the real evaluator says at the
points the solver picks (`periods.Refiner`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import holidays
import z3

from policycheck.analysis import periods
from policycheck.analysis.periods import Deadline, Opaque
from policycheck.analysis.terms import (
    DAY_SECONDS,
    EPOCH,
    FIRST_DAY,
    LAST_DAY,
    FactTerm,
    Tri,
    span_of,
)
from policycheck.analysis.walk import every_expr, parts
from policycheck.calendar import MAX_YEAR, CalendarError, resolve_region
from policycheck.evaluation.compile import CompiledPolicy
from policycheck.evaluation.limits import day_in_year
from policycheck.evaluation.runtime import Node
from policycheck.language import nodes
from policycheck.language.money import Money
from policycheck.language.symbols import Symbols

MAX_OFFSET = 14 * 3600  # no zone is further than 14 hours from UTC

# rule-file comparison operators, on z3 terms
COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class Encoder:
    """Terms for the facts and compiled conditions of one policy, made once and shared by every
    question the analysis asks."""

    def __init__(self, policy: CompiledPolicy) -> None:
        self.policy = policy
        self.ctx = z3.Context()  # one per analysis: its own terms, answers and thread
        self.declared = {f.name: f for f in policy.rule_file.facts}
        self.symbols = Symbols.of(policy.rule_file)
        self.strings: dict[str, int] = {}
        self.facts: dict[str, FactTerm] = {}
        self.opaque: dict[int, Opaque] = {}  # by node index
        self.deadlines: dict[str, Deadline] = {}  # by period (periods.opaque)
        self._by_text: dict[str, Opaque] = {}  # conditions of the same text: the same terms
        # the local day (in the policy's zone) of a date-time fact, as a day number (z3 Int)
        self.local_days: dict[str, Any] = {}
        self.divisors: list[Any] = []  # known divisors are never zero (PC509 otherwise)
        self.fresh: dict[str, int] = {}  # texts made up for a model: each of its own index
        self._memo: dict[int, Tri] = {}
        self._said: set[object] = set()  # what `background` has given already
        self._divisors_said = 0
        for decl in policy.rule_file.facts:  # enum values first: their indices are stable
            if decl.type.kind == "enum":
                for value in decl.type.values:
                    self.string(value)
        texts = [
            part.value
            for expr in every_expr(policy.rule_file)
            for part in parts(expr)
            if isinstance(part, nodes.Literal) and isinstance(part.value, str)
        ]
        for calendar in policy.rule_file.calendars:  # a place in each region of a calendar
            if calendar.region_fact is not None and calendar.country is not None:
                texts += region_samples(calendar.country)
        # a text is one the file writes, a region's, or one of its own (`text_of`)
        self.texts = sorted({self.string(text) for text in texts})
        self._names = list(self.strings)  # by index; no string is added after this
        for decl in policy.rule_file.facts:
            self.fact(decl.name)

    # -- facts -------------------------------------------------------------------------------

    def string(self, text: str) -> int:
        """The index of a string (an enum value or a text)."""
        return self.strings.setdefault(text, len(self.strings))

    def text_of(self, name: str, index: int) -> str:
        """The string of an index the solver chose for the fact `name`: the file's, or one of
        its own (`other postcode 12`)."""
        if index < len(self._names):
            return self._names[index]
        text = f"other {name.rsplit('.', 1)[-1]} {index}"
        self.fresh[text] = index
        return text

    def index_of(self, text: str) -> int:
        """The index of a text of a request this analysis built."""
        found = self.strings.get(text)
        return found if found is not None else self.fresh[text]

    def fact(self, name: str) -> FactTerm:
        found = self.facts.get(name)
        if found is not None:
            return found
        decl = self.declared[name]
        kind = decl.type.kind
        known = z3.Bool(f"known {name}", self.ctx)
        if kind == "bool":
            value: Any = z3.Bool(name, self.ctx)
        elif kind in ("number", "money"):
            value = z3.Real(name, self.ctx)
        else:  # enum, text, date, datetime
            value = z3.Int(name, self.ctx)
        term = FactTerm(name, kind, known, value, decl.type.currency)
        self.facts[name] = term
        return term

    def local_day(self, name: str) -> Any:
        """The local day of the date-time fact `name` (its value checked by the evaluator)."""
        found = self.local_days.get(name)
        if found is None:
            found = self.local_days[name] = z3.Int(f"local day of {name}", self.ctx)
        return found

    def background(self) -> list[Any]:
        """What is always true of the terms made since the last call: every value in its range,
        local days near their instants, what every calendar says of a period's last day."""
        first, last = span_of("date")
        first_second, last_second = span_of("datetime")
        found: list[Any] = []
        for name in [n for n in self.facts if n not in self._said]:
            self._said.add(name)
            term, decl = self.facts[name], self.declared[name]
            if term.kind == "enum":
                found.append(
                    z3.Or([term.value == self.string(v) for v in decl.type.values], self.ctx)
                )
            elif term.kind == "text":
                texts = [term.value == index for index in self.texts]
                found.append(z3.Or(*texts, term.value >= len(self.strings), self.ctx))
            elif term.kind == "date":
                found.append(z3.And(term.value >= first, term.value <= last, self.ctx))
            elif term.kind == "datetime":
                found.append(
                    z3.And(term.value >= first_second, term.value <= last_second, self.ctx)
                )
        epoch_day = EPOCH.date().toordinal()
        for name in [n for n in self.local_days if ("local", n) not in self._said]:
            self._said.add(("local", name))
            seconds, day = self.facts[name].value, self.local_days[name]
            found.append(day >= epoch_day + (seconds - MAX_OFFSET) / DAY_SECONDS)
            found.append(day <= epoch_day + (seconds + MAX_OFFSET) / DAY_SECONDS)
        for text in [t for t in self._by_text if ("text", t) not in self._said]:
            self._said.add(("text", text))
            opaque = self._by_text[text]
            if opaque.deadline is None:
                found.append(z3.Not(z3.And(opaque.tri.true, opaque.tri.false, self.ctx)))
        for key in [k for k in self.deadlines if ("period", k) not in self._said]:
            self._said.add(("period", key))
            found += periods.axioms(self, self.deadlines[key])
        found += self.divisors[self._divisors_said :]
        self._divisors_said = len(self.divisors)
        return found

    # -- conditions --------------------------------------------------------------------------

    def node(self, node: Node) -> Tri:
        """The value of a compiled condition."""
        found = self._memo.get(node.index)
        if found is None:
            found = self._node(node)
            self._memo[node.index] = found
        return found

    def _node(self, node: Node) -> Tri:
        if node.op == "and":
            items = [self.node(child) for child in node.children]
            return Tri(
                z3.And([i.true for i in items], self.ctx), z3.Or([i.false for i in items], self.ctx)
            )
        if node.op == "or":
            items = [self.node(child) for child in node.children]
            return Tri(
                z3.Or([i.true for i in items], self.ctx), z3.And([i.false for i in items], self.ctx)
            )
        if node.op == "not":
            return self.node(node.children[0]).negate()
        if node.children:  # a group named in a condition: its shared node
            return self.node(node.children[0])
        return self.atom(node)

    def atom(self, node: Node) -> Tri:
        expr = node.expr
        if isinstance(expr, nodes.Literal):
            value = z3.BoolVal(bool(expr.value), self.ctx) if isinstance(expr.value, bool) else None
            if value is None:
                return Tri(z3.BoolVal(False, self.ctx), z3.BoolVal(False, self.ctx))
            return Tri(value, z3.Not(value))
        if isinstance(expr, nodes.Ref):
            term = self.fact(expr.name)
            return Tri(
                z3.And(term.known, term.value, self.ctx),
                z3.And(term.known, z3.Not(term.value), self.ctx),
            )
        if isinstance(expr, nodes.Known):
            assert isinstance(expr.operand, nodes.Ref)
            known = self.fact(expr.operand.name).known
            holds = known if expr.known else z3.Not(known)
            return Tri(holds, z3.Not(holds))
        if isinstance(expr, nodes.Compare):
            left = self.operand(expr.left, expr.right)
            right = self.operand(expr.right, expr.left)
            if left is None or right is None:
                return self._opaque(node)
            known = z3.And(left[0], right[0], self.ctx)
            holds = COMPARE[expr.op](left[1], right[1])
            return Tri(z3.And(known, holds, self.ctx), z3.And(known, z3.Not(holds), self.ctx))
        if isinstance(expr, nodes.Member):
            subject = self.operand(expr.operand)
            values = [self.operand(v, expr.operand) for v in expr.values]
            if subject is None or any(v is None for v in values):
                return self._opaque(node)
            holds = z3.Or([subject[1] == v[1] for v in values if v is not None], self.ctx)
            return Tri(
                z3.And(subject[0], holds, self.ctx), z3.And(subject[0], z3.Not(holds), self.ctx)
            )
        if isinstance(expr, nodes.Between):
            return self.between(node, expr)
        return self._opaque(node)

    def between(self, node: Node, expr: nodes.Between) -> Tri:
        """`x between 1 november and 24 december`: exactly, as the window in every year."""
        subject = self.operand(expr.subject, as_day=True)
        if subject is None:
            return self._opaque(node)
        known, day = subject
        windows = []
        for year in range(FIRST_DAY.year - 1, LAST_DAY.year + 1):
            start = day_in_year(expr.first, year)
            end_year = (
                year + 1
                if (expr.first.month, expr.first.day) > (expr.last.month, expr.last.day)
                else year
            )
            end = day_in_year(expr.last, min(end_year, MAX_YEAR))
            windows.append(z3.And(day >= start.toordinal(), day <= end.toordinal(), self.ctx))
        holds = z3.Or(windows, self.ctx)
        return Tri(z3.And(known, holds, self.ctx), z3.And(known, z3.Not(holds), self.ctx))

    def opaques_in(self, roots: list[Node]) -> list[Opaque]:
        """The conditions not written out inside these nodes (groups included)."""
        found: dict[int, Opaque] = {}
        stack, seen = list(roots), set()
        while stack:
            node = stack.pop()
            if node.index in seen:
                continue
            seen.add(node.index)
            if node.index in self.opaque:
                found[node.index] = self.opaque[node.index]
            stack.extend(node.children)
        return list(found.values())

    def _opaque(self, node: Node) -> Tri:
        found = self.opaque.get(node.index)
        if found is None:
            same = self._by_text.get(node.text)
            found = periods.opaque(self, node, self.deadlines)
            if same is not None and found.deadline is None:
                found = Opaque(node, same.tri, None, found.others)
            self._by_text.setdefault(node.text, found)
            self.opaque[node.index] = found
        return found.tri

    # -- operands ----------------------------------------------------------------------------

    def operand(
        self, expr: nodes.Expr, other: nodes.Expr | None = None, as_day: bool = False
    ) -> tuple[Any, Any] | None:
        """(known, value) of an operand or amount; None for one the encoding cannot write. A
        date-time compared with a date (or read `as_day`) is its local day, as compiled."""
        if isinstance(expr, nodes.Literal):
            return z3.BoolVal(True, self.ctx), self.literal(expr.value)
        if isinstance(expr, nodes.Ref):
            if expr.name not in self.declared:  # a bare enum value
                return z3.BoolVal(True, self.ctx), z3.IntVal(self.string(expr.name), self.ctx)
            term = self.fact(expr.name)
            if term.kind == "datetime" and (as_day or self._is_date(other)):
                return term.known, self.local_day(expr.name)
            return term.known, term.value
        if isinstance(expr, nodes.Arith):
            left, right = self.operand(expr.left), self.operand(expr.right)
            if left is None or right is None:
                return None
            known = z3.And(left[0], right[0], self.ctx)
            if expr.op == "+":
                return known, left[1] + right[1]
            if expr.op == "-":
                return known, left[1] - right[1]
            if expr.op in ("*", "of"):
                return known, left[1] * right[1]
            self.divisors.append(z3.Implies(right[0], right[1] != 0))
            return known, left[1] / right[1]
        if isinstance(expr, nodes.Extreme):
            found = [self.operand(item) for item in expr.items]
            items = [item for item in found if item is not None]
            if len(items) != len(found):
                return None
            known = z3.And([item[0] for item in items], self.ctx)
            value = items[0][1]
            for _, item in items[1:]:
                value = z3.If(item < value if expr.name == "min" else item > value, item, value)
            return known, value
        return None

    def literal(self, value: date | Decimal | Money | str | bool) -> Any:
        if isinstance(value, bool):
            return z3.BoolVal(value, self.ctx)
        if isinstance(value, date):
            return z3.IntVal(value.toordinal(), self.ctx)
        if isinstance(value, Money):
            return z3.RealVal(str(value.value), self.ctx)
        if isinstance(value, Decimal):
            return z3.RealVal(str(value), self.ctx)
        return z3.IntVal(self.string(value), self.ctx)

    def _is_date(self, expr: nodes.Expr | None) -> bool:
        return expr is not None and self.symbols.type_of(expr).kind == "date"


@functools.cache
def region_samples(country: str) -> tuple[str, ...]:
    """A value of a region fact for each holiday subdivision of `country` (a French postcode:
    `75011`, then `57000`, `97100`...; a subdivision code elsewhere), so that the solver may
    choose each region's calendar."""
    found: list[str] = []
    codes = [
        c
        for c in holidays.country_holidays(country, years=[]).subdivisions
        if not c.startswith("Zone")
    ]
    if country.upper() == "FR":
        candidates = ["75011", "67000", *(code.ljust(5, "0") for code in codes if code.isdigit())]
        for place in candidates:
            try:
                resolve_region(country, postcode=place)
            except CalendarError:
                continue
            found.append(place)
        return tuple(found)
    return tuple(codes)
