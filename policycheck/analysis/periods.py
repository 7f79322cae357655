"""Periods (`within`, `on or before`) and other conditions the solver does not write out.

A period's value goes through the calendar's holidays, zones and counting rules, so it is not
encoded: its last day is. For a request date `s` known, the period holds when `s <= last_true`
and fails when `s >= first_false` (in between, unknown: regions disagreeing, a limit's condition
unknown). `last_true` and `first_false` are uninterpreted functions of what the period is
counted from (the anchors, the region, the facts its limits' conditions read), one pair per
period and kind of request date, shared by every condition that counts the same period.

What the solver may assume of them (`axioms`) is what is true of every calendar: exactly the
anchor moved by the period for calendar days, weeks and hours; at least COUNT calendar days for
other units. The rest it learns from the evaluator (`lemma`): at the anchors of a request, the
last day found by bisection on the real condition, and, as a last day never moves back when an
anchor moves on, bounds for every later and earlier anchor.

A condition without a monotone request date (a window of days in a year read through an
expression, say) gets free Booleans, shared by conditions of the same text, and point lemmas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from policycheck.analysis.terms import FactTerm, Terms, Tri, constant, from_number, span_of
from policycheck.evaluation.facts import FactsError, FactValue
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language import nodes
from policycheck.language.nesting import refs
from policycheck.language.symbols import Symbols

INVALID = "invalid"  # the evaluator's answer when a period leaves the supported years


@dataclass(frozen=True)
class Deadline:
    """The last day of one period, as a function of what it is counted from."""

    node: Node  # a condition counting it: evaluated to learn it
    subject: str  # that condition's request date
    args: tuple[str, ...]  # the facts the last day depends on
    anchors: tuple[str, ...]  # among them, those it is monotone in
    last_true: Any  # z3 function: the last request date (or instant) in time
    first_false: Any  # z3 function: the first one late

    def terms(self, encoder: Terms) -> tuple[Any, Any]:
        """The two functions at the facts' terms."""
        args = _args([encoder.facts[name] for name in self.args])
        return self.last_true(*args), self.first_false(*args)


@dataclass(frozen=True)
class Opaque:
    """A condition not written out: its node, its value's terms, and what it depends on."""

    node: Node
    tri: Tri
    subject: str | None  # the request date it is monotone in, if any
    others: tuple[str, ...]  # the other facts its value depends on
    deadline: Deadline | None = None


def opaque(encoder: Terms, node: Node, deadlines: dict[str, Deadline]) -> Opaque:
    """The terms of a condition that is not written out (a period, or another atom)."""
    subject = monotone_subject(node)
    others = tuple(f for f in node.facts if f != subject)
    if subject is None:
        tri = Tri(
            z3.Bool(f"holds `{node.text}`", encoder.ctx),
            z3.Bool(f"fails `{node.text}`", encoder.ctx),
        )
        return Opaque(node, tri, None, others)
    term = encoder.facts[subject]
    key = f"{term.kind}: " + node.text.replace(subject, "·", 1)
    deadline = deadlines.get(key)
    if deadline is None:
        sorts = [sort for name in others for sort in _sorts(encoder.facts[name])]
        deadline = Deadline(
            node,
            subject,
            others,
            monotone_anchors(node),
            z3.Function(f"last in time {key}", *sorts, z3.IntSort(encoder.ctx)),
            z3.Function(f"first late {key}", *sorts, z3.IntSort(encoder.ctx)),
        )
        deadlines[key] = deadline
    last_true, first_false = deadline.terms(encoder)
    tri = Tri(
        z3.And(term.known, term.value <= last_true, encoder.ctx),
        z3.And(term.known, term.value >= first_false, encoder.ctx),
    )
    return Opaque(node, tri, subject, others, deadline)


def _sorts(term: FactTerm) -> list[Any]:
    return [z3.BoolSort(term.value.ctx), term.value.sort()]


def _args(terms: list[FactTerm]) -> list[Any]:
    return [arg for term in terms for arg in (term.known, term.canonical())]


