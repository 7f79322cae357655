"""The requests the static analysis tries: candidate values for each fact (every enum value,
true/false, the file's constants and their neighbours, the last day in time of every `within`
period and the day after, found with the real calendar) and their combinations, a seeded sample
past `SEARCH_LIMIT`."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from policycheck.evaluation.compile import CompiledPolicy
from policycheck.evaluation.explain import show
from policycheck.evaluation.facts import FactsError, FactValue
from policycheck.evaluation.limits import day_in_year
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language import nodes
from policycheck.language.money import Money

SEARCH_LIMIT = 4096  # scope combinations tried for gaps and unreachable clauses
_BASE = date(2024, 1, 10)  # a Wednesday away from French public holidays
_BASE_TIME = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Request:
    facts: dict[str, FactValue]

    def words(self) -> str:
        return ", ".join(f"{name} = {show(value)}" for name, value in self.facts.items())


class Candidates:
    """Values to try for each fact: every enum value, true/false, boundary dates and numbers."""

    def __init__(self, policy: CompiledPolicy, declared: dict[str, nodes.FactDecl]) -> None:
        self.policy = policy
        self.declared = declared
        self.constants = _constants(policy)
        self.boundaries = _boundaries(policy, declared)

    def values(self, name: str) -> list[FactValue]:
        fact = self.declared[name]
        kind = fact.type.kind
        if kind == "enum":
            return list(fact.type.values)
        if kind == "bool":
            return [True, False]
        found = list(dict.fromkeys([*self.boundaries.get(name, []), *self.constants.get(name, [])]))
        if kind == "date":
            return found or [_BASE]
        if kind == "datetime":
            return found or [_BASE_TIME]
        if kind == "money" and fact.type.currency is not None:  # an amount in its currency
            return found or [Money(fact.type.currency, Decimal(0))]
        if kind in ("number", "money"):
            return found or [Decimal(0)]
        return [*found, "75011", "other"] if not found else [*found, "other"]

    def requests(
        self, names: list[str], fixed: dict[str, FactValue] | None = None, limit: int = 0
    ) -> Iterator[Request]:
        """Every combination of the candidate values of `names` (a seeded sample past the limit)."""
        pools = [self.values(n) for n in names if n in self.declared]
        names = [n for n in names if n in self.declared]
        total = 1
        for pool in pools:
            total *= len(pool)
        limit = limit or SEARCH_LIMIT
        combos: Any = itertools.product(*pools)
        if total > limit:
            rng = random.Random(2012)
            combos = ([rng.choice(pool) for pool in pools] for _ in range(limit))
        for combo in combos:
            yield Request({**(fixed or {}), **dict(zip(names, combo, strict=True))})


def _constants(policy: CompiledPolicy) -> dict[str, list[FactValue]]:
    """Per fact, the literals it is compared with in the rule file, and their neighbours."""
    found: dict[str, list[FactValue]] = {}
    for clause in policy.clauses:
        for expr in [r.expr for r in clause.decl.rules] + list(clause.decl.requirements):
            for ref, literal in _comparisons(expr):
                values = found.setdefault(ref, [])
                value = literal.value
                if isinstance(value, Decimal):
                    values += [value - 1, value, value + 1]
                elif isinstance(value, Money):
                    values += [Money(value.currency, value.value + d) for d in (-1, 0, 1)]
                elif isinstance(value, date):
                    values += [value - timedelta(days=1), value, value + timedelta(days=1)]
                elif isinstance(value, str):
                    values.append(value)
    return found


def _comparisons(expr: nodes.Expr) -> Iterator[tuple[str, nodes.Literal]]:
    if isinstance(expr, nodes.And | nodes.Or):
        for item in expr.items:
            yield from _comparisons(item)
    elif isinstance(expr, nodes.Not):
        yield from _comparisons(expr.operand)
    elif isinstance(expr, nodes.Compare):
        for ref, lit in ((expr.left, expr.right), (expr.right, expr.left)):
            if isinstance(ref, nodes.Ref) and isinstance(lit, nodes.Literal):
                yield ref.name, lit
    elif isinstance(expr, nodes.Member) and isinstance(expr.operand, nodes.Ref):
        for value in expr.values:
            if isinstance(value, nodes.Literal):
                yield expr.operand.name, value
    elif isinstance(expr, nodes.OnOrBefore) and isinstance(expr.subject, nodes.Ref):
        for limit in expr.limits:  # a last day written as a date: it and the days beside it
            if isinstance(limit, nodes.FixedLimit):
                yield expr.subject.name, nodes.Literal(limit.day, limit.span)
    elif isinstance(expr, nodes.Between) and isinstance(expr.subject, nodes.Ref):
        for day in (expr.first, expr.last):  # the window's ends in a leap year, and beside them
            yield expr.subject.name, nodes.Literal(day_in_year(day, _BASE.year), day.span)


def _boundaries(
    policy: CompiledPolicy, declared: dict[str, nodes.FactDecl]
) -> dict[str, list[FactValue]]:
    """For every period (`within`, `on or before`), its anchors at a base date and, for its
    subject, the last day in time and the day after, found by bisection on the compiled period
    itself."""
    found: dict[str, list[FactValue]] = {}
    for clause in policy.clauses:
        for rule in [*clause.rules]:
            for atom in _atoms(rule.node):
                if not atom.within or len(atom.facts) < 2:
                    continue  # a last day written as a date: a constant (`_constants`)
                subject, *others = atom.facts
                dated = [f for f in others if declared[f].type.kind in ("date", "datetime")]
                anchors: dict[str, FactValue] = {  # every anchor at the base date
                    f: _BASE_TIME if declared[f].type.kind == "datetime" else _BASE for f in dated
                }
                place: dict[str, FactValue] = {f: "75011" for f in others if f not in anchors}
                step = (
                    timedelta(hours=1)
                    if declared[subject].type.kind == "datetime"
                    else timedelta(days=1)
                )
                origin = _BASE_TIME if step == timedelta(hours=1) else _BASE
                last = _last_in_time(policy, atom, subject, {**anchors, **place}, origin, step)
                for anchor, start in anchors.items():
                    found.setdefault(anchor, []).append(start)
                if last is not None:
                    found.setdefault(subject, []).extend([last, last + step])
    return found


def _last_in_time(
    policy: CompiledPolicy,
    atom: Node,
    subject: str,
    given: dict[str, FactValue],
    origin: Any,
    step: timedelta,
) -> Any:
    """The subject's last value for which `atom` holds, the anchors (and regions) `given`."""

    def holds(k: int) -> bool:
        ctx = Ctx({**given, subject: origin + k * step}, policy.node_count)
        try:
            return atom.fn(ctx) is True
        except FactsError:  # the period leaves the supported years: no boundary to find
            return False

    low, high = -5000, 5000
    if not holds(low) or holds(high):
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            low = middle
        else:
            high = middle
    return origin + low * step


def _atoms(node: Node) -> list[Node]:
    if node.op == "atom":
        return [node]
    return [atom for child in node.children for atom in _atoms(child)]
