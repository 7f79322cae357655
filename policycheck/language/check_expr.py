"""Type checking of conditions: facts, groups, enum values, comparisons, periods (PC2xx, PC3xx)."""

from __future__ import annotations

from datetime import date

from policycheck.calendar import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarError,
    Direction,
    Period,
    Unit,
    compute_deadline,
    get_calendar,
    resolve_region,
)
from policycheck.language import nodes
from policycheck.language.diagnostics import Diagnostic, Label, Severity, error
from policycheck.language.source import Source, Span
from policycheck.language.symbols import DATES, NUMBERS, ORDERED, Symbols, Type, longest_period

_UNITS_HELP = "use a declared calendar or days, francs, hours, weeks, months, years"


class ExprChecker:
    """Reports problems in conditions; `check.py` adds the declarations around them."""

    def __init__(self, rule_file: nodes.RuleFile, source: Source) -> None:
        self.file = rule_file
        self.source = source
        self.symbols = Symbols.of(rule_file)
        self.found: list[Diagnostic] = []

    def report(
        self,
        code: str,
        message: str,
        span: Span,
        note: str = "",
        help: str = "",
        labels: tuple[Label, ...] = (),
        warning: bool = False,
    ) -> None:
        diagnostic = error(code, message, span, self.source, note=note, help=help)
        if labels or warning:
            diagnostic = Diagnostic(
                diagnostic.code,
                Severity.WARNING if warning else Severity.ERROR,
                diagnostic.message,
                span,
                diagnostic.file,
                note,
                help,
                labels,
            )
        self.found.append(diagnostic)

    # -- declarations --------------------------------------------------------------------------

    def duplicates(self, what: str, names: list[tuple[str, Span]], code: str) -> None:
        seen: dict[str, Span] = {}
        for name, span in names:
            if name in seen:
                first = seen[name]
                self.report(
                    code,
                    f"{what} `{name}` is declared twice",
                    span,
                    note="declared again here",
                    help=f"the first declaration is on line {first.line}; remove or rename one",
                )
            else:
                seen[name] = span

    def known_clause(self, ref: nodes.Ref) -> bool:
        """True if `ref` names a clause of the policy; else report PC203 and return False."""
        if ref.name in self.symbols.clauses:
            return True
        self.report(
            "PC203",
            f"unknown clause `{ref.name}`",
            ref.span,
            note="no clause has this id",
            help=self.symbols.suggest(ref.name, list(self.symbols.clauses))
            or "write the id of a clause of this policy",
        )
        return False

    # -- expressions ---------------------------------------------------------------------------

    def condition(self, expr: nodes.Expr) -> None:
        """Check an expression that must be true or false."""
        found = self.expr(expr)
        if found is not None and found.kind != "bool":
            self.report(
                "PC301",
                f"`{self.text(expr)}` is not a condition",
                expr.span,
                note=f"this is {found.words()}",
                help="compare it, e.g. `x = value`, or test it with `is known`",
            )

    def expr(self, expr: nodes.Expr) -> Type | None:
        """The type of `expr` after checking it; None when an error was already reported."""
        if isinstance(expr, nodes.Ref):
            return self.ref(expr)
        if isinstance(expr, nodes.Literal):
            return self.symbols.type_of(expr)
        if isinstance(expr, nodes.Not):
            self.condition(expr.operand)
        elif isinstance(expr, nodes.And | nodes.Or):
            for item in expr.items:
                self.condition(item)
        elif isinstance(expr, nodes.Compare):
            self.compare(expr)
        elif isinstance(expr, nodes.Member):
            self.member(expr)
        elif isinstance(expr, nodes.Within):
            self.within(expr)
        elif isinstance(expr, nodes.Arith | nodes.Extreme | nodes.FeesTotal):
            return self.arithmetic(expr)
        elif isinstance(expr, nodes.OnOrBefore):
            self.on_or_before(expr)
        elif isinstance(expr, nodes.Between):
            self.dates((expr.subject,), "`between`")
        elif isinstance(expr, nodes.Known) and not (
            isinstance(expr.operand, nodes.Ref) and expr.operand.name in self.symbols.facts
        ):
            self.ref_must_be_fact(expr.operand)
        return Type("bool")

    def arithmetic(self, expr: nodes.Expr) -> Type | None:
        """The type of arithmetic (checked by `check_money.MoneyChecker`, which overrides this)."""
        return self.symbols.type_of(expr)

    def ref(self, ref: nodes.Ref) -> Type | None:
        found = self.symbols.type_of(ref)
        if found.kind != "value":
            return found
        if "." in ref.name:
            self.report(
                "PC201",
                f"unknown fact `{ref.name}`",
                ref.span,
                note="not declared under `facts`",
                help=self.symbols.suggest(ref.name) or "declare it under `facts`",
            )
        else:
            self.report(
                "PC208",
                f"unknown name `{ref.name}`",
                ref.span,
                note="not a fact, a group or a value compared with an enum fact",
                help=self.symbols.suggest(ref.name)
                or "declare it as a group, or compare it with a fact",
            )
        return None

    def ref_must_be_fact(self, expr: nodes.Expr) -> None:
        if isinstance(expr, nodes.Ref):
            self.ref(expr) if expr.name not in self.symbols.groups else self.report(
                "PC311",
                f"`{expr.name}` is a group, always known",
                expr.span,
                note="`is known` applies to facts",
                help="test a fact instead",
            )
        else:
            self.report(
                "PC311",
                "`is known` applies to facts",
                expr.span,
                note="not a fact",
                help="test a fact, e.g. `delivery.date is known`",
            )

    def operand(self, expr: nodes.Expr, other: nodes.Expr | None = None) -> Type | None:
        """Type of a comparison operand, where a bare name may be an enum value (even one that
        is also the name of a group, when it is compared with that enum's fact)."""
        if isinstance(expr, nodes.Ref) and self.symbols.type_of(expr).kind == "value":
            return Type("value")
        if isinstance(expr, nodes.Ref) and isinstance(other, nodes.Ref) and "." not in expr.name:
            fact = self.symbols.facts.get(other.name)
            if fact is not None and fact.type.kind == "enum" and expr.name in fact.type.values:
                return Type("value")
        return self.expr(expr)

    def compare(self, expr: nodes.Compare) -> None:
        left, right = self.operand(expr.left, expr.right), self.operand(expr.right, expr.left)
        if left is None or right is None:
            return
        for side, other, other_expr in ((left, right, expr.right), (right, left, expr.left)):
            enum_fact = side.fact if side.kind == "enum" else None
            if (
                enum_fact is not None
                and other.kind in ("value", "text")
                and isinstance(other_expr, nodes.Ref | nodes.Literal)
            ):
                self.enum_value(other_expr, enum_fact)
                if expr.op not in ("=", "!="):
                    self.unordered(expr, side)
                return
        if left.kind == "value" or right.kind == "value":
            bare = expr.left if left.kind == "value" else expr.right
            assert isinstance(bare, nodes.Ref)
            self.ref(bare)
            return
        if not _comparable(left, right):
            self.report(
                "PC302",
                f"cannot compare {left.words()} with {right.words()}",
                expr.right.span,
                note=right.words(),
                labels=(Label(expr.left.span, left.words()),),
                help=_compare_help(left, right, self.text(expr.left), self.text(expr.right)),
            )
        elif expr.op not in ("=", "!=") and left.kind not in ORDERED:
            self.unordered(expr, left)

    def unordered(self, expr: nodes.Compare, found: Type) -> None:
        self.report(
            "PC305",
            f"`{expr.op}` does not order {found.words()}",
            expr.span,
            note="only dates and numbers have an order",
            help="use `=`, `!=` or `in [...]`",
        )

    def member(self, expr: nodes.Member) -> None:
        found = self.expr(expr.operand)
        if found is None:
            return
        if found.kind == "enum" and found.fact is not None:
            for value in expr.values:
                self.enum_value(value, found.fact)
        elif found.kind == "text":
            for value in expr.values:
                if not (isinstance(value, nodes.Literal) and isinstance(value.value, str)):
                    self.report(
                        "PC302",
                        f"cannot compare a text with `{self.text(value)}`",
                        value.span,
                        note="not text in quotes",
                        help='write the text in quotes: "..."',
                    )
        else:
            self.report(
                "PC302",
                f"`in [...]` needs an enum or text fact, not {found.words()}",
                expr.operand.span,
                note=found.words(),
                help="compare dates and numbers with <, <=, >, >=",
            )

    def enum_value(self, value: nodes.Ref | nodes.Literal, fact: nodes.FactDecl) -> None:
        name = value.name if isinstance(value, nodes.Ref) else str(value.value)
        if name not in fact.type.values:
            allowed = ", ".join(fact.type.values)
            self.report(
                "PC303",
                f"`{name}` is not a value of `{fact.name}`",
                value.span,
                note=f"`{fact.name}` is one of: {allowed}",
                help=self.symbols.suggest(name, list(fact.type.values)) or f"use one of: {allowed}",
            )

    def within(self, expr: nodes.Within) -> None:
        unit = self.unit(expr.unit, expr.unit_span)
        if unit is not None:
            anchor = expr.anchor.value if isinstance(expr.anchor, nodes.Literal) else None
            start = (
                anchor if isinstance(anchor, date) and MIN_YEAR <= anchor.year <= MAX_YEAR else None
            )
            self.countable(expr.count, unit, expr.count_span or expr.span, start, expr.before)
        self.dates((expr.subject, expr.anchor), "`within`", unit)

    def unit(self, name: str, span: Span) -> Unit | None:
        """The unit a period counts in; None (PC204 reported unless declared) when none."""
        found = self.symbols.unit_of(name)
        if found is None and name not in self.symbols.calendars:
            declared = list(self.symbols.calendars)
            self.report(
                "PC204",
                f"unknown calendar `{name}`",
                span,
                note="not a declared calendar nor a unit that needs none",
                help=self.symbols.suggest(name, declared)
                or f"declare it: `calendar {name}: monday to saturday, closed on "
                f"public holidays of FR`, or {_UNITS_HELP}",
            )
        # a declared calendar that cannot count: PC307 where it is declared
        return found[0] if found is not None else None

    def dates(self, sides: tuple[nodes.Expr, ...], what: str, unit: Unit | None = None) -> None:
        """PC304 for an operand of `what` that is no date (no date and time, in hours)."""
        for side in sides:
            found = self.expr(side)
            if found is not None and found.kind not in DATES:
                self.report(
                    "PC304",
                    f"{what} needs dates, and `{self.text(side)}` is {found.words()}",
                    side.span,
                    note=found.words(),
                    help="count periods between two date facts"
                    if what == "`within`"
                    else "compare a date fact with a day",
                )
            elif found is not None and found.kind == "date" and unit is Unit.HOURS:
                self.report(
                    "PC304",
                    f"a period in hours needs dates and times, and `{self.text(side)}` is a date",
                    side.span,
                    note="a date",
                    help="declare the fact as `datetime`, or count the period in days",
                )

    def on_or_before(self, expr: nodes.OnOrBefore) -> None:
        """`on or before` a date, a day of a year or a period, or the later/earlier of two."""
        hours = None  # a period in hours ends at an instant: the subject must be one too
        if all(limit.condition is not None for limit in expr.limits):
            self.report(
                "PC336",
                "every limit has a condition",
                expr.span,
                note="when no condition holds, there is no last day",
                help="give one limit no `if`: the one that always applies",
            )
        for limit in expr.limits:
            if limit.condition is not None:
                self.condition(limit.condition)
            if isinstance(limit, nodes.PeriodLimit):
                unit = self.unit(limit.unit, limit.unit_span)
                if unit is not None:
                    self.countable(limit.count, unit, limit.count_span)
                hours = Unit.HOURS if unit is Unit.HOURS else hours
                self.dates((limit.anchor,), "a period", unit)
            elif isinstance(limit, nodes.YearlyLimit):
                self.dates((limit.anchor,), "`of the year of`")
        self.dates((expr.subject,), "`on or before`", hours)

    def countable(
        self, count: int, unit: Unit, span: Span, start: date | None = None, before: bool = False
    ) -> None:
        """PC314 for a period longer than the supported years (no anchor could count it), or
        leaving them from the date written as its anchor."""
        longest = longest_period(unit)
        if count > longest:
            self.report(
                "PC314",
                f"a period of {count} {unit.value} cannot be counted",
                span,
                note=f"longer than the years {MIN_YEAR} to {MAX_YEAR} the calendar counts in",
                help=f"a period ends between {MIN_YEAR} and {MAX_YEAR}: at most "
                f"{longest} {unit.value}",
            )
        elif start is not None and unit is not Unit.HOURS:
            period = Period(count, unit, Direction.BEFORE if before else Direction.AFTER)
            try:  # without public holidays: the shortest count of working days
                compute_deadline(start, period, get_calendar(resolve_region(None)))
            except CalendarError:
                self.report(
                    "PC314",
                    f"a period of {count} {unit.value} from {start} cannot be counted",
                    span,
                    note=f"it ends outside the years {MIN_YEAR} to {MAX_YEAR}",
                    help=f"a period ends between {MIN_YEAR} and {MAX_YEAR}: shorten it or "
                    "count it from another date",
                )

    def text(self, node: nodes.Expr) -> str:
        return self.source.excerpt(node.span)


def _comparable(left: Type, right: Type) -> bool:
    if left.kind in DATES and right.kind in DATES:
        return True
    return left.kind == right.kind and left.kind != "enum"


def _compare_help(left: Type, right: Type, left_text: str, right_text: str) -> str:
    if left.kind in DATES and right.kind in NUMBERS:
        return (
            f"a date compares with a date; for a period write "
            f"`{left_text} within {right_text} days after <another date>`"
        )
    if right.kind in DATES and left.kind in NUMBERS:
        return (
            f"a date compares with a date; for a period write "
            f"`{right_text} within {left_text} days after <another date>`"
        )
    if {left.kind, right.kind} == NUMBERS:
        return "an amount of money compares with an amount: write it with its currency, `100 USD`"
    return "compare values of the same type"
