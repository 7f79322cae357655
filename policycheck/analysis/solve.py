"""Asking the solver a question about a policy, and checking its answer with the real evaluator.

`Prover.find(goal)` looks for a request that satisfies `goal`. The solver picks one; the
request is evaluated with the compiled policy's own closures at every period and local day the
solver chose freely; where the evaluator disagrees, what it said becomes a lemma (a fact about
the real calendar, true for every question after) and the solver tries again. So an answer is
either a request that really satisfies the goal, a proof that none does (the lemmas are all
true), or `unknown` when the time limit or the number of tries runs out.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from policycheck.analysis.encode import (
    DAY_SECONDS,
    EPOCH,
    FIRST_DAY,
    LAST_DAY,
    Encoder,
    FactTerm,
    Opaque,
)
from policycheck.evaluation.explain import show
from policycheck.evaluation.facts import FactsError, FactValue
from policycheck.evaluation.runtime import Ctx
from policycheck.language.money import Money

MAX_ROUNDS = 64  # evaluator checks of one question before it is `unknown`


class Answer(enum.Enum):
    FOUND = "found"  # a request satisfies the goal (checked by the evaluator)
    NONE = "none"  # proved: no request does
    UNKNOWN = "unknown"  # the time limit or the tries ran out


@dataclass(frozen=True)
class Request:
    """Flat facts (dotted names) of a request the analysis built; absent facts are unknown."""

    facts: dict[str, FactValue]

    def words(self) -> str:
        """`request.kind = return, delivery.date = 2024-01-10` (`nothing known` when empty)."""
        shown = ", ".join(f"{name} = {show(value)}" for name, value in self.facts.items())
        return shown or "nothing known"

    def json(self) -> dict[str, Any]:
        """The nested JSON facts a client would send for this request."""
        nested: dict[str, Any] = {}
        for name, value in self.facts.items():
            *sections, leaf = name.split(".")
            branch = nested
            for section in sections:
                branch = branch.setdefault(section, {})
            branch[leaf] = _json(value)
        return nested


@dataclass
class Result:
    answer: Answer
    request: Request | None = None
    model: Any = None  # the z3 model of a found request
    why: str = ""  # for `unknown`: what ran out


@dataclass
class Prover:
    """One solver for a policy's questions; lemmas about the calendar are kept across them."""

    encoder: Encoder
    timeout_ms: int
    solver: Any = field(default_factory=z3.Solver)
    questions: int = 0
    lemmas: int = 0
    _added: int = 0  # how many background constraints are in the solver

    def __post_init__(self) -> None:
        self._goals = 0

    def holds(self, model: Any, term: Any) -> bool:
        return z3.is_true(model.eval(term, model_completion=True))

    def find(self, goal: Any, budget_ms: int | None = None) -> Result:
        """A request satisfying `goal`, a proof that there is none, or unknown."""
        self.questions += 1
        self._background()
        self._goals += 1
        selector = z3.Bool(f"goal {self._goals}")
        self.solver.add(z3.Implies(selector, goal))
        limit = budget_ms if budget_ms is not None else self.timeout_ms
        deadline = time.monotonic() + limit / 1000
        pins: list[Any] = []  # the anchors of the last request: tried again once refined
        try:
            for _ in range(MAX_ROUNDS):
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    return Result(Answer.UNKNOWN, why=f"time limit ({limit} ms)")
                self.solver.set("timeout", left)
                verdict = self.solver.check(selector, *pins)
                if verdict == z3.unsat and pins:
                    pins = []
                    continue
                if verdict == z3.unsat:
                    return Result(Answer.NONE)
                if verdict == z3.unknown:
                    reason = self.solver.reason_unknown()
                    timed_out = "timeout" in reason or "canceled" in reason
                    return Result(
                        Answer.UNKNOWN, why=f"time limit ({limit} ms)" if timed_out else reason
                    )
                model = self._snap(self.solver.model(), [selector, *pins], left)
                if model is None:
                    return Result(Answer.UNKNOWN, why="no amount with a finite decimal found")
                request = self.request(model)
                if self._refine(model, request, goal):
                    pins = self._pins(request)
                    continue
                return Result(Answer.FOUND, request, model)
            return Result(Answer.UNKNOWN, why=f"{MAX_ROUNDS} tries of the calendar")
        finally:
            self.solver.add(z3.Not(selector))  # this goal is never asked again

    def _pins(self, request: Request) -> list[Any]:
        """The request's values of what periods are counted from (anchors, regions): with the
        lemmas just learnt there, the solver often finds the request date it needs at once."""
        names = {name for opaque in self.encoder.opaque.values() for name in opaque.others}
        return [self._equal(name, request) for name in sorted(names)]

    def _background(self) -> None:
        found = self.encoder.background()
        for constraint in found[self._added :]:
            self.solver.add(constraint)
        self._added = len(found)

    # -- from a model to a request --------------------------------------------------------------

    def request(self, model: Any) -> Request:
        facts: dict[str, FactValue] = {}
        for term in self.encoder.facts.values():
            if not self.holds(model, term.known):
                continue
            facts[term.name] = self.value(model, term)
        return Request(facts)

    def value(self, model: Any, term: FactTerm) -> FactValue:
        found = model.eval(term.value, model_completion=True)
        if term.kind == "bool":
            return z3.is_true(found)
        if term.kind in ("number", "money"):
            amount = _decimal(found)
            assert amount is not None, "snapped before"
            return Money(term.currency, amount) if term.currency else amount
        number = found.as_long()
        if term.kind == "date":
            return date.fromordinal(number)
        if term.kind == "datetime":
            return EPOCH + timedelta(seconds=number)
        names = self.encoder.strings_by_index()
        return names[number] if number < len(names) else self.encoder.fresh_text(term.name, number)

    def _snap(self, model: Any, assumptions: list[Any], left_ms: int) -> Any:
        """The model, with every amount a finite decimal (the solver may pick 1/3)."""
        loose = [
            t
            for t in self.encoder.facts.values()
            if t.kind in ("number", "money")
            and _decimal(model.eval(t.value, model_completion=True)) is None
        ]
        if not loose:
            return model
        pins = []
        for term in loose:
            exact = model.eval(term.value, model_completion=True)
            fraction = Fraction(exact.numerator_as_long(), exact.denominator_as_long())
            pins.append(
                term.value
                == z3.RealVal(str(round(Decimal(fraction.numerator) / fraction.denominator, 6)))
            )
        self.solver.set("timeout", max(1, left_ms))
        if self.solver.check(*assumptions, *pins) != z3.sat:
            return None
        return self.solver.model()

    # -- checking the model with the evaluator ---------------------------------------------------

    def _refine(self, model: Any, request: Request, goal: Any) -> bool:
        """Whether the request really satisfies `goal`, with the evaluator's value of every
        period and local day the solver chose; when not, what the evaluator said of those the
        model got wrong becomes a lemma. True when a lemma was added."""
        pairs: list[tuple[Any, Any]] = []
        wrong_days: list[tuple[str, int]] = []
        for name, local in self.encoder.local_days.items():
            value = request.facts.get(name)
            if not isinstance(value, datetime):
                continue
            real_day = value.astimezone(self.encoder.policy.tz).date().toordinal()
            pairs.append((local.day, z3.IntVal(real_day)))
            if model.eval(local.day, model_completion=True).as_long() != real_day:
                wrong_days.append((name, real_day))
        wrong: list[tuple[Opaque, Any]] = []
        for opaque in self.encoder.opaque.values():
            real = _evaluate(self.encoder, opaque, request.facts)
            true, false = _pair(real)
            pairs += [(opaque.tri.true, z3.BoolVal(true)), (opaque.tri.false, z3.BoolVal(false))]
            chosen = (self.holds(model, opaque.tri.true), self.holds(model, opaque.tri.false))
            if real == "invalid" or chosen != (true, false):
                wrong.append((opaque, real))
        if not wrong and not wrong_days:
            return False
        if not any(real == "invalid" for _, real in wrong) and self.holds(
            model, z3.substitute(goal, *pairs)
        ):
            return False  # what the model got wrong does not matter to the goal
        for name, real_day in wrong_days:
            self.solver.add(_same_local_day(self.encoder, name, real_day))
        for opaque, real in wrong:
            self.solver.add(self._lemma(opaque, request, real))
        self.lemmas += len(wrong) + len(wrong_days)
        return True

    def _lemma(self, opaque: Opaque, request: Request, real: Any) -> Any:
        """What the evaluator says of the period at this point: at these anchors (and region,
        and conditions), in time up to the last day found, unknown, then late."""
        same = [self._equal(name, request) for name in opaque.others]
        if real == "invalid":  # a period that leaves the supported years from here
            point = [*same, self._equal(opaque.subject, request)] if opaque.subject else same
            return z3.Not(z3.And(point))
        if opaque.subject is None or opaque.subject not in request.facts:
            point = [*same, self._equal(opaque.subject, request)] if opaque.subject else same
            true, false = _pair(real)
            return z3.Implies(
                z3.And(point), z3.And(opaque.tri.true == true, opaque.tri.false == false)
            )
        term = self.encoder.facts[opaque.subject]
        last_true, first_false = _edges(self.encoder, opaque, request)
        subject, known = term.value, term.known
        # later anchors never make the last day earlier, nor earlier ones later (`_monotone`)
        moving = [a for a in opaque.anchors if a in request.facts]
        fixed = [self._equal(n, request) for n in opaque.others if n not in moving]
        at = {a: _term_value(self.encoder, self.encoder.facts[a], request.facts[a]) for a in moving}
        later = [
            z3.And(self.encoder.facts[a].known, self.encoder.facts[a].value >= v)
            for a, v in at.items()
        ]
        earlier = [
            z3.And(self.encoder.facts[a].known, self.encoder.facts[a].value <= v)
            for a, v in at.items()
        ]
        same = [*fixed, *(self._equal(a, request) for a in moving)]
        parts = []
        if last_true is not None:
            in_time = z3.And(known, subject <= last_true)
            parts.append(z3.Implies(z3.And(*fixed, *later, in_time), opaque.tri.true))
            parts.append(
                z3.Implies(z3.And(*same, known, subject > last_true), z3.Not(opaque.tri.true))
            )
        else:
            parts.append(z3.Implies(z3.And(same), z3.Not(opaque.tri.true)))
        if first_false is not None:
            late = z3.And(known, subject >= first_false)
            parts.append(z3.Implies(z3.And(*fixed, *earlier, late), opaque.tri.false))
            parts.append(
                z3.Implies(z3.And(*same, known, subject < first_false), z3.Not(opaque.tri.false))
            )
        else:
            parts.append(z3.Implies(z3.And(same), z3.Not(opaque.tri.false)))
        return z3.And(parts)

    def _equal(self, name: str, request: Request) -> Any:
        """The fact `name` as it is in `request` (unknown if absent)."""
        term = self.encoder.facts[name]
        if name not in request.facts:
            return z3.Not(term.known)
        return z3.And(
            term.known, term.value == _term_value(self.encoder, term, request.facts[name])
        )