def monotone_subject(node: Node) -> str | None:
    """The request date a period's value is monotone in: in time up to the last day, then
    unknown, then late. None when the subject is not a plain fact, or when what decides the
    last day also reads it."""
    expr = node.expr
    if not isinstance(expr, nodes.Within | nodes.OnOrBefore):
        return None
    if not isinstance(expr.subject, nodes.Ref) or expr.subject.name not in node.facts:
        return None
    subject = expr.subject.name
    read = {ref.name for part in [*_anchors(expr), *_conditions(expr)] for ref in refs(part)}
    return None if subject in read else subject


def monotone_anchors(node: Node) -> tuple[str, ...]:
    """The facts a period is counted from that nothing else in it reads (a limit's condition,
    another limit): its last day never moves back when one of them moves on."""
    expr = node.expr
    assert isinstance(expr, nodes.Within | nodes.OnOrBefore)
    anchors = _anchors(expr)
    named = [a.name for a in anchors if isinstance(a, nodes.Ref)]
    if len(named) != len(anchors):
        return ()
    read = [ref.name for part in _conditions(expr) for ref in refs(part)]
    return tuple(n for n in dict.fromkeys(named) if n not in read and named.count(n) == 1)


def _anchors(expr: nodes.Within | nodes.OnOrBefore) -> list[nodes.Expr]:
    """The dates a period is counted from."""
    return [expr.anchor] if isinstance(expr, nodes.Within) else list(expr.anchors)


def _conditions(expr: nodes.Within | nodes.OnOrBefore) -> list[nodes.Expr]:
    if isinstance(expr, nodes.Within):
        return []
    return [limit.condition for limit in expr.limits if limit.condition is not None]


# -- what is true of every calendar ---------------------------------------------------------------


def axioms(encoder: Terms, deadline: Deadline) -> list[Any]:
    """What the solver may assume of a last day before asking the evaluator anything.

    Exactly: in calendar days or weeks between two dates (no extension past a rest day), and in
    hours between two date-times, the last moment in time is the anchor moved by the period
    (tests/analysis check this against the evaluator). Otherwise, between two dates: counted
    forwards, the last day is at least COUNT calendar days after the anchor; backwards, at
    least COUNT days before it. A `within` counted from an unknown date is unknown."""
    last_true, first_false = deadline.terms(encoder)
    low, high = span_of(encoder.facts[deadline.subject].kind)
    found = [last_true < first_false, last_true >= low - 1, first_false <= high + 1]
    expr = deadline.node.expr
    if not isinstance(expr, nodes.Within) or not isinstance(expr.anchor, nodes.Ref):
        return found
    anchor = encoder.facts.get(expr.anchor.name)
    unit_found = Symbols.of(encoder.policy.rule_file).unit_of(expr.unit)
    if anchor is None or unit_found is None:
        return found
    subject = encoder.facts[deadline.subject]
    found.append(
        z3.Implies(
            z3.Not(anchor.known), z3.And(last_true == low - 1, first_false == high + 1, encoder.ctx)
        )
    )
    unit, calendar = unit_found
    sign = -1 if expr.before else 1
    exact = None
    if subject.kind == anchor.kind == "date" and unit.value in ("days", "weeks"):
        if calendar is None or not calendar.extended:
            exact = expr.count * (7 if unit.value == "weeks" else 1)
    elif subject.kind == anchor.kind == "datetime" and unit.value == "hours":
        exact = expr.count * 3600
    if exact is not None:
        end = anchor.value + sign * exact
        found.append(
            z3.Implies(anchor.known, z3.And(last_true == end, first_false == end + 1, encoder.ctx))
        )
    elif subject.kind == anchor.kind == "date" and unit.value != "hours":
        days = expr.count * {"weeks": 7, "months": 28, "years": 365}.get(unit.value, 1)
        if expr.before:
            found.append(z3.Implies(anchor.known, first_false <= anchor.value - days + 1))
        else:
            found.append(z3.Implies(anchor.known, last_true >= anchor.value + days))
    return found


# -- what the evaluator says ---------------------------------------------------------------------


def evaluate(encoder: Terms, node: Node, facts: dict[str, FactValue]) -> Any:
    """The real value of a condition for flat facts (INVALID when a period leaves the years)."""
    ctx = Ctx(dict(facts), encoder.policy.node_count)
    try:
        return node.fn(ctx)
    except FactsError:
        return INVALID


