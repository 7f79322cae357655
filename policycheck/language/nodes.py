"""The AST of a rule file: frozen dataclasses, each with the span of the text it came from. The
declarations are here; the conditions and amounts they hold are in `expressions`, re-exported so
that `nodes.Ref` and `nodes.Header` are both at hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from policycheck.language.expressions import (
    MONTHS,
    MULTIPLICATION,
    And,
    Arith,
    Between,
    Compare,
    DayOfYear,
    Expr,
    Extreme,
    FeesTotal,
    FixedLimit,
    Known,
    Limit,
    Literal,
    Member,
    Not,
    OnOrBefore,
    Or,
    PeriodLimit,
    Ref,
    Within,
    YearlyLimit,
    period_units,
    withins,
)
from policycheck.language.money import Money
from policycheck.language.source import Span

#: The weekdays as written in rule files; `CalendarDecl.first_day` and `last_day` index it.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

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


__all__ = [
    "DEFAULT_CHOSEN_BY",
    "MONTHS",
    "MULTIPLICATION",
    "WEEKDAYS",
    "And",
    "Arith",
    "Assignment",
    "Between",
    "CalendarDecl",
    "ClauseDecl",
    "Compare",
    "CustomerZone",
    "DayOfYear",
    "Discretion",
    "Example",
    "Expectation",
    "Expr",
    "Extreme",
    "FactDecl",
    "FactType",
    "Fee",
    "FeesTotal",
    "FixedLimit",
    "GroupDecl",
    "Header",
    "Known",
    "LawMapping",
    "LawRef",
    "Limit",
    "Literal",
    "MappingCase",
    "Member",
    "Not",
    "OnOrBefore",
    "Or",
    "Outside",
    "PeriodLimit",
    "Ref",
    "Remedy",
    "Rule",
    "RuleFile",
    "Scope",
    "Within",
    "Worded",
    "YearlyLimit",
    "period_units",
    "withins",
]
