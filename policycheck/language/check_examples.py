"""Checks of worked examples: known facts, values of the right type, known clauses (PC2xx/PC3xx)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from policycheck.language import nodes
from policycheck.language.check_money import MoneyChecker
from policycheck.language.money import Money

_TYPE_WORDS = {
    "bool": "true or false",
    "date": "a date (2012-04-04) or a date and time with offset",
    "datetime": "a date and time (2012-06-01T23:30+02:00)",
    "number": "a number",
    "money": "an amount (199.80 USD)",
    "text": 'text in quotes ("...")',
}


class ExampleChecker(MoneyChecker):
    """Reports problems in the `example` blocks of a rule file."""

    def examples(self) -> None:
        self.duplicates("example", [(e.name, e.span) for e in self.file.examples], "PC210")
        for example in self.file.examples:
            self.example(example)

    def example(self, example: nodes.Example) -> None:
        for assignment in example.given:
            self.assignment(assignment)
        clauses = [e.clause for e in example.expectations if e.clause is not None]
        if example.proposed is not None and example.proposed[1] is not None:
            clauses.append(example.proposed[1])
        for ref in clauses:
            if not (self.file.laws and ref in _law_clauses(example)):
                self.known_clause(ref)  # a clause of the law: checked with it (language.laws)
        for expectation in example.expectations:
            if expectation.kind in ("layer", "terms") and not self.file.laws:
                self.report(
                    "PC608",
                    f"`expect {expectation.kind}` in terms without a law beneath them",
                    expectation.span,
                    note="this policy declares no `subject to`: its terms always decide",
                    help="remove the expectation, or declare the law: `subject to LAW-ID`",
                )
        for expectation in example.expectations:
            for fact in expectation.facts:
                self.ref(fact)
            if expectation.kind == "proposal" and example.proposed is None:
                self.report(
                    "PC313",
                    "`expect proposal` needs a proposal",
                    expectation.span,
                    note="this example proposes nothing",
                    help="add `proposed allow|refuse [under CLAUSE]` to the example",
                )

    def assignment(self, assignment: nodes.Assignment) -> None:
        fact_type = self.ref(assignment.fact)
        fact = self.symbols.facts.get(assignment.fact.name)
        if fact_type is None or fact is None or assignment.value is None:
            return
        kind, value = fact.type.kind, assignment.value
        if kind == "enum":
            if isinstance(value, str):
                self.enum_value(nodes.Ref(value, assignment.span), fact)
                return
        elif _fits(kind, value) and (
            not isinstance(value, Money) or value.currency == fact.type.currency
        ):
            return
        expected = f"one of: {', '.join(fact.type.values)}" if kind == "enum" else _TYPE_WORDS[kind]
        if kind == "money" and fact.type.currency is None:
            expected = "a number (the fact declares no currency)"
        elif kind == "money":
            expected = f"an amount in {fact.type.currency} (199.80 {fact.type.currency})"
        given = self.source.excerpt(assignment.span).split("=", 1)[-1].strip()
        self.report(
            "PC312",
            f"`{assignment.fact.name}` cannot be `{given}`",
            assignment.span,
            note=f"`{fact.name}` is {kind}",
            help=f"give {expected}",
        )


def _fits(kind: str, value: object) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, date)
    if kind == "datetime":
        return isinstance(value, datetime)
    if kind == "money":
        return isinstance(value, Money | Decimal)
    if kind == "number":
        return isinstance(value, Decimal)
    return isinstance(value, str) and kind == "text"


def _law_clauses(example: nodes.Example) -> list[nodes.Ref]:
    """The clauses an example may name from the law beneath the terms: the deciding clause
    (`expect allow under L121-20`), never the terms' own (`expect terms`, `proposed`)."""
    return [e.clause for e in example.expectations if e.kind == "outcome" and e.clause]
