"""Amounts of money: an exact decimal and an ISO 4217 currency (Babel's list and minor units).

Amounts are computed exactly; a remedy or a fee is rounded once, at the end, to its currency's
minor unit, half up (199.805 USD -> 199.81 USD). `€` and `£` stand for EUR and GBP; `$` is
ambiguous (USD, CAD, AUD...) and never accepted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies

SYMBOLS = {"€": "EUR", "£": "GBP"}


class CurrencyError(ValueError):
    """An amount in a currency ISO 4217 does not know, or in two currencies at once."""


@functools.cache
def _codes() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency code."""
    return code in _codes()


def currency_code(written: str) -> str:
    """`USD` for `USD`, `EUR` for `€`; CurrencyError for a code ISO 4217 does not have."""
    code = SYMBOLS.get(written, written)
    if code not in _codes():
        raise CurrencyError(f"`{written}` is not an ISO 4217 currency (USD, EUR, GBP, JPY...)")
    return code


@functools.cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of a currency: 0.01 for USD, 1 for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in a currency; amounts in two currencies are never added or compared."""

    currency: str
    value: Decimal

    def same_currency(self, other: Money) -> Money:
        """`other`, if it is in this currency; CurrencyError otherwise."""
        if other.currency != self.currency:
            raise CurrencyError(f"{other} is not in {self.currency}")
        return other

    def __lt__(self, other: Money) -> bool:
        return self.value < self.same_currency(other).value

    def __le__(self, other: Money) -> bool:
        return self.value <= self.same_currency(other).value

    def __gt__(self, other: Money) -> bool:
        return self.value > self.same_currency(other).value

    def __ge__(self, other: Money) -> bool:
        return self.value >= self.same_currency(other).value

    def rounded(self) -> Money:
        """Rounded half up to the currency's minor unit."""
        return Money(self.currency, self.value.quantize(minor_unit(self.currency), ROUND_HALF_UP))

    def to_json(self) -> dict[str, str]:
        """`{"value": "169.83", "currency": "USD"}`: a decimal string, never a float."""
        return {"value": str(self.value), "currency": self.currency}

    def words(self, language: str = "en") -> str:
        """`$169.83` in English, `169,83 $US` in French."""
        return str(format_currency(self.value, self.currency, locale=language))

    def __str__(self) -> str:
        return f"{self.value} {self.currency}"
