"""Parse tree -> AST for last days and windows of days: `on or before` a date, a period or a
day of a year, `the later of` / `the earlier of` two of them, `between 1 november and 24
december` (a mixin of build._Builder, which gives `_file` and `diagnostics`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from policycheck.language import nodes
from policycheck.language.dates import read_date, read_day_of_year, token_span
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.source import Source, Span


def _span(meta: Meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


@v_args(meta=True)
class DateLimitBuilder(Transformer[Token, Any]):
    """The transformer methods of the grammar rules of last days and windows."""

    _file: Source
    diagnostics: list[Diagnostic]

    def on_or_before(self, meta: Meta, children: list[Any]) -> nodes.OnOrBefore:
        return nodes.OnOrBefore(children[0], (children[1],), True, _span(meta))

    def on_or_before_later(self, meta: Meta, children: list[Any]) -> nodes.OnOrBefore:
        return nodes.OnOrBefore(children[0], tuple(children[1:]), True, _span(meta))

    def on_or_before_earlier(self, meta: Meta, children: list[Any]) -> nodes.OnOrBefore:
        return nodes.OnOrBefore(children[0], tuple(children[1:]), False, _span(meta))

    def between(self, meta: Meta, children: list[Any]) -> nodes.Between:
        return nodes.Between(children[0], children[1], children[2], _span(meta))

    def conditional_limit(self, meta: Meta, children: list[Any]) -> nodes.Limit:
        limit, condition = children
        conditional: nodes.Limit = dataclasses.replace(limit, condition=condition)
        return conditional

    def date_limit(self, meta: Meta, children: list[Token]) -> nodes.FixedLimit:
        return nodes.FixedLimit(read_date(children[0], self._file, self.diagnostics), _span(meta))

    def period_limit(self, meta: Meta, children: list[Any]) -> nodes.PeriodLimit:
        count, unit, direction, anchor = children
        return nodes.PeriodLimit(
            int(count),
            str(unit),
            token_span(unit),
            direction.type == "BEFORE",
            anchor,
            _span(meta),
            token_span(count),
        )

    def yearly_limit(self, meta: Meta, children: list[Any]) -> nodes.YearlyLimit:
        day, *after, anchor = children
        return nodes.YearlyLimit(day, 1 if after else 0, anchor, _span(meta))

    def day_of_year(self, meta: Meta, children: list[Token]) -> nodes.DayOfYear:
        day, month = read_day_of_year(children[0], children[1], self._file, self.diagnostics)
        written = "" if month else str(children[1])
        return nodes.DayOfYear(day, month, _span(meta), written)
