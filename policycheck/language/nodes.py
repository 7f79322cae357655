"""The AST of a rule file: frozen dataclasses, each with the span of the text it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from policycheck.language.money import Money
from policycheck.language.source import Span

#: The weekdays as written in rule files; `CalendarDecl.first_day` and `last_day` index it.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

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


# -- declarations ----------------------------------------------------------------------------------


DEFAULT_CHOSEN_BY = "request.date"  # the fact choosing a policy's version, unless declared


@dataclass(frozen=True, slots=True)
class Header:
    """`policy ID "title"` and its fields."""

    id: str
    title: str
    span: Span
    version: str | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    effective_span: Span | None = None
    timezone: str = "UTC"
    timezone_span: Span | None = None
    language: str = "en"
    document: str | None = None
    language_declared: bool = False  # written in the file, even if it is the default
    timezone_declared: bool = False
    statute: bool = False  # `statute`: mandatory law, which merchant policies may be subject to
    customer_zone: CustomerZone | None = None  # whose clock reads the request's date-times
    in_force_on: Ref | None = None  # `in force on contract.date`: the fact choosing the version

    @property
    def chosen_by(self) -> str:
        """The date fact that chooses the version in force (`request.date` unless declared)."""
        return self.in_force_on.name if self.in_force_on else DEFAULT_CHOSEN_BY


@dataclass(frozen=True, slots=True)
class CustomerZone:
    """`customer timezone of FR at delivery.postcode`: the customer's zone, from their region."""

    country: str
    region_fact: Ref
    span: Span  # the whole line
    country_span: Span


@dataclass(frozen=True, slots=True)
class MappingCase:
    """`VALUE when condition` in a law mapping: the law's enum value when the condition holds."""

    value: str
    value_span: Span
    expr: Expr


@dataclass(frozen=True, slots=True)
class LawMapping:
    """`where LAW-FACT = ...`: how this policy's facts answer one of the law's facts. Exactly
    one of `expr` (a fact, a literal or a condition), `cases` or `unknown` says it."""

    target: Ref  # the law's fact
    span: Span
    expr: Expr | None = None
    cases: tuple[MappingCase, ...] = ()
    unknown: bool = False  # `= unknown`: our requests never say (the law's answer waits on it)


@dataclass(frozen=True, slots=True)
class LawRef:
    """`subject to LAW-ID` and its mappings: the statute beneath this policy."""

    id: str
    span: Span  # the law's id
    mappings: tuple[LawMapping, ...] = ()


@dataclass(frozen=True, slots=True)
class CalendarDecl:
    """`calendar NAME: monday to saturday, closed on public holidays of FR at fact, extended...`;
    or `calendar NAME: months, ...` (`counts`), whose weekdays are every day."""

    name: str
    first_day: int  # 0 = monday
    last_day: int
    country: str | None
    region_fact: Ref | None
    extended: bool
    span: Span  # the calendar's name
    country_span: Span | None = None
    counts: str | None = None  # `months`: the unit word of a calendar of a longer unit
    counts_span: Span | None = None


@dataclass(frozen=True, slots=True)
class FactType:
    """A fact's type: bool, date, datetime, number, money (in a currency, or in any), text, or
    enum with its values."""

    kind: str
    values: tuple[str, ...] = ()
    currency: str | None = None  # `money USD`


@dataclass(frozen=True, slots=True)
class Worded:
    """`fr "la date de livraison"`: a text in one language (a fact's label or question)."""

    language: str
    text: str
    span: Span  # the language code


@dataclass(frozen=True, slots=True)
class FactDecl:
    """`name: type [personal] ["question?"] [label LANG "..", ...] [question LANG "..", ...]`."""

    name: str
    type: FactType
    personal: bool
    question: str | None  # in the policy's language
    span: Span
    labels: tuple[Worded, ...] = ()  # what the fact is called, by language
    questions: tuple[Worded, ...] = ()  # what to ask, by language (beside `question`)

    def label(self, language: str) -> str | None:
        """The fact's declared label in `language`, if any."""
        return next((w.text for w in self.labels if w.language == language), None)

    def question_in(self, language: str, policy_language: str) -> str | None:
        """The declared question in `language` (the bare one is the policy's language's)."""
        found = next((w.text for w in self.questions if w.language == language), None)
        if found is None and language == policy_language:
            return self.question
        return found