def _pair(real: Any) -> tuple[bool, bool]:
    return (real is True, real is False)


def _evaluate(encoder: Encoder, opaque: Opaque, facts: dict[str, FactValue]) -> Any:
    ctx = Ctx(dict(facts), encoder.policy.node_count)
    try:
        return opaque.node.fn(ctx)
    except FactsError:
        return "invalid"


def _edges(encoder: Encoder, opaque: Opaque, request: Request) -> tuple[int | None, int | None]:
    """At the request's anchors (region, conditions): the last value of the subject in time and
    the first one late (day numbers, or seconds), found by bisection on the evaluator over the
    supported years; None when there is none. The value never goes back: in time, then unknown
    (regions disagreeing), then late."""
    assert opaque.subject is not None
    term = encoder.facts[opaque.subject]
    low, high = _range(term.kind)

    def rank(number: int) -> int:
        facts = {**request.facts, term.name: _fact_value(term, number)}
        return {True: 0, None: 1, False: 2}.get(_evaluate(encoder, opaque, facts), 3)

    def last_at_most(limit: int) -> int | None:
        if rank(low) > limit:
            return None
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

    last_true, last_unknown = last_at_most(0), last_at_most(1)
    if last_unknown is None:
        return last_true, low
    return last_true, None if last_unknown == high else last_unknown + 1


