"""The AST of a rule file's conditions and amounts: frozen dataclasses, each with the span of the
text it came from (the declarations around them are in `nodes`, which re-exports these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from policycheck.language.money import Money
from policycheck.language.source import Span

# -- expressions -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """A dotted name: a fact, a group, or (in a comparison with an enum fact) one of its values."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Literal:
    """A date, number, amount (`25 USD`), percentage (`15%`, held as 0.15), text or true/false
    written in the rule file."""

    value: date | Decimal | Money | str | bool
    span: Span
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Compare:
    """`left op right`, op one of = != < <= > >=."""

    left: Expr
    op: str
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Member:
    """`operand in [v1, v2]`."""

    operand: Expr
    values: tuple[Ref | Literal, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Within:
    """`subject within COUNT UNIT after|before anchor`: a period from the anchor's date."""

    subject: Expr
    count: int
    unit: str
    unit_span: Span
    before: bool
    anchor: Expr
    span: Span
    count_span: Span | None = None


MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)  # month names as written in rule files (lowercase or capitalised); `DayOfYear.month` - 1


@dataclass(frozen=True, slots=True)
class DayOfYear:
    """`31 january`: a day of any year (29 february is 28 february in a year without one)."""

    day: int
    month: int  # 1 = january; 0 for a word that is no month (reported), kept in `written`
    span: Span
    written: str = ""  # the month as written when it is no month


@dataclass(frozen=True, slots=True)
class PeriodLimit:
    """`30 calendar_days after delivery.date` in `on or before the later of`: counted as in
    `within`."""

    count: int
    unit: str
    unit_span: Span
    before: bool
    anchor: Expr
    span: Span
    count_span: Span
    condition: Expr | None = None  # `... if CONDITION` in `the later of`: counts only then


@dataclass(frozen=True, slots=True)
class FixedLimit:
    """`2010-01-31`: a last day written as a date."""

    day: date
    span: Span
    condition: Expr | None = None  # `... if CONDITION` in `the later of`: counts only then


@dataclass(frozen=True, slots=True)
class YearlyLimit:
    """`31 january of the year after delivery.date` (years_after 1), or `of the year of`
    (years_after 0): that day in the anchor's year (its local day's year), moved on."""

    day: DayOfYear
    years_after: int
    anchor: Expr
    span: Span
    condition: Expr | None = None  # `... if CONDITION` in `the later of`: counts only then


Limit = PeriodLimit | FixedLimit | YearlyLimit


@dataclass(frozen=True, slots=True)
class OnOrBefore:
    """`subject on or before LIMIT`, or `... on or before the later|earlier of L1 and L2`: in time
    when the subject is on or before the last day (the later, or earlier, of the two)."""

    subject: Expr
    limits: tuple[Limit, ...]  # one, or two for `the later of` / `the earlier of`
    later: bool  # `the later of` (True) or `the earlier of`; True with a single limit
    span: Span

    @property
    def anchors(self) -> tuple[Expr, ...]:
        """The dates the limits are counted from."""
        return tuple(limit.anchor for limit in self.limits if not isinstance(limit, FixedLimit))


@dataclass(frozen=True, slots=True)
class Between:
    """`subject between 1 november and 24 december`: a window of days of any year, both ends
    included; it wraps the year's end when the first day comes after the second."""

    subject: Expr
    first: DayOfYear
    last: DayOfYear
    span: Span


@dataclass(frozen=True, slots=True)
class Known:
    """`operand is known` / `operand is unknown`."""

    operand: Expr
    known: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    """`not operand`."""

    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class And:
    """`a and b and ...`."""

    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Or:
    """`a or b or ...`."""

    items: tuple[Expr, ...]
    span: Span


MULTIPLICATION = "\N{MULTIPLICATION SIGN}"  # rule files may write it for `*`


@dataclass(frozen=True, slots=True)
class Arith:
    """`left op right`, op one of + - * / (the multiplication sign is read as `*`) or `of`
    (`15% of x`): arithmetic on numbers and money."""

    left: Expr
    op: str
    right: Expr
    span: Span
    op_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Extreme:
    """`min(a, b, ...)` or `max(a, b, ...)`."""

    name: str  # "min" or "max"
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class FeesTotal:
    """`fees` in a remedy: the total of the clause's computed fees that apply."""

    span: Span


Expr = (
    Ref
    | Literal
    | Compare
    | Member
    | Within
    | Known
    | Not
    | And
    | Or
    | OnOrBefore
    | Between
    | Arith
    | Extreme
    | FeesTotal
)


def withins(expr: Expr) -> list[Within | OnOrBefore]:
    """The periods of a condition (`within`, `on or before`), through its and/or/not."""
    if isinstance(expr, Within | OnOrBefore):
        return [expr]
    if isinstance(expr, Not):
        return withins(expr.operand)
    if isinstance(expr, And | Or):
        return [found for item in expr.items for found in withins(item)]
    return []


def period_units(period: Within | OnOrBefore) -> list[str]:
    """The units (calendars) a period counts in: none for a last day that is a date."""
    if isinstance(period, Within):
        return [period.unit]
    return [limit.unit for limit in period.limits if isinstance(limit, PeriodLimit)]
