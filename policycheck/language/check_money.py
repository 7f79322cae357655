"""Checks of amounts: arithmetic on numbers and money, fees and remedies, one currency (PC33x)."""

from __future__ import annotations

from decimal import Decimal

from policycheck.language import nodes
from policycheck.language.check_expr import ExprChecker
from policycheck.language.diagnostics import Label
from policycheck.language.money import Money, is_currency
from policycheck.language.nesting import operands
from policycheck.language.source import Span
from policycheck.language.symbols import DATES, Type

_AMOUNTS = frozenset({"number", "money"})
_OP_WORDS = {
    "+": "add",
    "-": "subtract",
    "*": "multiply",
    "/": "divide",
    "of": "take a percentage of",
}


class MoneyChecker(ExprChecker):
    """Arithmetic, computed fees and remedies, and the file's one currency."""

    in_remedy = False  # `fees` (the clause's fees) may be used in a remedy's amount only

    def arithmetic(self, expr: nodes.Expr) -> Type | None:
        """The type of `a + b`, `15% of x`, `min(...)`, `fees`, after checking it."""
        if isinstance(expr, nodes.FeesTotal):
            if not self.in_remedy:
                self.report(
                    "PC334",
                    "`fees` is the total of a clause's fees, used in a remedy",
                    expr.span,
                    note="not in a remedy",
                    help="use it in `remedy KIND of AMOUNT`, e.g. `of product.price - fees`",
                )
                return None
            return Type("money")
        if isinstance(expr, nodes.Extreme):
            return self.extreme(expr)
        assert isinstance(expr, nodes.Arith)
        left, right = self.expr(expr.left), self.expr(expr.right)
        if left is None or right is None:
            return None
        result = _result(expr.op, left, right)
        if result is None:
            self.not_arithmetic(expr, left, right)
            return None
        if expr.op == "/" and _zero(expr.right):
            self.report(
                "PC333",
                "division by zero",
                expr.right.span,
                note="zero",
                help="divide by a number other than 0",
            )
        return result

    def not_arithmetic(self, expr: nodes.Arith, left: Type, right: Type) -> None:
        """PC331: an operation that does not apply to these types, with what to write instead."""
        verb = _OP_WORDS[expr.op]
        dated = next((t for t in (left, right) if t.kind in DATES), None)
        if dated is not None:
            help = "count a period from a date with `within N UNIT after|before DATE`"
        elif expr.op in ("+", "-") and {left.kind, right.kind} == _AMOUNTS:
            help = "write an amount with its currency, e.g. `10 USD`"
        elif expr.op == "*":
            help = "multiply an amount by a number or a percentage, e.g. `15% of product.price`"
        else:
            help = "arithmetic applies to numbers and amounts of money"
        bad = expr.right if _plain(left) else expr.left
        found = right if _plain(left) else left
        if expr.op == "of":
            message = f"cannot take a percentage of {right.words()}"
        elif expr.op in ("+", "-"):
            message = f"cannot {verb} {right.words()} {_joiner(expr.op)} {left.words()}"
        else:
            message = f"cannot {verb} {left.words()} by {right.words()}"
        self.report(
            "PC331",
            message,
            bad.span,
            note=found.words(),
            labels=(Label(expr.span, "in this arithmetic"),) if bad.span != expr.span else (),
            help=help,
        )

    def extreme(self, expr: nodes.Extreme) -> Type | None:
        found = [self.expr(item) for item in expr.items]
        if any(t is None for t in found):
            return None
        kinds = {t.kind for t in found if t is not None}
        if len(kinds) == 1 and kinds <= _AMOUNTS:
            return found[0]
        first = found[0]
        assert first is not None
        odd = (
            next(
                (item, t)
                for item, t in zip(expr.items, found, strict=True)
                if t and t.kind != first.kind
            )
            if len(kinds) > 1
            else (expr.items[0], first)
        )
        self.report(
            "PC331",
            f"`{expr.name}(...)` takes numbers or amounts of one kind, not {odd[1].words()}",
            odd[0].span,
            note=odd[1].words(),
            help=f"`{expr.name}` of amounts of money, or of numbers",
        )
        return None

    # -- fees and remedies ---------------------------------------------------------------------

    def amounts(self, clause: nodes.ClauseDecl) -> None:
        """A clause's computed fees and remedies: amounts of money, conditions that are ones."""
        for fee in clause.charges:
            self.money(fee.amount, f'the fee "{fee.label}"')
            if fee.when is not None:
                self.condition(fee.when)
        for index, remedy in enumerate(clause.remedies):
            if remedy.amount is not None:
                self.in_remedy = True
                try:
                    self.money(remedy.amount, f"the remedy `{remedy.kind}`")
                finally:
                    self.in_remedy = False
            if remedy.when is not None:
                self.condition(remedy.when)
            elif index < len(clause.remedies) - 1:
                self.report(
                    "PC335",
                    f"remedy `{remedy.kind}` without `when` hides the remedies after it",
                    remedy.span,
                    note="it always applies",
                    help="give it a condition (`when ...`), or put it last",
                )

    def money(self, expr: nodes.Expr, what: str) -> None:
        found = self.expr(expr)
        if found is not None and found.kind != "money":
            self.report(
                "PC334",
                f"{what} is {found.words()}, not an amount of money",
                expr.span,
                note=found.words(),
                help="compute it from a `money USD` fact or an amount such as `25 USD`",
            )

    def currencies(self) -> None:
        """PC332 where a rule file names a second currency: a policy is in one currency."""
        named: list[tuple[str, Span]] = [
            (fact.type.currency, fact.span)
            for fact in self.file.facts
            if fact.type.currency and is_currency(fact.type.currency)
        ]
        named += [(c, span) for c, span in literal_currencies(self.file) if is_currency(c)]
        if not named:
            return
        first, first_span = named[0]
        for currency, span in named[1:]:
            if currency != first:
                self.report(
                    "PC332",
                    f"`{currency}` in a policy in `{first}`",
                    span,
                    note=f"the policy's amounts are in {first} (line {first_span.line})",
                    help=f"write every amount and money fact in {first}; a request in another "
                    "currency is refused with PC508",
                )


