"""Parse tree -> AST (`nodes.RuleFile`): one Lark Transformer (date literals: `dates`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from lark import Token, Tree, v_args
from lark.tree import Meta

from policycheck.language import nodes
from policycheck.language.build_dates import DateLimitBuilder
from policycheck.language.build_laws import LawBuilder
from policycheck.language.build_money import MoneyBuilder, text_of
from policycheck.language.dates import read_date, read_datetime, token_span
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.source import Source, Span


def build(tree: Tree[Token], source: Source) -> tuple[nodes.RuleFile, list[Diagnostic]]:
    """The AST of a parsed rule file, and the diagnostics found while building it."""
    builder = _Builder(source)
    rule_file = builder.transform(tree)
    assert isinstance(rule_file, nodes.RuleFile)
    return rule_file, builder.diagnostics


def _span(meta: Meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _span_of(node: Any) -> Span:
    span = getattr(node, "span", None)
    assert isinstance(span, Span), node
    return span


def _flat(kind: type[nodes.And | nodes.Or], children: list[Any]) -> tuple[nodes.Expr, ...]:
    """The operands of an and/or chain, a parenthesised chain of the same word spliced in."""
    items: list[nodes.Expr] = []
    for child in children:
        if isinstance(child, kind):
            items.extend(child.items)
        else:
            items.append(child)
    return tuple(items)


@v_args(meta=True)
class _Builder(LawBuilder, DateLimitBuilder, MoneyBuilder):
    """Builds nodes bottom-up; each method is named after a grammar rule or alias."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self._file = source
        self.diagnostics: list[Diagnostic] = []

    # -- whole file ----------------------------------------------------------------------------

    def start(self, meta: Meta, children: list[Any]) -> nodes.RuleFile:
        header, *rest = children
        facts: list[nodes.FactDecl] = []
        for child in rest:
            if isinstance(child, list):
                facts.extend(child)
        return nodes.RuleFile(
            header=header,
            calendars=tuple(c for c in rest if isinstance(c, nodes.CalendarDecl)),
            facts=tuple(facts),
            groups=tuple(c for c in rest if isinstance(c, nodes.GroupDecl)),
            clauses=tuple(c for c in rest if isinstance(c, nodes.ClauseDecl)),
            examples=tuple(c for c in rest if isinstance(c, nodes.Example)),
            outside=tuple(c for c in rest if isinstance(c, nodes.Outside)),
            laws=tuple(c for c in rest if isinstance(c, nodes.LawRef)),
        )

    def header(self, meta: Meta, children: list[Any]) -> nodes.Header:
        policy_id, title, *fields = children
        values: dict[str, Any] = {}
        for name, value in fields:
            if name == "many":
                values.update(value)
            else:
                values[name] = value
        return nodes.Header(id=str(policy_id), title=text_of(title), span=_span(meta), **values)

    def version(self, meta: Meta, children: list[Token]) -> tuple[str, str]:
        return ("version", text_of(children[0]))

    def effective(self, meta: Meta, children: list[Token]) -> tuple[str, dict[str, Any]]:
        found = len(self.diagnostics)
        dates: list[dt.date | None] = [
            read_date(token, self._file, self.diagnostics, until=index == 1)
            for index, token in enumerate(children)
        ]
        if len(self.diagnostics) > found:  # an impossible date: no period to reason about
            dates = [None, None]
        return (
            "many",
            {
                "effective_from": dates[0],
                "effective_until": dates[1] if len(dates) > 1 else None,
                "effective_span": _span(meta),
            },
        )

    def in_force(self, meta: Meta, children: list[nodes.Ref]) -> tuple[str, nodes.Ref]:
        return ("in_force_on", children[0])

    def timezone(self, meta: Meta, children: list[Token]) -> tuple[str, dict[str, Any]]:
        return (
            "many",
            {
                "timezone": text_of(children[0]),
                "timezone_span": _span(meta),
                "timezone_declared": True,
            },
        )

    def customer_timezone(self, meta: Meta, children: list[Any]) -> tuple[str, nodes.CustomerZone]:
        country, region = children
        zone = nodes.CustomerZone(str(country), region, _span(meta), token_span(country))
        return ("customer_zone", zone)

    def language(self, meta: Meta, children: list[Token]) -> tuple[str, dict[str, Any]]:
        return ("many", {"language": str(children[0]), "language_declared": True})

    def document(self, meta: Meta, children: list[Token]) -> tuple[str, str]:
        return ("document", text_of(children[0]))

    # -- calendars and facts -------------------------------------------------------------------

    def calendar(self, meta: Meta, children: list[Any]) -> nodes.CalendarDecl:
        counts = children[1] if children[1].type == "NAME" else None
        if counts is not None:  # `months`: every day, the unit counted by its own arithmetic
            name, _, *options = children
            first, last = nodes.WEEKDAYS[0], nodes.WEEKDAYS[-1]
        else:
            name, first, last, *options = children
        country, country_span, region, extended = None, None, None, False
        for option in options:
            if option == "extended":
                extended = True
            else:
                country, country_span, region = option
        return nodes.CalendarDecl(
            name=str(name),
            first_day=nodes.WEEKDAYS.index(str(first)),
            last_day=nodes.WEEKDAYS.index(str(last)),
            country=country,
            region_fact=region,
            extended=extended,
            span=token_span(name),
            country_span=country_span,
            counts=None if counts is None else str(counts),
            counts_span=None if counts is None else token_span(counts),
        )

    def holidays(self, meta: Meta, children: list[Any]) -> tuple[str, Span, nodes.Ref | None]:
        country = children[0]
        return (str(country), token_span(country), children[1] if len(children) > 1 else None)

    def extended(self, meta: Meta, children: list[Any]) -> str:
        return "extended"

    def facts(self, meta: Meta, children: list[list[nodes.FactDecl]]) -> list[nodes.FactDecl]:
        return [fact for group in children for fact in group]

    def fact(self, meta: Meta, children: list[Any]) -> list[nodes.FactDecl]:
        refs = [c for c in children if isinstance(c, nodes.Ref)]
        fact_type = next(c for c in children if isinstance(c, nodes.FactType))
        tokens = [c for c in children if isinstance(c, Token)]
        personal = any(t.type == "PERSONAL" for t in tokens)
        question = next((text_of(t) for t in tokens if t.type == "STRING"), None)
        worded = [c for c in children if isinstance(c, tuple)]
        labels = tuple(w for kind, items in worded if kind == "label" for w in items)
        questions = tuple(w for kind, items in worded if kind == "question" for w in items)
        return [
            nodes.FactDecl(ref.name, fact_type, personal, question, ref.span, labels, questions)
            for ref in refs
        ]

    def fact_labels(self, meta: Meta, children: list[nodes.Worded]) -> tuple[str, list[Any]]:
        return ("label", children)

    def fact_questions(self, meta: Meta, children: list[nodes.Worded]) -> tuple[str, list[Any]]:
        return ("question", children)

    def worded(self, meta: Meta, children: list[Token]) -> nodes.Worded:
        language, text = children
        return nodes.Worded(str(language), text_of(text), token_span(language))

    def enum_type(self, meta: Meta, children: list[Token]) -> nodes.FactType:
        return nodes.FactType("enum", tuple(str(c) for c in children))

    # -- groups and clauses --------------------------------------------------------------------

    def group(self, meta: Meta, children: list[Any]) -> nodes.GroupDecl:
        return nodes.GroupDecl(str(children[0]), children[1], token_span(children[0]))

    def clause(self, meta: Meta, children: list[Any]) -> nodes.ClauseDecl:
        clause_id, title, *parts = children
        fields: dict[str, Any] = {}
        lists = (
            "rules",
            "requirements",
            "obligations",
            "fees",
            "charges",
            "remedies",
            "discretions",
            "exception_to",
            "overrides",
        )
        for name, value in parts:
            if name in lists:
                fields[name] = fields.get(name, ()) + tuple(value)
            elif name == "otherwise":
                fields["otherwise"], fields["otherwise_span"] = value
            else:
                fields[name] = value
        return nodes.ClauseDecl(
            id=str(clause_id), title=text_of(title), span=token_span(clause_id), **fields
        )

    def source(self, meta: Meta, children: list[Token]) -> tuple[str, str]:
        return ("source", text_of(children[0]))

    def applies(self, meta: Meta, children: list[Any]) -> tuple[str, nodes.Scope]:
        kinds = children[0]
        group = children[1] if len(children) > 1 else None
        return ("scope", nodes.Scope(tuple(kinds), group, _span(meta)))

    def kinds(self, meta: Meta, children: list[Token]) -> list[nodes.Ref]:
        return [nodes.Ref(str(token), token_span(token)) for token in children]

    def scope_group(self, meta: Meta, children: list[Token]) -> nodes.Ref:
        return nodes.Ref(str(children[0]), token_span(children[0]))

    def allow_when(self, meta: Meta, children: list[Any]) -> tuple[str, list[nodes.Rule]]:
        return ("rules", [nodes.Rule("allow", children[0], _span(meta))])

    def refuse_when(self, meta: Meta, children: list[Any]) -> tuple[str, list[nodes.Rule]]:
        return ("rules", [nodes.Rule("refuse", children[0], _span(meta))])

    def otherwise(self, meta: Meta, children: list[Token]) -> tuple[str, tuple[str, Span]]:
        return ("otherwise", (str(children[0]), _span(meta)))

    def requires(self, meta: Meta, children: list[Any]) -> tuple[str, list[Any]]:
        return ("requirements", children)

    def obligations(self, meta: Meta, children: list[Token]) -> tuple[str, list[str]]:
        return ("obligations", [text_of(c) for c in children])

    def fees(self, meta: Meta, children: list[Token]) -> tuple[str, list[str]]:
        return ("fees", [text_of(c) for c in children if c.type == "STRING"])

    def discretion(self, meta: Meta, children: list[Any]) -> tuple[str, list[nodes.Discretion]]:
        level = str(children[0])
        reason, tolerance, unit = children[1] if len(children) > 1 else ("always", 0, None)
        return ("discretions", [nodes.Discretion(level, reason, tolerance, unit, _span(meta))])

    def near_miss(self, meta: Meta, children: list[Token]) -> tuple[str, int, str]:
        return ("near_miss", int(children[0]), str(children[1]))

    def formal_only(self, meta: Meta, children: list[Token]) -> tuple[str, int, None]:
        return ("formal", 0, None)

    def exception_to(self, meta: Meta, children: list[Token]) -> tuple[str, list[nodes.Ref]]:
        return ("exception_to", [nodes.Ref(str(children[0]), token_span(children[0]))])

    def overrides(self, meta: Meta, children: list[Token]) -> tuple[str, list[nodes.Ref]]:
        return ("overrides", [nodes.Ref(str(children[0]), token_span(children[0]))])

    def outside(self, meta: Meta, children: list[Any]) -> nodes.Outside:
        reason = text_of(children[1]) if len(children) > 1 else None
        return nodes.Outside(tuple(children[0]), reason, _span(meta))

    # -- examples ------------------------------------------------------------------------------

    def example(self, meta: Meta, children: list[Any]) -> nodes.Example:
        name, *parts = children
        given: list[nodes.Assignment] = []
        proposed = None
        expectations: list[nodes.Expectation] = []
        for part in parts:
            if isinstance(part, list):
                given.extend(part)
            elif isinstance(part, nodes.Expectation):
                expectations.append(part)
            else:
                proposed = part
        return nodes.Example(
            text_of(name), tuple(given), proposed, tuple(expectations), token_span(name)
        )

    def given(self, meta: Meta, children: list[nodes.Assignment]) -> list[nodes.Assignment]:
        return children

    def assignment(self, meta: Meta, children: list[Any]) -> nodes.Assignment:
        fact, _, value = children
        if isinstance(value, nodes.Literal):
            value = value.value
        elif isinstance(value, nodes.Ref):
            value = value.name
        return nodes.Assignment(fact, value, _span(meta))

    def datetime(self, meta: Meta, children: list[Token]) -> dt.datetime | None:
        return read_datetime(children[0], self._file, self.diagnostics)

    def unknown_value(self, meta: Meta, children: list[Token]) -> None:
        return None

    def proposed(self, meta: Meta, children: list[Token]) -> tuple[str, nodes.Ref | None]:
        clause = nodes.Ref(str(children[1]), token_span(children[1])) if len(children) > 1 else None
        return (str(children[0]), clause)

    def expect_outcome(self, meta: Meta, children: list[Token]) -> nodes.Expectation:
        clause = nodes.Ref(str(children[1]), token_span(children[1])) if len(children) > 1 else None
        return nodes.Expectation("outcome", _span(meta), outcome=str(children[0]), clause=clause)

    def expect_deadline(self, meta: Meta, children: list[Token]) -> nodes.Expectation:
        deadline = read_date(children[0], self._file, self.diagnostics) if children else None
        return nodes.Expectation("deadline", _span(meta), deadline=deadline)

    def expect_rigid(self, meta: Meta, children: list[Token]) -> nodes.Expectation:
        level = str(children[0]) if children else None
        return nodes.Expectation("rigid", _span(meta), level=level)

    def expect_firm(self, meta: Meta, children: list[Token]) -> nodes.Expectation:
        return nodes.Expectation("firm", _span(meta))

    def expect_missing(self, meta: Meta, children: list[nodes.Ref]) -> nodes.Expectation:
        return nodes.Expectation("missing", _span(meta), facts=tuple(children))

    def expect_proposal(self, meta: Meta, children: list[Token]) -> nodes.Expectation:
        return nodes.Expectation("proposal", _span(meta), agrees=str(children[0]) == "agrees")

    # -- expressions ---------------------------------------------------------------------------

    def or_(self, meta: Meta, children: list[Any]) -> nodes.Or:
        return nodes.Or(_flat(nodes.Or, children), _span(meta))

    def and_(self, meta: Meta, children: list[Any]) -> nodes.And:
        return nodes.And(_flat(nodes.And, children), _span(meta))

    def not_(self, meta: Meta, children: list[Any]) -> nodes.Not:
        return nodes.Not(children[0], _span(meta))

    def compare(self, meta: Meta, children: list[Any]) -> nodes.Compare:
        return nodes.Compare(children[0], str(children[1]), children[2], _span(meta))

    def member(self, meta: Meta, children: list[Any]) -> nodes.Member:
        return nodes.Member(children[0], tuple(children[1:]), _span(meta))

    def within(self, meta: Meta, children: list[Any]) -> nodes.Within:
        subject, count, unit, direction, anchor = children
        return nodes.Within(
            subject,
            int(count),
            str(unit),
            token_span(unit),
            direction.type == "BEFORE",
            anchor,
            _span(meta),
            token_span(count),
        )

    def known(self, meta: Meta, children: list[Any]) -> nodes.Known:
        return nodes.Known(children[0], str(children[1]) == "known", _span(meta))

    def path(self, meta: Meta, children: list[Token]) -> nodes.Ref:
        return nodes.Ref(".".join(str(c) for c in children), _span(meta))

    def enum_value(self, meta: Meta, children: list[Token]) -> nodes.Ref:
        return nodes.Ref(str(children[0]), _span(meta))

    def date(self, meta: Meta, children: list[Token]) -> nodes.Literal:
        return nodes.Literal(read_date(children[0], self._file, self.diagnostics), _span(meta))

    def number(self, meta: Meta, children: list[Token]) -> nodes.Literal:
        return nodes.Literal(Decimal(str(children[0])), _span(meta))

    def text(self, meta: Meta, children: list[Token]) -> nodes.Literal:
        return nodes.Literal(text_of(children[0]), _span(meta))

    def boolean(self, meta: Meta, children: list[Token]) -> nodes.Literal:
        return nodes.Literal(str(children[0]) == "true", _span(meta))
