"""Parse tree -> AST for the law beneath the terms: `statute`, `subject to LAW-ID` and its
`where` mappings, `expect layer` and `expect terms` (a mixin of build._Builder)."""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from policycheck.language import nodes
from policycheck.language.dates import token_span
from policycheck.language.source import Span


def _span(meta: Meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


@v_args(meta=True)
class LawBuilder(Transformer[Token, Any]):
    """The transformer methods of the law layer's grammar rules."""

    def statute(self, meta: Meta, children: list[Token]) -> tuple[str, bool]:
        return ("statute", True)

    def law(self, meta: Meta, children: list[Any]) -> nodes.LawRef:
        law_id, *mappings = children
        return nodes.LawRef(str(law_id), token_span(law_id), tuple(mappings))

    def law_mapping(self, meta: Meta, children: list[Any]) -> nodes.LawMapping:
        target, _, (kind, value) = children
        span = _span(meta)
        if kind == "expr":
            return nodes.LawMapping(target, span, expr=value)
        if kind == "cases":
            return nodes.LawMapping(target, span, cases=tuple(value))
        return nodes.LawMapping(target, span, unknown=True)

    def mapped_expr(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return ("expr", children[0])

    def mapped_cases(self, meta: Meta, children: list[nodes.MappingCase]) -> tuple[str, Any]:
        return ("cases", children)

    def mapped_unknown(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return ("unknown", None)

    def mapping_case(self, meta: Meta, children: list[Any]) -> nodes.MappingCase:
        value, expr = children
        return nodes.MappingCase(str(value), token_span(value), expr)

    def expect_layer(self, meta: Meta, children: list[Token]) -> nodes.Expectation:
        return nodes.Expectation("layer", _span(meta), layer=str(children[0]))

    def expect_terms(self, meta: Meta, children: list[Token]) -> nodes.Expectation:
        clause = nodes.Ref(str(children[1]), token_span(children[1])) if len(children) > 1 else None
        return nodes.Expectation("terms", _span(meta), outcome=str(children[0]), clause=clause)
