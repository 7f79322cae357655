"""Parse tree -> AST for amounts: money facts (`money USD`), amounts and percentages, arithmetic,
`fee` and `remedy` lines and the examples' `expect remedy` / `expect fee` (a mixin of
build._Builder, which gives `_file` and `diagnostics`)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from policycheck.language import nodes
from policycheck.language.dates import token_span
from policycheck.language.diagnostics import Diagnostic, error
from policycheck.language.money import CurrencyError, Money, currency_code
from policycheck.language.nodes import MULTIPLICATION
from policycheck.language.source import Source, Span

_ESCAPE = re.compile(r"\\(.)")


def _span(meta: Meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def text_of(token: Token) -> str:
    """The text of a STRING token: its quotes removed, its escapes read."""
    return _ESCAPE.sub(r"\1", str(token)[1:-1])


@v_args(meta=True)
class MoneyBuilder(Transformer[Token, Any]):
    """The transformer methods of the grammar rules of amounts, fees and remedies."""

    _file: Source
    diagnostics: list[Diagnostic]

    def simple_type(self, meta: Meta, children: list[Token]) -> nodes.FactType:
        if len(children) == 1:
            return nodes.FactType(str(children[0]))
        kind, written = children
        if str(kind) != "money":
            self.diagnostics.append(
                error(
                    "PC330",
                    f"a currency is for money, not for `{kind}`",
                    token_span(written),
                    self._file,
                    note="a currency",
                    help=f"remove `{written}`, or declare the fact as `money {written}`",
                )
            )
            return nodes.FactType(str(kind))
        return nodes.FactType("money", currency=self._currency(written) or str(written))

    def _currency(self, written: Token) -> str | None:
        """The ISO 4217 code of `USD` or `€`; a located PC330 (and None) for any other."""
        try:
            return currency_code(str(written))
        except CurrencyError as problem:
            self.diagnostics.append(
                error(
                    "PC330",
                    f"unknown currency `{written}`",
                    token_span(written),
                    self._file,
                    note=str(problem).split(" (")[0].replace(f"`{written}` ", ""),
                    help="write an ISO 4217 code such as USD, EUR, GBP or JPY, or € or £",
                )
            )
            return None

    def fee(self, meta: Meta, children: list[Any]) -> tuple[str, list[nodes.Fee]]:
        label, amount, *when = children
        fee = nodes.Fee(text_of(label), amount, _span(meta), when[0][1] if when else None)
        return ("charges", [fee])

    def remedy(self, meta: Meta, children: list[Any]) -> tuple[str, list[nodes.Remedy]]:
        kind, *rest = children
        parts: dict[str, Any] = dict(part for part in rest if isinstance(part, tuple))
        text = next((text_of(part) for part in rest if isinstance(part, Token)), None)
        remedy = nodes.Remedy(str(kind), _span(meta), parts.get("of"), text, parts.get("when"))
        return ("remedies", [remedy])

    def remedy_amount(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return ("of", children[0])

    def only_when(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return ("when", children[0])

    def expect_remedy(self, meta: Meta, children: list[Any]) -> nodes.Expectation:
        amount = _amount(children[1:])
        return nodes.Expectation(
            "remedy",
            _span(meta),
            kind_name=str(children[0]),
            amount=amount,
            amount_given=len(children) > 1 or _written_none(meta, self._file),
        )

    def expect_fee(self, meta: Meta, children: list[Any]) -> nodes.Expectation:
        return nodes.Expectation(
            "fee",
            _span(meta),
            label=text_of(children[0]),
            amount=_amount(children[1:]),
            amount_given=True,
        )

    def expect_no_fees(self, meta: Meta, children: list[Any]) -> nodes.Expectation:
        return nodes.Expectation("no_fees", _span(meta))

    def percent(self, meta: Meta, children: list[Token]) -> nodes.Literal:
        return nodes.Literal(Decimal(str(children[0])[:-1]).scaleb(-2), _span(meta), percent=True)

    def amount(self, meta: Meta, children: list[Token]) -> nodes.Literal:
        number, written = children
        # an unknown currency is reported (PC330) and kept as written, to check the rest as money
        currency = self._currency(written) or str(written)
        return nodes.Literal(Money(currency, Decimal(str(number))), _span(meta))

    def arith(self, meta: Meta, children: list[Any]) -> nodes.Arith:
        left, op, right = children
        sign = "*" if str(op) == MULTIPLICATION else str(op)
        return nodes.Arith(left, sign, right, _span(meta), token_span(op))

    def percent_of(self, meta: Meta, children: list[Any]) -> nodes.Arith:
        rate = self.percent(meta, [children[0]])
        rate = nodes.Literal(rate.value, token_span(children[0]), percent=True)
        return nodes.Arith(rate, "of", children[1], _span(meta))

    def minimum(self, meta: Meta, children: list[Any]) -> nodes.Extreme:
        return nodes.Extreme("min", tuple(children), _span(meta))

    def maximum(self, meta: Meta, children: list[Any]) -> nodes.Extreme:
        return nodes.Extreme("max", tuple(children), _span(meta))

    def fees_total(self, meta: Meta, children: list[Any]) -> nodes.FeesTotal:
        return nodes.FeesTotal(_span(meta))


def _amount(children: list[Any]) -> Money | None:
    """The amount of `expect remedy KIND AMOUNT` / `expect fee "label" AMOUNT` (None: `none`)."""
    found = children[0] if children else None
    if isinstance(found, nodes.Literal) and isinstance(found.value, Money):
        return found.value
    return None


def _written_none(meta: Meta, source: Source) -> bool:
    """Whether `expect remedy KIND none` was written (`none` leaves no child in the tree)."""
    return source.excerpt(_span(meta)).rstrip().endswith("none")
