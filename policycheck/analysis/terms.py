"""The solver's view of a request: the terms of a fact and of a three-valued condition, and the
ranges of dates and instants the analysis ranges over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import z3

from policycheck.calendar import MAX_YEAR, MIN_YEAR
from policycheck.evaluation.compile import CompiledPolicy
from policycheck.evaluation.facts import FactValue
from policycheck.language.money import Money

FIRST_DAY = date(MIN_YEAR + 1, 1, 1)  # the earliest date the analysis tries
LAST_DAY = date(MAX_YEAR - 1, 12, 31)  # the latest: a period from either stays in range
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class FactTerm:
    """A fact as the solver sees it: whether it is known, and its value."""

    name: str
    kind: str  # enum, bool, text, date, datetime, number, money
    known: Any  # z3 Bool
    value: Any  # z3 Int (enum, text, date, datetime), Bool or Real (number, money)
    currency: str | None = None

    def canonical(self) -> Any:
        """Its value when known, a fixed one when not: what a period's last day is a
        function of (an unknown fact's value says nothing)."""
        default = {
            "bool": z3.BoolVal(False, self.value.ctx),
            "number": z3.RealVal(0, self.value.ctx),
            "money": z3.RealVal(0, self.value.ctx),
        }
        return z3.If(self.known, self.value, default.get(self.kind, z3.IntVal(0, self.value.ctx)))


class Terms(Protocol):
    """What a period's terms are made from (`encode.Encoder`)."""

    policy: CompiledPolicy
    ctx: Any  # the z3 context of the analysis
    facts: dict[str, FactTerm]

    def index_of(self, text: str) -> int: ...


@dataclass(frozen=True)
class Tri:
    """A condition's value: `true` and `false` (z3 Booleans); neither is unknown."""

    true: Any
    false: Any

    @property
    def unknown(self) -> Any:
        return z3.And(z3.Not(self.true), z3.Not(self.false))

    def negate(self) -> Tri:
        return Tri(self.false, self.true)


def span_of(kind: str) -> tuple[int, int]:
    """The day numbers (dates) or seconds since 1970 (date-times) the analysis ranges over."""
    if kind == "date":
        return FIRST_DAY.toordinal(), LAST_DAY.toordinal()
    first = int((datetime.combine(FIRST_DAY, datetime.min.time(), UTC) - EPOCH).total_seconds())
    return first, first + (LAST_DAY.toordinal() - FIRST_DAY.toordinal() + 1) * DAY_SECONDS - 1


def from_number(kind: str, number: int) -> date | datetime:
    """A date or an instant from its number (`span_of`)."""
    if kind == "date":
        return date.fromordinal(number)
    return EPOCH + timedelta(seconds=number)


def constant(term: FactTerm, value: FactValue, text_index: Callable[[str], int]) -> Any:
    """A fact's value as a z3 constant of its term's sort."""
    if term.kind == "bool":
        return z3.BoolVal(bool(value), term.value.ctx)
    if isinstance(value, Money):
        return z3.RealVal(str(value.value), term.value.ctx)
    if isinstance(value, Decimal):
        return z3.RealVal(str(value), term.value.ctx)
    if isinstance(value, datetime):
        return z3.IntVal(int((value - EPOCH).total_seconds()), term.value.ctx)
    if isinstance(value, date):
        return z3.IntVal(value.toordinal(), term.value.ctx)
    assert isinstance(value, str)
    return z3.IntVal(text_index(value), term.value.ctx)
