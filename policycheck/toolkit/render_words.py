"""A rule file's formal parts in plain English: conditions, facts, calendars, discretion.

For people who read the terms, not the rule language: `not product.used` reads "the device has
not been used since delivery", `product.category in [device, accessory]` "the product category
is device or accessory". Negations are pushed inwards (De Morgan), so no sentence says "it is not
the case that".
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from policycheck.calendar import Unit
from policycheck.evaluation.explain import long_date
from policycheck.language import nodes
from policycheck.language.money import Money
from policycheck.language.symbols import Symbols
from policycheck.language.symbols import calendar_unit as symbols_unit

_TYPES = {
    "bool": "yes/no",
    "date": "date",
    "datetime": "date and time",
    "number": "number",
    "money": "amount of money",
    "text": "text",
}
_LEVELS = {"agent": "an agent", "supervisor": "a supervisor"}
_NEGATED = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_MIRRORED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDER_WORDS = {
    "date": {"<": "is before", "<=": "is on or before", ">": "is after", ">=": "is on or after"},
    "number": {"<": "is less than", "<=": "is at most", ">": "is more than", ">=": "is at least"},
}
_PARTICIPLES = frozenset({"done", "paid", "sent", "given", "made", "seen", "shown", "known"})
# `Has the device been used since delivery?`: a subject of one or two words, then a participle
# (maybe after an adverb): safe to turn into `the device has (not) been used since delivery`.
_HAS = re.compile(r"(Has|Have) ((?:the |a |an )?\w+) ((?:\w+ly )?(?:been|\w+ed|\w+en)\b.*?)\s*\?")


def name_words(name: str) -> str:
    """`product.original_packaging` -> `product original packaging`."""
    return name.replace(".", " ").replace("_", " ")


def value_words(value: nodes.Ref | nodes.Literal | object) -> str:
    """An enum value, date, number, text or yes/no as it reads in a sentence."""
    if isinstance(value, nodes.Ref):
        return name_words(value.name)
    if isinstance(value, nodes.Literal):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return long_date(value, "en")
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, Money):
        return value.words("en")
    return f"“{value}”"


def type_words(fact_type: nodes.FactType) -> str:
    """`yes/no`, `date`, `one of: device, accessory, map`."""
    if fact_type.kind == "enum":
        return "one of: " + ", ".join(name_words(v) for v in fact_type.values)
    return _TYPES.get(fact_type.kind, fact_type.kind)


def join(items: list[str], word: str) -> str:
    """`a`, `a and b`, `a, b, and c` (with the serial comma, which lawyers read unambiguously)."""
    if len(items) <= 2:
        return f" {word} ".join(items)
    return ", ".join(items[:-1]) + f", {word} " + items[-1]


def period_words(symbols: Symbols, count: int, unit: str) -> str:
    """`14 jours ouvrables`, `14 days (“withdrawal days” calendar)`: a count in its unit."""
    found = symbols.unit_of(unit)
    if found is None:
        return f"{count} {unit}"
    words = found[0].label(count)
    if found[1] is not None and unit != found[0].value:
        words += f" (“{name_words(unit)}” calendar)"
    return words


def bool_words(name: str, question: str | None, positive: bool) -> str:
    """A yes/no fact as a statement: from its question when that is safe to turn around, from
    its name when that is a participle (`service.activated`), else the question and its answer."""
    asked = _HAS.fullmatch(question or "")
    if asked is not None:
        aux, subject, rest = asked.group(1).lower(), asked.group(2), asked.group(3)
        return f"{subject} {aux} {'' if positive else 'not '}{rest}"
    answer = "yes" if positive else "no"
    if question:
        return f"the answer to “{question}” is {answer}"
    section, _, leaf = name.rpartition(".")
    if section and (leaf.endswith("ed") or leaf in _PARTICIPLES):
        return f"the {name_words(section)} has {'' if positive else 'not '}been {name_words(leaf)}"
    return f"“{name_words(name)}” is {answer}"


# A condition with negations pushed to its atoms: an atom in words, or (is_and, items).
Tree = str | tuple[bool, list["Tree"]]
_MARKS = (
    "abcdefghijklmnopqrstuvwxyz",
    ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"),
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
)


def _depth(tree: Tree) -> int:
    return 0 if isinstance(tree, str) else 1 + max(_depth(item) for item in tree[1])


def _leaves(tree: Tree) -> int:
    return 1 if isinstance(tree, str) else sum(_leaves(item) for item in tree[1])


def _nested(tree: tuple[bool, list[Tree]]) -> str:
    """`both a and b`, `either a, b, or c`: a junction inside another (atoms only)."""
    is_and, items = tree
    parts = [item if isinstance(item, str) else f"({_nested(item)})" for item in items]
    lead = ("both " if len(parts) == 2 else "all of: ") if is_and else "either "
    return lead + join(parts, "and" if is_and else "or")


def _outline(tree: Tree, level: int) -> str:
    """`(a) x; (b) y; and (c) one of: (i) z; or (ii) w`: nested conditions, enumerated."""
    if isinstance(tree, str):
        return tree
    is_and, items = tree
    marks = _MARKS[level % len(_MARKS)]
    parts = [
        f"({marks[i] if i < len(marks) else i + 1}) {_outline(item, level + 1)}"
        for i, item in enumerate(items)
    ]
    lead = "" if level == 0 else ("all of: " if is_and else "one of: ")
    return lead + "; ".join(parts[:-1]) + ("; and " if is_and else "; or ") + parts[-1]


class Phrases:
    """Conditions of one rule file in words (needs its declarations: facts, groups, calendars)."""

    def __init__(self, symbols: Symbols) -> None:
        self.symbols = symbols

    def condition(self, expr: nodes.Expr) -> str:
        """A whole condition as one phrase (no capital, no final period): plain prose, or for
        deeply nested ones an enumeration, `(a) ...; and (b) one of: (i) ...; or (ii) ...`."""
        tree = self._tree(expr, positive=True)
        if isinstance(tree, str):
            return tree
        if _depth(tree) > 2 or (_depth(tree) == 2 and _leaves(tree) > 4):
            return _outline(tree, 0)
        is_and, items = tree
        parts = [item if isinstance(item, str) else _nested(item) for item in items]
        return ", ".join(parts[:-1]) + (", and " if is_and else ", or ") + parts[-1]

    def amount(self, expr: nodes.Expr) -> str:
        """`15% of the product price`, `the product price less the fees`."""
        if isinstance(expr, nodes.Arith):
            op = {"+": "plus", "-": "less", "*": "times", "/": "divided by", "of": "of"}[expr.op]
            left = self.amount(expr.left)
            if isinstance(expr.left, nodes.Literal) and expr.left.percent:
                left = f"{expr.left.value.scaleb(2).normalize():f}%"  # type: ignore[union-attr]
            right = self.amount(expr.right)
            if isinstance(expr.right, nodes.Arith):
                right = f"({right})"
            return f"{left} {op} {right}"
        if isinstance(expr, nodes.Extreme):
            items = join([self.amount(item) for item in expr.items], "and")
            return f"the {'lower' if expr.name == 'min' else 'higher'} of {items}"
        if isinstance(expr, nodes.FeesTotal):
            return "the fees"
        return self._operand(expr)

    def fact(self, name: str) -> str:
        """`the request date`."""
        return "the " + name_words(name)

    def _tree(self, expr: nodes.Expr, positive: bool) -> Tree:
        """Negations pushed down to the atoms (De Morgan), each atom in words; `a and (b and c)`
        flattened to `a and b and c`."""
        if isinstance(expr, nodes.Not):
            return self._tree(expr.operand, not positive)
        if isinstance(expr, nodes.And | nodes.Or):
            is_and = isinstance(expr, nodes.And) == positive
            items: list[Tree] = []
            for item in expr.items:
                tree = self._tree(item, positive)
                same = not isinstance(tree, str) and tree[0] == is_and
                items += tree[1] if same and not isinstance(tree, str) else [tree]
            return (is_and, items)
        return self._atom(expr, positive)

    def _atom(self, expr: nodes.Expr, positive: bool) -> str:
        if isinstance(expr, nodes.Ref):
            return self._ref(expr.name, positive)
        if isinstance(expr, nodes.Literal):
            return "always" if bool(expr.value) == positive else "never"
        if isinstance(expr, nodes.Compare):
            return self._compare(expr, positive)
        if isinstance(expr, nodes.Member):
            return self._member(expr, positive)
        if isinstance(expr, nodes.Within):
            return self._within(expr, positive)
        if isinstance(expr, nodes.OnOrBefore):
            return self._on_or_before(expr, positive)
        if isinstance(expr, nodes.Between):
            window = f"between {_day_words(expr.first)} and {_day_words(expr.last)}"
            verb = "falls" if positive else "does not fall"
            return f"{self._operand(expr.subject)} {verb} {window} (of any year, both included)"
        assert isinstance(expr, nodes.Known)
        known = expr.known == positive
        return f"{self._operand(expr.operand)} is {'known' if known else 'not known'}"

    def _ref(self, name: str, positive: bool) -> str:
        if name in self.symbols.groups:  # a defined term, spelt out under Definitions
            return f"the “{name_words(name)}” condition is {'' if positive else 'not '}met"
        fact = self.symbols.facts.get(name)
        return bool_words(name, fact.question if fact else None, positive)

    def _operand(self, expr: nodes.Expr) -> str:
        if isinstance(expr, nodes.Arith | nodes.Extreme | nodes.FeesTotal):
            return self.amount(expr)
        if isinstance(expr, nodes.Ref) and expr.name in self.symbols.facts:
            return self.fact(expr.name)
        if isinstance(expr, nodes.Ref | nodes.Literal):
            return value_words(expr)
        return f"({self.condition(expr)})"

    def _compare(self, expr: nodes.Compare, positive: bool) -> str:
        left, op, right = expr.left, expr.op, expr.right
        if not self._is_fact(left) and self._is_fact(right):
            left, op, right = right, _MIRRORED[op], left
        if not positive:
            op = _NEGATED[op]
        if isinstance(right, nodes.Literal) and isinstance(right.value, bool) and op in "!=":
            assert isinstance(left, nodes.Ref)
            fact = self.symbols.facts.get(left.name)
            holds = right.value == (op == "=")
            return bool_words(left.name, fact.question if fact else None, holds)
        kind = self.symbols.type_of(left).kind
        family = "date" if kind in ("date", "datetime") else "number"
        verb = {"=": "is", "!=": "is not"}.get(op) or _ORDER_WORDS[family][op]
        return f"{self._operand(left)} {verb} {self._operand(right)}"

    def _member(self, expr: nodes.Member, positive: bool) -> str:
        values = [value_words(v) for v in expr.values]
        subject = self._operand(expr.operand)
        if positive:
            return f"{subject} is {join(values, 'or')}"
        if len(values) == 1:
            return f"{subject} is not {values[0]}"
        if len(values) == 2:
            return f"{subject} is neither {values[0]} nor {values[1]}"
        return f"{subject} is none of {join(values, 'or')}"

    def _within(self, expr: nodes.Within, positive: bool) -> str:
        subject, anchor = self._operand(expr.subject), self._operand(expr.anchor)
        period = period_words(self.symbols, expr.count, expr.unit)
        if expr.before:  # in time when on or before the day the backward count ends
            verb = "is at least" if positive else "is less than"
            return f"{subject} {verb} {period} before {anchor}"
        verb = "is within" if positive else "is later than"
        return f"{subject} {verb} {period} after {anchor}"

    def _on_or_before(self, expr: nodes.OnOrBefore, positive: bool) -> str:
        limits = [self._limit(limit) for limit in expr.limits]
        said = limits[0]
        if len(limits) > 1:
            said = f"the {'later' if expr.later else 'earlier'} of {join(limits, 'and')}"
        verb = "is no later than" if positive else "is later than"
        return f"{self._operand(expr.subject)} {verb} {said}"

    def _limit(self, limit: nodes.Limit) -> str:
        """`31 January 2010`, `30 calendar days after the delivery date`, `31 January of the
        year after the delivery date (when ...)`."""
        when = f" (when {self.condition(limit.condition)})" if limit.condition else ""
        if isinstance(limit, nodes.FixedLimit):
            return long_date(limit.day, "en") + when
        anchor = self._operand(limit.anchor)
        if isinstance(limit, nodes.PeriodLimit):
            period = period_words(self.symbols, limit.count, limit.unit)
            return f"{period} {'before' if limit.before else 'after'} {anchor}{when}"
        year = "after" if limit.years_after else "of"
        return f"{_day_words(limit.day)} of the year {year} {anchor}{when}"

    def _is_fact(self, expr: nodes.Expr) -> bool:
        return isinstance(expr, nodes.Ref) and expr.name in self.symbols.facts


def _day_words(day: nodes.DayOfYear) -> str:
    """`31 January`."""
    return f"{day.day} {nodes.MONTHS[day.month - 1].capitalize()}"


def calendar_words(calendar: nodes.CalendarDecl, country: str | None) -> str:
    """`Monday to Saturday, closed on the public holidays of France in the region given by
    the delivery postcode, not extended (...)`."""
    first, last = (nodes.WEEKDAYS[d].capitalize() for d in (calendar.first_day, calendar.last_day))
    parts = [f"{first} to {last}"]
    unit = symbols_unit(calendar)
    if calendar.counts is not None and unit is not None:
        parts = [f"counted in {unit.label(2).removeprefix('2 ')}"]
    if calendar.country is not None:
        holidays = f"closed on the public holidays of {country or calendar.country}"
        if calendar.region_fact is not None:
            region = "the " + name_words(calendar.region_fact.name)
            holidays += f" in the region given by {region} (when it is unknown, every region of "
            holidays += "the country is tried and the answer stands only if they all agree)"
        parts.append(holidays)
    if calendar.extended:
        parts.append(
            "extended: a period that ends on a Saturday, Sunday or public holiday runs to the next "
            "working day (Regulation 1182/71 art. 3(4))"
        )
    elif calendar.counts is not None:
        parts.append("no extension")
    elif calendar.last_day == 5:
        parts.append("no extension: a period may end on a Saturday")
    elif calendar.last_day == 6:
        parts.append("no extension: a period may end on a Sunday or a public holiday")
    else:
        parts.append("no extension")
    return ", ".join(parts)


def calendar_unit(calendar: nodes.CalendarDecl) -> str:
    """`jours ouvrables`: what a calendar counts, in words."""
    unit = symbols_unit(calendar)
    if unit is None:
        return calendar.name
    return "calendar days" if unit is Unit.DAYS else unit.label(2).removeprefix("2 ")


def discretion_words(discretion: nodes.Discretion, symbols: Symbols) -> str:
    """`an agent may waive a refusal when the request is late by at most 3 jours ouvrables`."""
    who = _LEVELS.get(discretion.level, discretion.level)
    if discretion.reason == "near_miss":
        late = period_words(symbols, discretion.tolerance, discretion.unit or "days")
        return f"{who} may waive a refusal when the request is late by at most {late}"
    if discretion.reason == "formal":
        return f"{who} may waive a refusal that rests only on a formal requirement"
    return f"{who} may waive any refusal under this clause"
