"""Every expression of a rule file, and every part of one: what the analysis reads."""

from __future__ import annotations

from policycheck.language import nodes
from policycheck.language.nesting import operands


def every_expr(rule_file: nodes.RuleFile) -> list[nodes.Expr]:
    """Every condition and amount of a rule file: its groups', clauses' (scopes, rules,
    requirements, fees and remedies) and laws' mappings'."""
    exprs: list[nodes.Expr] = [g.expr for g in rule_file.groups]
    for clause in rule_file.clauses:
        if clause.scope and clause.scope.group:
            exprs.append(clause.scope.group)
        exprs += [r.expr for r in clause.rules] + list(clause.requirements)
        exprs += settlement_exprs(clause)
    for law in rule_file.laws:
        for mapping in law.mappings:
            exprs += [case.expr for case in mapping.cases]
            exprs += [mapping.expr] if mapping.expr is not None else []
    return exprs


def settlement_exprs(clause: nodes.ClauseDecl) -> list[nodes.Expr]:
    """The amounts and conditions of a clause's fees and remedies."""
    found: list[nodes.Expr | None] = [fee.amount for fee in clause.charges]
    found += [fee.when for fee in clause.charges]
    found += [part for r in clause.remedies for part in (r.amount, r.when)]
    return [expr for expr in found if expr is not None]


def parts(expr: nodes.Expr) -> list[nodes.Expr]:
    """`expr` and every expression inside it, a list's values included
    (language.nesting.operands)."""
    found, stack = [], [expr]
    while stack:
        part = stack.pop()
        found.append(part)
        stack.extend(operands(part))
        if isinstance(part, nodes.Member):
            stack.extend(part.values)
    return found