def _result(op: str, left: Type, right: Type) -> Type | None:
    """The type of `left op right`, or None when the operation does not apply to them."""
    kinds = (left.kind, right.kind)
    if op in ("+", "-"):
        return left if kinds in (("number", "number"), ("money", "money")) else None
    if op in ("*", "of"):
        if kinds == ("number", "number"):
            return left
        if "number" in kinds and "money" in kinds and op == "*":
            return Type("money")
        return right if op == "of" and right.kind in _AMOUNTS else None
    if kinds == ("money", "money"):
        return Type("number")
    return left if left.kind in _AMOUNTS and right.kind == "number" else None


def _plain(found: Type) -> bool:
    return found.kind in _AMOUNTS


def _joiner(op: str) -> str:
    return {"+": "to", "-": "from"}[op]


def _zero(expr: nodes.Expr) -> bool:
    value = expr.value if isinstance(expr, nodes.Literal) else None
    if isinstance(value, Money):
        value = value.value
    return isinstance(value, Decimal) and value == 0


def literal_currencies(rule_file: nodes.RuleFile) -> list[tuple[str, Span]]:
    """The currencies of the amounts written in a rule file's conditions, fees, remedies and
    examples, in file order."""
    found: list[tuple[str, Span]] = []

    def visit(expr: nodes.Expr | None) -> None:
        stack = [expr] if expr is not None else []
        while stack:
            node = stack.pop()
            if isinstance(node, nodes.Literal) and isinstance(node.value, Money):
                found.append((node.value.currency, node.span))
            stack.extend(operands(node))

    for group in rule_file.groups:
        visit(group.expr)
    for clause in rule_file.clauses:
        for rule in clause.rules:
            visit(rule.expr)
        for requirement in clause.requirements:
            visit(requirement)
        for fee in clause.charges:
            visit(fee.amount)
            visit(fee.when)
        for remedy in clause.remedies:
            visit(remedy.amount)
            visit(remedy.when)
    for example in rule_file.examples:
        for assignment in example.given:
            if isinstance(assignment.value, Money):
                found.append((assignment.value.currency, assignment.span))
        for expectation in example.expectations:
            if expectation.amount is not None:
                found.append((expectation.amount.currency, expectation.span))
    return sorted(found, key=lambda item: (item[1].line, item[1].col))
