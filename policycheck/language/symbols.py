"""Names declared by a rule file and the types of its expressions; shared by check and compile."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

from policycheck.calendar import MAX_YEAR, MIN_YEAR, CalendarError, Unit, parse_unit
from policycheck.language import nodes
from policycheck.language.money import Money

#: The fact that `applies to KIND` tests.
KIND_FACT = "request.kind"
ORDERED = frozenset({"date", "datetime", "number", "money"})
DATES = frozenset({"date", "datetime"})
NUMBERS = frozenset({"number", "money"})
# A weekday range -> the unit it counts in.
CALENDAR_UNITS = {(0, 6): Unit.DAYS, (0, 5): Unit.OUVRABLES, (0, 4): Unit.OUVRES}
# The units a calendar may count in by name (`calendar m: months, ..., extended ...`): those whose
# periods 1182/71 art. 3(4) extends; working days are written as weekdays, hours never extend.
COUNTED_UNITS = frozenset({Unit.DAYS, Unit.FRANCS, Unit.WEEKS, Unit.MONTHS, Unit.YEARS})


@dataclass(frozen=True, slots=True)
class Type:
    """An expression's type: `bool`, `date`, `datetime`, `number`, `money`, `text`, an enum
    (`kind="enum"`, with the fact that declares it), or `value` (a bare name: maybe an enum value).
    """

    kind: str
    fact: nodes.FactDecl | None = None

    def words(self) -> str:
        """`a date`, `an enum of product.category`: the type in a diagnostic."""
        if self.kind == "enum" and self.fact is not None:
            return f"a value of `{self.fact.name}`"
        article = "an" if self.kind[0] in "aeiou" else "a"
        return {
            "value": "a bare name",
            "bool": "a condition (true/false)",
            "money": "an amount of money",
        }.get(self.kind, f"{article} {self.kind}")


@dataclass
class Symbols:
    """Facts, groups, calendars and clauses of a rule file, by name (first declaration wins)."""

    rule_file: nodes.RuleFile
    facts: dict[str, nodes.FactDecl] = field(default_factory=dict)
    groups: dict[str, nodes.GroupDecl] = field(default_factory=dict)
    calendars: dict[str, nodes.CalendarDecl] = field(default_factory=dict)
    clauses: dict[str, nodes.ClauseDecl] = field(default_factory=dict)

    @classmethod
    def of(cls, rule_file: nodes.RuleFile) -> Symbols:
        """The symbol table of a rule file."""
        table = cls(rule_file)
        for fact in rule_file.facts:
            table.facts.setdefault(fact.name, fact)
        for group in rule_file.groups:
            table.groups.setdefault(group.name, group)
        for calendar in rule_file.calendars:
            table.calendars.setdefault(calendar.name, calendar)
        for clause in rule_file.clauses:
            table.clauses.setdefault(clause.id, clause)
        return table

    def type_of(self, expr: nodes.Expr) -> Type:
        """The type of an expression, assuming its parts are well-typed."""
        if isinstance(expr, nodes.Ref):
            fact = self.facts.get(expr.name)
            if fact is not None:
                return fact_type(fact)
            return Type("bool") if expr.name in self.groups else Type("value")
        if isinstance(expr, nodes.Literal):
            value = expr.value
            if isinstance(value, bool):
                return Type("bool")
            if isinstance(value, str):
                return Type("text")
            if isinstance(value, Money):
                return Type("money")
            return Type("number") if not hasattr(value, "year") else Type("date")
        if isinstance(expr, nodes.FeesTotal):
            return Type("money")
        if isinstance(expr, nodes.Extreme):
            return self.type_of(expr.items[0])
        if isinstance(expr, nodes.Arith):
            left, right = self.type_of(expr.left), self.type_of(expr.right)
            if expr.op == "/" and left.kind == right.kind == "money":
                return Type("number")  # a ratio of two amounts
            return left if left.kind == "money" else right
        return Type("bool")

    def unit_of(self, name: str) -> tuple[Unit, nodes.CalendarDecl | None] | None:
        """The unit a `within` counts in: a declared calendar's, or a built-in unit word's."""
        calendar = self.calendars.get(name)
        if calendar is not None:
            unit = calendar_unit(calendar)
            return (unit, calendar) if unit is not None else None
        try:
            unit = parse_unit(name)
        except CalendarError:
            return None
        return (unit, None) if not unit.counts_working_days else None

    def suggest(self, name: str, candidates: list[str] | None = None) -> str:
        """`did you mean `x`?` for a close name, else an empty string."""
        pool = candidates if candidates is not None else [*self.facts, *self.groups]
        close = difflib.get_close_matches(name, pool, n=1, cutoff=0.75)
        return f"did you mean `{close[0]}`?" if close else ""


def fact_type(fact: nodes.FactDecl) -> Type:
    """The type of a declared fact: `money` without a currency is a plain amount (a number)."""
    kind = fact.type.kind
    if kind == "enum":
        return Type("enum", fact)
    if kind == "money" and fact.type.currency is None:
        return Type("number")
    return Type(kind)


def calendar_unit(calendar: nodes.CalendarDecl) -> Unit | None:
    """The unit a calendar counts in: by its weekdays, or the unit it names (`months`); None
    when it cannot count (PC307)."""
    if calendar.counts is None:
        return CALENDAR_UNITS.get((calendar.first_day, calendar.last_day))
    try:
        unit = parse_unit(calendar.counts)
    except CalendarError:
        return None
    return unit if unit in COUNTED_UNITS else None


def longest_period(unit: Unit) -> int:
    """The most units a period can count and still end within the supported years (some
    shorter ones still reach past them from a late anchor: evaluation reports those, PC507)."""
    days = (date(MAX_YEAR, 12, 31) - date(MIN_YEAR, 1, 1)).days
    if unit is Unit.MONTHS:
        return (MAX_YEAR - MIN_YEAR + 1) * 12 - 1
    if unit is Unit.YEARS:
        return MAX_YEAR - MIN_YEAR
    if unit is Unit.WEEKS:
        return days // 7
    if unit is Unit.HOURS:
        return (days + 1) * 24
    rest = unit.rest_days
    return days if rest is None else days * (7 - len(rest)) // 7 + 1


def transitive(beats: dict[str, set[str]]) -> dict[str, set[str]]:
    """Clause id -> every clause it takes precedence over, directly or through a chain."""
    closed: dict[str, set[str]] = {}
    for start in beats:
        seen: set[str] = set()
        stack = list(beats[start])
        while stack:
            other = stack.pop()
            if other not in seen:
                seen.add(other)
                stack.extend(beats.get(other, ()))
        closed[start] = seen
    return closed