def _range(kind: str) -> tuple[int, int]:
    if kind == "date":
        return FIRST_DAY.toordinal(), LAST_DAY.toordinal()
    first = int((datetime.combine(FIRST_DAY, datetime.min.time(), UTC) - EPOCH).total_seconds())
    return first, first + (LAST_DAY.toordinal() - FIRST_DAY.toordinal() + 1) * DAY_SECONDS - 1


def _fact_value(term: FactTerm, number: int) -> FactValue:
    if term.kind == "date":
        return date.fromordinal(number)
    return EPOCH + timedelta(seconds=number)


def _term_value(encoder: Encoder, term: FactTerm, value: FactValue) -> Any:
    """A fact's value as a z3 constant of its term."""
    if term.kind == "bool":
        return z3.BoolVal(bool(value))
    if isinstance(value, Money):
        return z3.RealVal(str(value.value))
    if isinstance(value, Decimal):
        return z3.RealVal(str(value))
    if isinstance(value, datetime):
        return int((value - EPOCH).total_seconds())
    if isinstance(value, date):
        return value.toordinal()
    assert isinstance(value, str)
    return encoder.index_of(value)


def _same_local_day(encoder: Encoder, name: str, day: int) -> Any:
    """The instants whose local day (in the policy's zone) is `day`, and only they, have it."""
    tz = encoder.policy.tz
    start = datetime.combine(date.fromordinal(day), datetime.min.time(), tz)
    end = datetime.combine(date.fromordinal(day + 1), datetime.min.time(), tz)
    first = int((start.astimezone(UTC) - EPOCH).total_seconds())
    after = int((end.astimezone(UTC) - EPOCH).total_seconds())
    seconds = encoder.facts[name].value
    local = encoder.local_days[name].day
    inside = z3.And(seconds >= first, seconds < after)
    return z3.And(z3.Implies(inside, local == day), z3.Implies(local == day, inside))


def _decimal(value: Any) -> Decimal | None:
    """A z3 rational as an exact Decimal; None when it has no finite decimal form."""
    fraction = Fraction(value.numerator_as_long(), value.denominator_as_long())
    denominator = fraction.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return None
    places = 0
    while (fraction * 10**places).denominator != 1:
        places += 1
    return Decimal(int(fraction * 10**places)).scaleb(-places)


def _json(value: FactValue) -> Any:
    if isinstance(value, Money):
        return {"value": str(value.value), "currency": value.currency}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
