"""Compiling `subject to LAW-ID` and its `where` mappings: how our facts answer each fact of the
law beneath the terms (a mixin of compile._Compiler, which compiles the conditions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from policycheck.evaluation import closures
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language import nodes
from policycheck.language.symbols import Symbols


@dataclass(frozen=True, slots=True)
class LawAnswer:
    """How our facts answer one fact of a law beneath the terms (`where`), compiled."""

    name: str  # the law's fact
    get: Callable[[Ctx], Any]  # its value from our request (None: unknown)
    facts: tuple[str, ...]  # our facts it reads: what to ask when the law's answer waits on it
    constant: bool = False  # the same value for every request: `value` (None for `unknown`)
    value: Any = None


@dataclass(frozen=True, slots=True)
class CompiledLaw:
    """`subject to LAW-ID` with its `where` answers (facts of the same name: evaluation.layers)."""

    decl: nodes.LawRef
    answers: tuple[LawAnswer, ...]


class LawCompiler:
    """`answer` and `value_table`; the compiler gives `symbols` and `expr`."""

    symbols: Symbols

    def expr(self, expr: nodes.Expr) -> Node:
        raise NotImplementedError  # compile._Compiler.expr

    def answer(self, mapping: nodes.LawMapping) -> LawAnswer:
        """`where LAW-FACT = ...`: one of our facts, a value, a condition, cases or unknown."""
        name, expr = mapping.target.name, mapping.expr
        if mapping.cases:
            table = self.value_table(mapping.cases)
            if table is not None:  # each case one of our enum's values: looked up, not tested
                ours, values = table
                lookup: dict[Any, str] = dict(values)
                return LawAnswer(name, lambda ctx: lookup.get(ctx.facts.get(ours)), (ours,))
            cases = tuple((case.value, self.expr(case.expr)) for case in mapping.cases)
            facts = tuple(dict.fromkeys(f for _, node in cases for f in node.facts))
            return LawAnswer(name, closures.first_case(cases), facts)
        if expr is None:  # `= unknown`
            return LawAnswer(name, lambda ctx: None, (), constant=True)
        if isinstance(expr, nodes.Literal):
            value = expr.value
            return LawAnswer(name, lambda ctx: value, (), constant=True, value=value)
        if isinstance(expr, nodes.Ref) and expr.name not in self.symbols.groups:
            ours = expr.name
            if ours in self.symbols.facts:
                return LawAnswer(name, lambda ctx: ctx.facts.get(ours), (ours,))
            # a value of the law's enum
            return LawAnswer(name, lambda ctx: ours, (), constant=True, value=ours)
        node = self.expr(expr)
        return LawAnswer(name, node.fn, node.facts)

    def value_table(
        self, cases: tuple[nodes.MappingCase, ...]
    ) -> tuple[str, dict[str, str]] | None:
        """`withdrawal when request.kind = cancellation, other when request.kind in [return,
        refund]` as {cancellation: withdrawal, return: other, refund: other} when every case
        tests one enum fact of ours against values (the first case naming a value wins, as
        when the cases are tested in turn); None otherwise."""
        fact: str | None = None
        table: dict[str, str] = {}
        for case in cases:
            expr = case.expr
            values: tuple[nodes.Expr, ...]
            if isinstance(expr, nodes.Compare) and expr.op == "=":
                subject, values = expr.left, (expr.right,)
            elif isinstance(expr, nodes.Member):
                subject, values = expr.operand, expr.values
            else:
                return None
            declared = (
                self.symbols.facts.get(subject.name) if isinstance(subject, nodes.Ref) else None
            )
            if (
                declared is None
                or declared.type.kind != "enum"
                or fact not in (None, declared.name)
            ):
                return None
            fact = declared.name
            for value in values:
                if not isinstance(value, nodes.Ref) or value.name not in declared.type.values:
                    return None
                table.setdefault(value.name, case.value)
        return (fact, table) if fact is not None else None
