"""Properties the analysis's proofs rest on, checked against the evaluator, and the analysis
checked against a brute-force search on random small policies."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.analysis.encode import Encoder
from policycheck.analysis.findings import analyse
from policycheck.analysis.periods import edges
from policycheck.evaluation.decision import Outcome
from policycheck.language.source import Source
from policycheck.policy import Policy, diagnose, load_source
from tests.analysis.test_solver_findings import example_facts

HEADER = """policy p "P"
  timezone "Europe/Paris"
  language en

calendar ouvrables: monday to saturday, closed on public holidays of FR at delivery.postcode

facts
  request.kind: one of return, exchange
  request.date: date
  request.at: datetime
  delivery.date: date
  delivery.at: datetime
  delivery.postcode: text
  order.amount: number
"""

days = st.dates(date(1990, 1, 1), date(2150, 12, 31))
instants = st.datetimes(datetime(1990, 1, 1), datetime(2150, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


def one_rule(condition: str) -> Policy:
    text = HEADER + f'\nclause r "R"\n  applies to return\n  allow when {condition}\n'
    return load_source(Source("p.policy", text))


def holds(policy: Policy, facts: dict[str, Any]) -> bool:
    return policy.evaluate({"request": {"kind": "return"}, **facts}).outcome is Outcome.ALLOW


@settings(max_examples=60, deadline=None)
@given(anchor=days, count=st.integers(0, 60), weeks=st.booleans(), before=st.booleans())
def test_calendar_days_and_weeks_end_exactly_the_period_after_the_anchor(
    anchor: date, count: int, weeks: bool, before: bool
) -> None:
    """The exact axiom of `periods.axioms` for days and weeks between two dates."""
    unit = "weeks" if weeks else "days"
    policy = one_rule(
        f"request.date within {count} {unit} {'before' if before else 'after'} delivery.date"
    )
    end = anchor + timedelta(days=(-1 if before else 1) * count * (7 if weeks else 1))
    for asked, expected in ((end, True), (end + timedelta(days=1), False)):
        facts = {
            "request": {"kind": "return", "date": asked.isoformat()},
            "delivery": {"date": anchor.isoformat()},
        }
        assert holds(policy, facts) is expected


@settings(max_examples=60, deadline=None)
@given(anchor=instants, count=st.integers(0, 200), before=st.booleans())
def test_hours_end_exactly_the_period_after_the_anchor(
    anchor: datetime, count: int, before: bool
) -> None:
    """The exact axiom of `periods.axioms` for hours between two date-times."""
    policy = one_rule(
        f"request.at within {count} hours {'before' if before else 'after'} delivery.at"
    )
    end = anchor + timedelta(hours=(-1 if before else 1) * count)
    for asked, expected in ((end, True), (end + timedelta(seconds=1), False)):
        facts = {
            "request": {"kind": "return", "at": asked.isoformat()},
            "delivery": {"at": anchor.isoformat()},
        }
        assert holds(policy, facts) is expected


@settings(max_examples=40, deadline=None)
@given(
    first=days,
    gap=st.integers(0, 400),
    count=st.integers(1, 30),
    place=st.sampled_from(["75011", "57000", "97100", "97400", None]),
)
def test_a_later_anchor_never_makes_a_working_day_period_end_earlier(
    first: date, gap: int, count: int, place: str | None
) -> None:
    """The monotony the lemmas generalise with (`periods.lemma`), on the real calendar:
    at a later delivery the last day in time, and the first day late, are no earlier."""
    text = HEADER + (
        '\nclause r "R"\n  applies to return\n'
        f"  allow when request.date within {count} ouvrables after delivery.date\n"
    )
    compiled, _ = diagnose(Source("p.policy", text))
    assert compiled is not None
    encoder = Encoder(compiled)
    node = compiled.clauses[0].rules[0].node
    encoder.node(node)
    [deadline] = encoder.deadlines.values()
    later = first + timedelta(days=gap)
    region = {"delivery.postcode": place} if place else {}
    early = edges(encoder, deadline, {"delivery.date": first, **region})
    late = edges(encoder, deadline, {"delivery.date": later, **region})
    assert early[0] <= late[0]
    assert early[1] <= late[1]
    assert early[0] < early[1]


# -- the analysis against a brute-force search ----------------------------------------------------

OPERATORS = ("<", "<=", ">", ">=")
THRESHOLDS = (10, 20, 30)
clause = st.tuples(
    st.sampled_from(["return", "exchange", "return or exchange"]),
    st.sampled_from(OPERATORS),
    st.sampled_from(THRESHOLDS),
    st.sampled_from(["allow", "refuse"]),
)


def policy_text(clauses: list[tuple[str, str, int, str]]) -> str:
    text = HEADER
    for i, (kinds, op, threshold, outcome) in enumerate(clauses):
        other = "refuse" if outcome == "allow" else "allow"
        text += (
            f'\nclause c{i} "C{i}"\n  applies to {kinds}\n'
            f"  {outcome} when order.amount {op} {threshold}\n  otherwise {other}\n"
        )
    return text


@settings(max_examples=25, deadline=None)
@given(clauses=st.lists(clause, min_size=1, max_size=3))
def test_the_analysis_finds_a_gap_and_an_overlap_exactly_when_one_exists(
    clauses: list[tuple[str, str, int, str]],
) -> None:
    """Amounts only cross a threshold of the file: trying each threshold, and the amounts
    half-way between and beyond them, tries every case; the analysis must agree with that."""
    source = Source("p.policy", policy_text(clauses))
    compiled, _ = diagnose(source)
    assert compiled is not None
    found = {d.code for d in analyse(compiled, compiled.rule_file).diagnostics}
    policy = load_source(source)
    amounts = sorted({Decimal(t) + d for t in THRESHOLDS for d in (Decimal(-5), 0, Decimal(5))})
    outcomes = {
        policy.evaluate({"request": {"kind": kind}, "order": {"amount": str(amount)}}).outcome
        for kind, amount in itertools.product(["return", "exchange"], amounts)
    }
    assert ("PC402" in found) == (Outcome.CONFLICT in outcomes)
    assert ("PC407" in found) == (Outcome.NO_CLAUSE in outcomes)


# -- a richer fragment: sound proofs, reproduced findings ------------------------------------------

ATOMS = (
    "order.amount > 20",
    "order.amount <= 10.5",
    "product.opened",
    "product.opened is known",
    "product.category = book",
    "product.category in [book, game]",
    "request.date within 14 days after delivery.date",
    "request.date within 3 ouvrables after delivery.date",
    "request.date on or before 2024-06-30",
    "delivery.date between 1 november and 24 december",
    "request.date > delivery.date",
)
RICH_HEADER = HEADER.replace(
    "  order.amount: number\n",
    "  order.amount: number\n  product.opened: bool\n  product.category: one of book, game, toy\n",
)
condition = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: f"({p[0]} and {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} or {p[1]})"),
        inner.map(lambda c: f"not ({c})"),
    ),
    max_leaves=3,
)
rich_clause = st.tuples(
    st.sampled_from(["return", "exchange", "return or exchange"]), condition, st.booleans()
)
sampled = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["return", "exchange"]),
        "amount": st.sampled_from([None, "5", "10.5", "15", "20", "25"]),
        "opened": st.sampled_from([None, True, False]),
        "category": st.sampled_from([None, "book", "game", "toy"]),
        "request": st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2025, 3, 1))),
        "delivery": st.one_of(st.none(), st.dates(date(2023, 12, 1), date(2025, 2, 1))),
    }
)


def rich_text(clauses: list[tuple[str, str, bool]]) -> str:
    text = RICH_HEADER
    for i, (kinds, when, allow) in enumerate(clauses):
        outcome, other = ("allow", "refuse") if allow else ("refuse", "allow")
        text += (
            f'\nclause c{i} "C{i}"\n  applies to {kinds}\n'
            f"  {outcome} when {when}\n  otherwise {other}\n"
        )
    return text


def request_of(values: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {"request": {"kind": values["kind"]}}
    if values["request"] is not None:
        facts["request"]["date"] = values["request"].isoformat()
    if values["delivery"] is not None:
        facts["delivery"] = {"date": values["delivery"].isoformat(), "postcode": "75011"}
    if values["amount"] is not None:
        facts["order"] = {"amount": values["amount"]}
    product = {k: values[k] for k in ("opened", "category") if values[k] is not None}
    if product:
        facts["product"] = product
    return facts


@settings(max_examples=60, deadline=None)
@given(
    clauses=st.lists(rich_clause, min_size=1, max_size=3),
    requests=st.lists(sampled, min_size=20, max_size=20),
)
def test_proofs_hold_on_sampled_requests_and_findings_reproduce(
    clauses: list[tuple[str, str, bool]], requests: list[dict[str, Any]]
) -> None:
    """What the analysis proves no sampled request contradicts; what it finds, its own
    example shows (`eval` gives conflict for an overlap, no_clause for a gap)."""
    source = Source("p.policy", rich_text(clauses))
    compiled, diagnostics = diagnose(source)
    assert compiled is not None, [d.message for d in diagnostics]
    analysis = analyse(compiled, compiled.rule_file)
    policy = load_source(source)
    outcomes = {policy.evaluate(request_of(values)).outcome for values in requests}
    if "no overlap" in analysis.proved:
        assert Outcome.CONFLICT not in outcomes
    if "no gap" in analysis.proved:
        assert Outcome.NO_CLAUSE not in outcomes
    for finding in analysis.diagnostics:
        if finding.code in ("PC402", "PC407"):
            facts = example_facts(finding, policy)
            expected = Outcome.CONFLICT if finding.code == "PC402" else Outcome.NO_CLAUSE
            assert policy.evaluate(facts).outcome is expected, finding.help