@dataclass(frozen=True, slots=True)
class GroupDecl:
    """`group NAME: condition`: a named condition, usable in scopes and conditions."""

    name: str
    expr: Expr
    span: Span  # the group's name


@dataclass(frozen=True, slots=True)
class Scope:
    """`applies to KIND [or KIND...] [of GROUP]`."""

    kinds: tuple[Ref, ...]
    group: Ref | None
    span: Span


@dataclass(frozen=True, slots=True)
class Rule:
    """`allow when condition` or `refuse when condition`."""

    outcome: str
    expr: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Discretion:
    """`discretion LEVEL [when late by at most N UNIT | when formal]`; no `when`: always."""

    level: str
    reason: str  # "always", "near_miss" or "formal"
    tolerance: int
    unit: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Fee:
    """`fee "label" AMOUNT [when condition]`: a fee computed for a request the clause allows."""

    label: str
    amount: Expr
    span: Span
    when: Expr | None = None


@dataclass(frozen=True, slots=True)
class Remedy:
    """`remedy KIND [of AMOUNT] ["text"] [when condition]`; a clause's remedies are tried in
    order, and the first whose condition holds (or that has none) is the customer's."""

    kind: str
    span: Span
    amount: Expr | None = None
    text: str | None = None
    when: Expr | None = None


@dataclass(frozen=True, slots=True)
class ClauseDecl:
    """One paragraph of the terms, formalised."""

    id: str
    title: str
    span: Span
    source: str | None = None
    scope: Scope | None = None
    rules: tuple[Rule, ...] = ()
    otherwise: str | None = None
    otherwise_span: Span | None = None
    requirements: tuple[Expr, ...] = ()
    obligations: tuple[str, ...] = ()
    fees: tuple[str, ...] = ()  # `fees may charge "..."`: said, not computed
    charges: tuple[Fee, ...] = ()  # `fee "label" AMOUNT`: computed
    remedies: tuple[Remedy, ...] = ()
    discretions: tuple[Discretion, ...] = ()
    exception_to: tuple[Ref, ...] = ()
    overrides: tuple[Ref, ...] = ()


@dataclass(frozen=True, slots=True)
class Outside:
    """`outside KIND [or KIND] "why"`: requests the policy is silent on by design."""

    kinds: tuple[Ref, ...]
    reason: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Assignment:
    """`fact = value` in an example; value None means the fact is given as unknown."""

    fact: Ref
    value: date | datetime | Decimal | str | bool | None
    span: Span


@dataclass(frozen=True, slots=True)
class Expectation:
    """`expect ...`: kind is outcome, deadline, rigid, firm, missing, proposal, layer (the
    layer that decided: `contract` or `law`), terms (the terms' own outcome under the law),
    remedy, fee or no_fees."""

    kind: str
    span: Span
    outcome: str | None = None
    clause: Ref | None = None
    deadline: date | None = None
    level: str | None = None
    facts: tuple[Ref, ...] = ()
    agrees: bool | None = None
    layer: str | None = None
    kind_name: str | None = None  # `expect remedy KIND`
    label: str | None = None  # `expect fee "label" AMOUNT`
    amount: Money | None = None  # the remedy's or the fee's amount; None: `none` or not given
    amount_given: bool = False  # an amount (or `none`) was written


@dataclass(frozen=True, slots=True)
class Example:
    """A worked case: the facts given, the agent's proposal if any, what the decision must be."""

    name: str
    given: tuple[Assignment, ...]
    proposed: tuple[str, Ref | None] | None
    expectations: tuple[Expectation, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A whole rule file: one policy."""

    header: Header
    calendars: tuple[CalendarDecl, ...]
    facts: tuple[FactDecl, ...]
    groups: tuple[GroupDecl, ...]
    clauses: tuple[ClauseDecl, ...]
    examples: tuple[Example, ...] = ()
    outside: tuple[Outside, ...] = ()
    laws: tuple[LawRef, ...] = ()
