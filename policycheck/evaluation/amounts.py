"""Amounts computed per request: arithmetic on numbers and money, a clause's fees and remedy.

Arithmetic is exact (decimals); an unknown operand makes the result unknown. A fee or a remedy
is rounded once, at the end, to its currency's minor unit, half up (language.money).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from policycheck.evaluation.facts import FactProblem, FactsError
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language.money import Money

Getter = Callable[[Ctx], Any]
Amount = Decimal | Money


def _add(a: Amount, b: Amount) -> Amount:
    if isinstance(a, Money) and isinstance(b, Money):
        return Money(a.currency, a.value + a.same_currency(b).value)
    assert isinstance(a, Decimal)
    assert isinstance(b, Decimal)
    return a + b


def _subtract(a: Amount, b: Amount) -> Amount:
    if isinstance(a, Money) and isinstance(b, Money):
        return Money(a.currency, a.value - a.same_currency(b).value)
    assert isinstance(a, Decimal)
    assert isinstance(b, Decimal)
    return a - b


def _multiply(a: Amount, b: Amount) -> Amount:
    if isinstance(a, Money):
        assert isinstance(b, Decimal)
        return Money(a.currency, a.value * b)
    if isinstance(b, Money):
        return Money(b.currency, a * b.value)
    return a * b


def _divide(a: Amount, b: Amount) -> Amount:
    if isinstance(a, Money) and isinstance(b, Money):
        return a.value / a.same_currency(b).value
    assert isinstance(b, Decimal)
    return Money(a.currency, a.value / b) if isinstance(a, Money) else a / b


_OPERATIONS: dict[str, Callable[[Amount, Amount], Amount]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "of": _multiply,
    "/": _divide,
}


def _is_zero(value: Amount) -> bool:
    return (value.value if isinstance(value, Money) else value) == 0


def arithmetic(op: str, left: Getter, right: Getter, divisor: tuple[str, ...]) -> Getter:
    """`left op right`; unknown when either is. A division by a fact that is zero is PC509,
    naming the facts of the divisor (the request, not the rule file, is wrong)."""
    operation = _OPERATIONS[op]

    def value(ctx: Ctx) -> Amount | None:
        a = left(ctx)
        if a is None:
            return None
        b = right(ctx)
        if b is None:
            return None
        if op == "/" and _is_zero(b):
            names = ", ".join(f"`{name}`" for name in divisor) or "an amount"
            message = f"{names} is zero, and the policy divides by it"
            raise FactsError([FactProblem("PC509", divisor[0] if divisor else "", message)])
        return operation(a, b)

    return value


def extreme(name: str, items: tuple[Getter, ...]) -> Getter:
    """`min(...)` / `max(...)`: unknown when any item is."""
    pick = min if name == "min" else max

    def value(ctx: Ctx) -> Amount | None:
        found = [item(ctx) for item in items]
        if any(v is None for v in found):
            return None
        return pick(found, key=lambda v: v.value if isinstance(v, Money) else v)  # type: ignore[no-any-return]

    return value


# -- fees and remedies ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeeOut:
    """A fee of a decision: its label and amount (None: not computed, or unknown)."""

    label: str
    amount: Money | None

    def to_dict(self) -> dict[str, Any]:
        """`{"label", "amount": {"value", "currency"} | null}`."""
        return {"label": self.label, "amount": self.amount.to_json() if self.amount else None}


@dataclass(frozen=True, slots=True)
class RemedyOut:
    """What the customer gets: a kind (refund, store_credit...), an amount, the clause's text."""

    kind: str
    amount: Money | None
    text: str | None

    def to_dict(self) -> dict[str, Any]:
        """`{"kind", "amount": {"value", "currency"} | null, "text"}`."""
        return {
            "kind": self.kind,
            "amount": self.amount.to_json() if self.amount else None,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class CompiledFee:
    """`fee "label" AMOUNT [when ...]`, compiled (`amount` None: a fee said, not computed)."""

    label: str
    amount: Getter | None
    when: Node | None = None


@dataclass(frozen=True, slots=True)
class CompiledRemedy:
    """`remedy KIND [of AMOUNT] ["text"] [when ...]`, compiled."""

    kind: str
    text: str | None
    amount: Getter | None
    when: Node | None = None


def rounded(value: Any) -> Money | None:
    """A computed amount as reported: money rounded to its minor unit; None if unknown."""
    return value.rounded() if isinstance(value, Money) else None


def fees_due(
    fees: tuple[CompiledFee, ...], ctx: Ctx, currency: str | None
) -> tuple[tuple[FeeOut, ...], Money | None]:
    """The fees of an allowed request, each whose condition holds or is unknown (its amount
    then unknown), rounded; and their total, what `fees` is in a remedy (unknown when a
    computed fee is; zero when none is due)."""
    due: list[FeeOut] = []
    amounts: list[Money | None] = []
    for fee in fees:
        holds = fee.when.fn(ctx) if fee.when is not None else True
        if holds is False:
            continue
        amount = rounded(fee.amount(ctx)) if fee.amount is not None and holds else None
        due.append(FeeOut(fee.label, amount))
        if fee.amount is not None:
            amounts.append(amount)
    if any(a is None for a in amounts) or currency is None:
        return tuple(due), None
    sum_ = sum((a.value for a in amounts if a is not None), Decimal(0))
    return tuple(due), Money(currency, sum_)


def fixed_settlement(
    fees: tuple[CompiledFee, ...], remedies: tuple[CompiledRemedy, ...]
) -> dict[str, Any] | None:
    """A clause's fees and remedy when nothing in them is computed or conditional: the same
    for every request, made once (None when a request's facts change them)."""
    if any(f.amount is not None or f.when is not None for f in fees):
        return None
    if any(r.amount is not None or r.when is not None for r in remedies):
        return None
    remedy = RemedyOut(remedies[0].kind, None, remedies[0].text) if remedies else None
    settled = tuple(FeeOut(f.label, None) for f in fees)
    return {"fees": settled, "remedy": remedy, "remedy_branch": 0 if remedies else -1}


def remedy_due(remedies: tuple[CompiledRemedy, ...], ctx: Ctx) -> tuple[RemedyOut | None, int]:
    """The first remedy whose condition holds, with its index (for coverage); (None, -1) when
    an earlier condition is unknown, or none holds."""
    for index, remedy in enumerate(remedies):
        holds = remedy.when.fn(ctx) if remedy.when is not None else True
        if holds is None:
            return None, -1
        if holds:
            amount = rounded(remedy.amount(ctx)) if remedy.amount is not None else None
            return RemedyOut(remedy.kind, amount, remedy.text), index
    return None, -1
