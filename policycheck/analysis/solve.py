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
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from policycheck.analysis import periods
from policycheck.analysis.encode import Encoder
from policycheck.analysis.periods import Opaque
from policycheck.analysis.terms import EPOCH, FactTerm, constant, from_number
from policycheck.evaluation.examples import request_json
from policycheck.evaluation.explain import show
from policycheck.evaluation.facts import FactValue
from policycheck.evaluation.runtime import Node
from policycheck.language.money import Money

MAX_ROUNDS = 64  # evaluator checks of one question before it is `unknown`
RECENT = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, 23, 59, tzinfo=UTC))


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
        return request_json(self.facts)


@dataclass
class Result:
    answer: Answer
    request: Request | None = None
    model: Any = None  # the z3 model of a found request
    why: str = ""  # for `unknown`: what ran out


@dataclass(frozen=True)
class _Search:
    """One question: its goal, the literal that switches it on, the conditions whose periods
    are checked, and when its time runs out."""

    goal: Any
    selector: Any
    checked: list[Opaque]
    deadline: float
    limit: int  # ms, as said in `unknown`


@dataclass
class Prover:
    """One solver for a policy's questions; lemmas about the calendar are kept across them."""

    encoder: Encoder
    timeout_ms: int
    solver: Any = None  # z3.Solver in the encoder's context
    questions: int = 0
    lemmas: int = 0

    def __post_init__(self) -> None:
        self._goals = 0
        self.solver = z3.Solver(ctx=self.encoder.ctx)

    def holds(self, model: Any, term: Any) -> bool:
        """Whether `term` is true in `model`."""
        return bool(z3.is_true(model.eval(term, model_completion=True)))

    def find(
        self, goal: Any, budget_ms: int | None = None, reads: list[Node] | None = None
    ) -> Result:
        """A request satisfying `goal`, a proof that there is none, or unknown. `reads`: the
        conditions the goal is made of (None: any), whose periods are checked."""
        checked = (
            list(self.encoder.opaque.values()) if reads is None else self.encoder.opaques_in(reads)
        )
        self.questions += 1
        self._background()
        self._goals += 1
        selector = z3.Bool(f"goal {self._goals}", self.encoder.ctx)
        self.solver.add(z3.Implies(selector, goal))
        limit = budget_ms if budget_ms is not None else self.timeout_ms
        deadline = time.monotonic() + limit / 1000
        try:
            search = _Search(goal, selector, checked, deadline, limit)
            found = self._search(search, [self._recent()])
            if found.answer is Answer.FOUND:
                return found
            return self._search(search, [])
        finally:
            self.solver.add(z3.Not(selector))  # this goal is never asked again

    def _recent(self) -> Any:
        """Dates and instants between 2024 and 2027: a request is tried there first, so that
        the examples read like real ones (a proof is over every supported year)."""
        found = []
        for term in self.encoder.facts.values():
            if term.kind in ("date", "datetime"):
                ends = RECENT if term.kind == "datetime" else tuple(t.date() for t in RECENT)
                first = constant(term, ends[0], self.encoder.index_of)
                last = constant(term, ends[1], self.encoder.index_of)
                found.append(
                    z3.Implies(
                        term.known,
                        z3.And(term.value >= first, term.value <= last, self.encoder.ctx),
                    )
                )
        return z3.And(found, self.encoder.ctx)

    def _search(self, search: _Search, prefer: list[Any]) -> Result:
        """The request, the proof or `unknown`, the solver's models checked by the evaluator;
        `prefer`: assumptions tried (dropped by the caller when they leave no request)."""
        goal, selector, limit = search.goal, search.selector, search.limit
        deadline = search.deadline
        pins: list[Any] = []  # the anchors of the last request: tried again once refined
        for _ in range(MAX_ROUNDS):
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0:
                return Result(Answer.UNKNOWN, why=f"time limit ({limit} ms)")
            self.solver.set("timeout", left)
            verdict = self.solver.check(selector, *prefer, *pins)
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
            model = self._snap(self.solver.model(), [selector, *prefer, *pins], left)
            if model is None:
                return Result(Answer.UNKNOWN, why="no amount with a finite decimal found")
            request = self.request(model)
            learnt = self._refine(model, request, goal, search.checked)
            if learnt is not None:
                pins = self._pins(request, learnt)
                continue
            return Result(Answer.FOUND, request, model)
        return Result(Answer.UNKNOWN, why=f"{MAX_ROUNDS} tries of the calendar")

    def _background(self) -> None:
        for constraint in self.encoder.background():
            self.solver.add(constraint)

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
            return bool(z3.is_true(found))
        if term.kind in ("number", "money"):
            amount = _decimal(found)
            assert amount is not None, "snapped before"
            return Money(term.currency, amount) if term.currency else amount
        number = found.as_long()
        if term.kind in ("date", "datetime"):
            return from_number(term.kind, number)
        return self.encoder.text_of(term.name, number)

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
                == z3.RealVal(
                    str(round(Decimal(fraction.numerator) / fraction.denominator, 6)),
                    self.encoder.ctx,
                )
            )
        self.solver.set("timeout", max(1, left_ms))
        if self.solver.check(*assumptions, *pins) != z3.sat:
            return None
        return self.solver.model()

    # -- checking the model with the evaluator ---------------------------------------------------

    def _refine(
        self, model: Any, request: Request, goal: Any, checked: list[Opaque]
    ) -> list[Opaque] | None:
        """Whether the request really satisfies `goal`, with the evaluator's value of every
        period and local day the solver chose; when not, what the evaluator said of those the
        model got wrong becomes a lemma. The conditions learnt about (None: the request
        satisfies the goal)."""
        pairs: list[tuple[Any, Any]] = []
        wrong_days: list[tuple[str, int]] = []
        for name, local in self.encoder.local_days.items():
            value = request.facts.get(name)
            if not isinstance(value, datetime):
                continue
            real_day = value.astimezone(self.encoder.policy.tz).date().toordinal()
            pairs.append((local, z3.IntVal(real_day, self.encoder.ctx)))
            if model.eval(local, model_completion=True).as_long() != real_day:
                wrong_days.append((name, real_day))
        wrong: list[tuple[Opaque, Any]] = []
        for opaque in checked:
            real = periods.evaluate(self.encoder, opaque.node, request.facts)
            true, false = real is True, real is False
            chosen = (self.holds(model, opaque.tri.true), self.holds(model, opaque.tri.false))
            if real == periods.INVALID or chosen != (true, false):
                wrong.append((opaque, real))
            if chosen[0] != true:
                pairs.append((opaque.tri.true, z3.BoolVal(true, self.encoder.ctx)))
            if chosen[1] != false:
                pairs.append((opaque.tri.false, z3.BoolVal(false, self.encoder.ctx)))
        if not wrong and not wrong_days:
            return None
        invalid = any(real == periods.INVALID for _, real in wrong)
        if not invalid and self.holds(model, z3.substitute(goal, *pairs)):
            return None  # what the model got wrong does not matter to the goal
        for name, real_day in wrong_days:
            self.solver.add(_same_local_day(self.encoder, name, real_day))
        for opaque, real in wrong:
            self.solver.add(periods.lemma(self.encoder, opaque, request.facts, real))
        self.lemmas += len(wrong) + len(wrong_days)
        return [opaque for opaque, _ in wrong]

    def _pins(self, request: Request, learnt: list[Opaque]) -> list[Any]:
        """The request's values of what the periods just learnt are counted from (anchors,
        regions), unless another period decides them: with the lemmas learnt there, the solver
        often finds the request date it needs at once."""
        subjects = {o.subject for o in self.encoder.opaque.values() if o.subject}
        names = {name for opaque in learnt for name in opaque.others if name not in subjects}
        return [periods.equal(self.encoder, name, request.facts) for name in sorted(names)]


def _same_local_day(encoder: Encoder, name: str, day: int) -> Any:
    """The instants whose local day (in the policy's zone) is `day`, and only they, have it."""
    tz = encoder.policy.tz
    start = datetime.combine(date.fromordinal(day), datetime.min.time(), tz)
    end = datetime.combine(date.fromordinal(day + 1), datetime.min.time(), tz)
    first = int((start.astimezone(UTC) - EPOCH).total_seconds())
    after = int((end.astimezone(UTC) - EPOCH).total_seconds())
    seconds = encoder.facts[name].value
    local = encoder.local_days[name]
    inside = z3.And(seconds >= first, seconds < after, encoder.ctx)
    return z3.And(z3.Implies(inside, local == day), z3.Implies(local == day, inside), encoder.ctx)


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
