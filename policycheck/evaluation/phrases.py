"""Conditions in words, in English or French: never rule syntax, never a dotted fact name.

`not product.used` reads "the device has not been used since delivery" (or, with labels,
"produit utilisé : non"); `request.date within 14 ouvrables after delivery.date` reads "the date
of the request is no later than 14 jours ouvrables after the delivery date". Negations are pushed
inwards (De Morgan), so no sentence says "it is not the case that". With the values of a request,
each fact is followed by its value: "the delivery date (4 April 2012)". Explanations
(`explain`) and documents (`toolkit.render`) both say conditions with this one class.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from policycheck.evaluation.words import (
    bool_words,
    day_words,
    fact_label,
    join,
    lang_of,
    long_date,
    name_words,
    period_words,
    quoted,
    value_words,
)
from policycheck.language import nodes
from policycheck.language.symbols import Symbols

_NEGATED = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_MIRRORED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_WORDS = {
    "en": {
        "=": "is",
        "!=": "is not",
        "date": {
            "<": "is before",
            "<=": "is on or before",
            ">": "is after",
            ">=": "is on or after",
        },
        "number": {
            "<": "is less than",
            "<=": "is at most",
            ">": "is more than",
            ">=": "is at least",
        },
        "and": "and",
        "or": "or",
        "neither": "is neither {a} nor {b}",
        "none_of": "is none of {items}",
        "known": "{subject} is known",
        "unknown": "{subject} is not known",
        "after": "is no later than {period} after",
        "late": "is more than {period} after",
        "before": "is at least {period} before",
        "not_before": "is less than {period} before",
        "always": "always",
        "never": "never",
        "group": "the {name} condition is met",
        "not_group": "the {name} condition is not met",
        "no_later": "is no later than",
        "later_than": "is later than",
        "the_later": "the later of {items}",
        "the_earlier": "the earlier of {items}",
        "year_after": "{day} of the year after {anchor}",
        "year_of": "{day} of the year of {anchor}",
        "period_after": "{period} after {anchor}",
        "period_before": "{period} before {anchor}",
        "if": "{limit} (when {condition})",
        "falls": "{subject} falls between {first} and {last} (of any year, both included)",
        "not_falls": "{subject} does not fall between {first} and {last} "
        "(of any year, both included)",
        "ops": {"+": "plus", "-": "less", "*": "times", "/": "divided by", "of": "of"},
        "lower": "the lower of {items}",
        "higher": "the higher of {items}",
        "fees": "the fees",
        "both": "both ",
        "all_of": "all of: ",
        "either": "either ",
        "one_of": "one of: ",
        "; and ": "; and ",
        "; or ": "; or ",
        ", and ": ", and ",
        ", or ": ", or ",
    },
    "fr": {
        "=": "est",
        "!=": "n'est pas",
        "date": {
            "<": "est avant",
            "<=": "est au plus tard",
            ">": "est après",
            ">=": "est au plus tôt",
        },
        "number": {
            "<": "est inférieur à",
            "<=": "est au plus",
            ">": "est supérieur à",
            ">=": "est au moins",
        },
        "and": "et",
        "or": "ou",
        "neither": "n'est ni {a} ni {b}",
        "none_of": "n'est aucun de : {items}",
        "known": "on connaît : {subject}",
        "unknown": "on ne connaît pas : {subject}",
        "after": "tombe au plus tard {period} après",
        "late": "tombe plus de {period} après",
        "before": "tombe au moins {period} avant",
        "not_before": "tombe moins de {period} avant",
        "always": "toujours",
        "never": "jamais",
        "group": "la condition {name} est remplie",
        "not_group": "la condition {name} n'est pas remplie",
        "no_later": "tombe au plus tard",
        "later_than": "tombe après",
        "the_later": "la plus tardive de ces dates : {items}",
        "the_earlier": "la plus proche de ces dates : {items}",
        "year_after": "le {day} de l'année suivant {anchor}",
        "year_of": "le {day} de l'année de {anchor}",
        "period_after": "{period} après {anchor}",
        "period_before": "{period} avant {anchor}",
        "if": "{limit} (si {condition})",
        "falls": "{subject} tombe entre le {first} et le {last} (de toute année, bornes comprises)",
        "not_falls": "{subject} ne tombe pas entre le {first} et le {last} "
        "(de toute année, bornes comprises)",
        "ops": {"+": "plus", "-": "moins", "*": "multiplié par", "/": "divisé par", "of": "de"},
        "lower": "le plus petit de : {items}",
        "higher": "le plus grand de : {items}",
        "fees": "les frais",
        "both": "à la fois ",
        "all_of": "toutes ces conditions : ",
        "either": "",
        "one_of": "l'une de ces conditions : ",
        "; and ": " ; et ",
        "; or ": " ; ou ",
        ", and ": " et ",
        ", or ": " ou ",
    },
}

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


class Phrases:
    """Conditions of one rule file in words (needs its declarations: facts, groups, calendars).

    `language`: `en` or `fr`; `values`: a fact's value in words for a request (None: no value
    shown); `inline_groups`: say a group's condition rather than name it (for explanations)."""

    def __init__(
        self,
        symbols: Symbols,
        language: str = "en",
        values: Callable[[str], str | None] | None = None,
        inline_groups: bool = False,
    ) -> None:
        self.symbols = symbols
        self.language = lang_of(language)
        self.policy_language = symbols.rule_file.header.language
        self.values = values
        self.inline_groups = inline_groups
        self.words = _WORDS[self.language]

    def condition(self, expr: nodes.Expr, positive: bool = True) -> str:
        """A whole condition as one phrase (no capital, no final period): plain prose, or for
        deeply nested ones an enumeration, `(a) ...; and (b) one of: (i) ...; or (ii) ...`."""
        tree = self._tree(expr, positive)
        if isinstance(tree, str):
            return tree
        if _depth(tree) > 2 or (_depth(tree) == 2 and _leaves(tree) > 4):
            return self._outline(tree, 0)
        is_and, items = tree
        parts = [item if isinstance(item, str) else self._nested(item) for item in items]
        last = str(self.words[", and " if is_and else ", or "])
        return ", ".join(parts[:-1]) + last + parts[-1]

    def fact(self, name: str) -> str:
        """`the request date`, or the fact's label; with its value when one is shown."""
        label = fact_label(name, self.symbols.facts.get(name), self.language)
        value = self.values(name) if self.values is not None else None
        return f"{label} ({value})" if value is not None else label

    def _word(self, key: str) -> str:
        return str(self.words[key])

    def _nested(self, tree: tuple[bool, list[Tree]]) -> str:
        """`both a and b`, `either a, b, or c`: a junction inside another (atoms only)."""
        is_and, items = tree
        parts = [item if isinstance(item, str) else f"({self._nested(item)})" for item in items]
        if is_and:
            lead = self._word("both") if len(parts) == 2 else self._word("all_of")
        else:
            lead = self._word("either")
        return lead + join(parts, self._word("and" if is_and else "or"), self.language)

    def _outline(self, tree: Tree, level: int) -> str:
        """`(a) x; (b) y; and (c) one of: (i) z; or (ii) w`: nested conditions, enumerated."""
        if isinstance(tree, str):
            return tree
        is_and, items = tree
        marks = _MARKS[level % len(_MARKS)]
        parts = [
            f"({marks[i] if i < len(marks) else i + 1}) {self._outline(item, level + 1)}"
            for i, item in enumerate(items)
        ]
        lead = "" if level == 0 else self._word("all_of" if is_and else "one_of")
        sep = " ; " if self.language == "fr" else "; "
        return lead + sep.join(parts[:-1]) + self._word("; and " if is_and else "; or ") + parts[-1]

    def _tree(self, expr: nodes.Expr, positive: bool) -> Tree:
        """Negations pushed down to the atoms (De Morgan), each atom in words; `a and (b and c)`
        flattened to `a and b and c`."""
        if isinstance(expr, nodes.Not):
            return self._tree(expr.operand, not positive)
        if isinstance(expr, nodes.Ref) and self.inline_groups and expr.name in self.symbols.groups:
            return self._tree(self.symbols.groups[expr.name].expr, positive)
        if isinstance(expr, nodes.And | nodes.Or):
            is_and = isinstance(expr, nodes.And) == positive
            items: list[Tree] = []
            for item in expr.items:
                tree = self._tree(item, positive)
                same = not isinstance(tree, str) and tree[0] == is_and
                items += tree[1] if same and not isinstance(tree, str) else [tree]
            return (is_and, items)
        return self.atom(expr, positive)

    def atom(self, expr: nodes.Expr, positive: bool = True) -> str:
        """One test in words (`positive`: as it holds, else as it fails)."""
        if isinstance(expr, nodes.Ref):
            return self._ref(expr.name, positive)
        if isinstance(expr, nodes.Literal):
            return self._word("always" if bool(expr.value) == positive else "never")
        if isinstance(expr, nodes.Compare):
            return self._compare(expr, positive)
        if isinstance(expr, nodes.Member):
            return self._member(expr, positive)
        if isinstance(expr, nodes.Within):
            return self._within(expr, positive)
        if isinstance(expr, nodes.OnOrBefore):
            return self._on_or_before(expr, positive)
        if isinstance(expr, nodes.Between):
            return self._word("falls" if positive else "not_falls").format(
                subject=self._operand(expr.subject),
                first=day_words(expr.first, self.language),
                last=day_words(expr.last, self.language),
            )
        if isinstance(expr, nodes.Not | nodes.And | nodes.Or):
            return self.condition(expr, positive)
        assert isinstance(expr, nodes.Known)
        known = expr.known == positive
        return self._word("known" if known else "unknown").format(
            subject=self._operand(expr.operand)
        )

    def _ref(self, name: str, positive: bool) -> str:
        if name in self.symbols.groups:  # a defined term, spelt out under Definitions
            key = "group" if positive else "not_group"
            return self._word(key).format(name=quoted(name_words(name), self.language))
        fact = self.symbols.facts.get(name)
        return bool_words(name, fact, positive, self.language, self.policy_language)

    def amount(self, expr: nodes.Expr) -> str:
        """`15% of the product price`, `the product price less the fees`."""
        if isinstance(expr, nodes.Arith):
            ops = self.words["ops"]
            assert isinstance(ops, dict)
            left = self.amount(expr.left)
            right = self.amount(expr.right)
            if isinstance(expr.right, nodes.Arith):
                right = f"({right})"
            return f"{left} {ops[expr.op]} {right}"
        if isinstance(expr, nodes.Extreme):
            items = join(
                [self.amount(item) for item in expr.items], self._word("and"), self.language
            )
            return self._word("lower" if expr.name == "min" else "higher").format(items=items)
        if isinstance(expr, nodes.FeesTotal):
            return self._word("fees")
        if isinstance(expr, nodes.Literal) and expr.percent and isinstance(expr.value, Decimal):
            return f"{expr.value.scaleb(2).normalize():f}%"
        return self._operand(expr)

    def _on_or_before(self, expr: nodes.OnOrBefore, positive: bool) -> str:
        limits = [self._limit(limit) for limit in expr.limits]
        said = limits[0]
        if len(limits) > 1:
            items = join(limits, self._word("and"), self.language)
            said = self._word("the_later" if expr.later else "the_earlier").format(items=items)
        verb = self._word("no_later" if positive else "later_than")
        return f"{self._operand(expr.subject)} {verb} {said}"

    def _limit(self, limit: nodes.Limit) -> str:
        """`31 January 2010`, `30 calendar days after the delivery date`, `31 January of the
        year after the delivery date (when ...)`."""
        if isinstance(limit, nodes.FixedLimit):
            said = long_date(limit.day, self.language)
        elif isinstance(limit, nodes.PeriodLimit):
            period = period_words(self.symbols, limit.count, limit.unit, self.language)
            key = "period_before" if limit.before else "period_after"
            said = self._word(key).format(period=period, anchor=self._operand(limit.anchor))
        else:
            key = "year_after" if limit.years_after else "year_of"
            day = day_words(limit.day, self.language)
            said = self._word(key).format(day=day, anchor=self._operand(limit.anchor))
        if limit.condition is None:
            return said
        return self._word("if").format(limit=said, condition=self.condition(limit.condition))

    def _operand(self, expr: nodes.Expr) -> str:
        if isinstance(expr, nodes.Arith | nodes.Extreme | nodes.FeesTotal):
            return self.amount(expr)
        if isinstance(expr, nodes.Ref) and expr.name in self.symbols.facts:
            return self.fact(expr.name)
        if isinstance(expr, nodes.Ref | nodes.Literal):
            return value_words(expr, self.language)
        return f"({self.condition(expr)})"

    def _compare(self, expr: nodes.Compare, positive: bool) -> str:
        left, op, right = expr.left, expr.op, expr.right
        if not self._is_fact(left) and self._is_fact(right):
            left, op, right = right, _MIRRORED[op], left
        if not positive:
            op = _NEGATED[op]
        if isinstance(right, nodes.Literal) and isinstance(right.value, bool) and op in "!=":
            assert isinstance(left, nodes.Ref)
            holds = right.value == (op == "=")
            return self._ref(left.name, holds)
        kind = self.symbols.type_of(left).kind
        family = "date" if kind in ("date", "datetime") else "number"
        ordered = self.words[family]
        assert isinstance(ordered, dict)
        verb = self.words[op] if op in ("=", "!=") else ordered[op]
        return f"{self._operand(left)} {verb} {self._operand(right)}"

    def _member(self, expr: nodes.Member, positive: bool) -> str:
        values = [value_words(v, self.language) for v in expr.values]
        subject = self._operand(expr.operand)
        if positive:
            return f"{subject} {self._word('=')} {join(values, self._word('or'), self.language)}"
        if len(values) == 1:
            return f"{subject} {self._word('!=')} {values[0]}"
        if len(values) == 2:
            return f"{subject} " + self._word("neither").format(a=values[0], b=values[1])
        items = join(values, self._word("or"), self.language)
        return f"{subject} " + self._word("none_of").format(items=items)

    def _within(self, expr: nodes.Within, positive: bool) -> str:
        subject, anchor = self._operand(expr.subject), self._operand(expr.anchor)
        period = period_words(self.symbols, expr.count, expr.unit, self.language)
        if expr.before:  # in time when on or before the day the backward count ends
            verb = self._word("before" if positive else "not_before")
        else:
            verb = self._word("after" if positive else "late")
        return f"{subject} {verb.format(period=period)} {anchor}"

    def _is_fact(self, expr: nodes.Expr) -> bool:
        return isinstance(expr, nodes.Ref) and expr.name in self.symbols.facts