def lemma(encoder: Terms, found: Opaque, facts: dict[str, FactValue], real: Any) -> Any:
    """What the evaluator says of a condition at the request `facts` (where it said `real`)."""
    same = [equal(encoder, name, facts) for name in found.others]
    here = [*same, equal(encoder, found.subject, facts)] if found.subject else same
    if real == INVALID:  # a period that leaves the supported years from here: not this point
        return z3.Not(z3.And(here, encoder.ctx))
    if found.deadline is None:
        true, false = real is True, real is False
        return z3.Implies(
            z3.And(here, encoder.ctx),
            z3.And(found.tri.true == true, found.tri.false == false, encoder.ctx),
        )
    deadline = found.deadline
    last_true, first_false = edges(encoder, deadline, facts)
    at = _args([encoder.facts[name] for name in deadline.args])
    values = [_constant(encoder, encoder.facts[name], facts) for name in deadline.args]
    pinned = [arg for pair in values for arg in pair]
    parts = [
        deadline.last_true(*pinned) == last_true,
        deadline.first_false(*pinned) == first_false,
    ]
    moving = [a for a in deadline.anchors if a in facts]
    if moving:  # later anchors: a last day no earlier; earlier anchors: no later
        fixed = [equal(encoder, n, facts) for n in deadline.args if n not in moving]
        terms = [encoder.facts[a] for a in moving]
        points = [constant(t, facts[t.name], encoder.index_of) for t in terms]
        later = [
            z3.And(t.known, t.value >= p, encoder.ctx) for t, p in zip(terms, points, strict=True)
        ]
        earlier = [
            z3.And(t.known, t.value <= p, encoder.ctx) for t, p in zip(terms, points, strict=True)
        ]
        now_true, now_false = deadline.last_true(*at), deadline.first_false(*at)
        parts.append(
            z3.Implies(
                z3.And(*fixed, *later, encoder.ctx),
                z3.And(now_true >= last_true, now_false >= first_false, encoder.ctx),
            )
        )
        parts.append(
            z3.Implies(
                z3.And(*fixed, *earlier, encoder.ctx),
                z3.And(now_true <= last_true, now_false <= first_false, encoder.ctx),
            )
        )
    return z3.And(parts, encoder.ctx)


def edges(encoder: Terms, deadline: Deadline, facts: dict[str, FactValue]) -> tuple[int, int]:
    """At the request's anchors (region, conditions): the last request date in time and the
    first one late (day numbers, or seconds), by bisection on the evaluator over the supported
    years; one before the first (after the last) when there is none. The value never goes
    back: in time, then unknown, then late."""
    kind = encoder.facts[deadline.subject].kind
    low, high = span_of(kind)

    def rank(number: int) -> int:
        probe = {**facts, deadline.subject: from_number(kind, number)}
        return {True: 0, None: 1, False: 2}.get(evaluate(encoder, deadline.node, probe), 3)

    def last_at_most(limit: int) -> int:
        if rank(low) > limit:
            return low - 1
        if rank(high) <= limit:
            return high
        lower, upper = low, high
        while upper - lower > 1:
            middle = (lower + upper) // 2
            if rank(middle) <= limit:
                lower = middle
            else:
                upper = middle
        return lower

    return last_at_most(0), last_at_most(1) + 1


def equal(encoder: Terms, name: str, facts: dict[str, FactValue]) -> Any:
    """The fact `name` as it is in `facts` (unknown if absent)."""
    term = encoder.facts[name]
    if name not in facts:
        return z3.Not(term.known)
    return z3.And(
        term.known, term.value == constant(term, facts[name], encoder.index_of), encoder.ctx
    )


def _constant(encoder: Terms, term: FactTerm, facts: dict[str, FactValue]) -> tuple[Any, Any]:
    """(known, canonical value) of a fact in `facts`, as `FactTerm.canonical` has it."""
    if term.name not in facts:
        return z3.BoolVal(False, encoder.ctx), term.canonical().arg(2)
    return z3.BoolVal(True, encoder.ctx), constant(term, facts[term.name], encoder.index_of)
