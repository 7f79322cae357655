"""Versions in force: the rule files sharing a policy id, the period of each (both days
included), the date fact that chooses one, and the problems between them (PC411, PC421-PC423)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.evaluation.facts import FactsError
from policycheck.evaluation.versions import NoVersionInForceError, PolicyVersions
from policycheck.language.check_versions import Period, check_versions
from policycheck.language.diagnostics import Severity
from policycheck.language.source import Source
from policycheck.policy import Policy, diagnose, load_source, load_versions


def text(
    version: str | None,
    effective: str | None,
    in_force: str = "",
    days: int = 14,
    policy_id: str = "shop",
    order_type: str = "date",
) -> str:
    """A small rule file: returns within `days` days of delivery."""
    lines = [f'policy {policy_id} "Shop — returns"']
    lines += [f'  version "{version}"'] if version else []
    lines += [f"  effective {effective}"] if effective else []
    lines += [f"  in force on {in_force}"] if in_force else []
    lines += [
        '  timezone "Europe/Paris"',
        "facts",
        "  request.kind: one of return",
        "  request.date: date",
        f"  order.date: {order_type}",
        "  delivery.date: date",
        'clause r "Returns"',
        "  applies to return",
        f"  allow when request.date within {days} days after delivery.date",
    ]
    return "\n".join(lines) + "\n"


def load(name: str, rule_text: str) -> Policy:
    return load_source(Source(name, rule_text))


V2025 = load("shop-2025.policy", text("2025", "2025-01-01 until 2025-12-31", days=14))
V2026 = load("shop-2026.policy", text("2026", "2026-01-01", days=30))
SHOP = PolicyVersions([V2026, V2025])


def facts(asked: str | None, delivered: str = "2025-12-20", **more: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"kind": "return"}
    if asked is not None:
        request["date"] = asked
    return {"request": request, "delivery": {"date": delivered}, **more}


# -- the period --------------------------------------------------------------------------------


def test_a_period_holds_both_of_its_days() -> None:
    period = Period(date(2012, 1, 1), date(2014, 6, 13))
    assert period.holds(date(2012, 1, 1))
    assert period.holds(date(2014, 6, 13))
    assert not period.holds(date(2011, 12, 31))
    assert not period.holds(date(2014, 6, 14))
    assert Period(None, None).holds(date(1900, 1, 1))
    assert period.describe() == "2012-01-01 to 2014-06-13"
    assert Period(date(2025, 1, 1), None).describe() == "from 2025-01-01"


def test_consecutive_periods_do_not_overlap_and_a_shared_day_does() -> None:
    first = Period(date(2025, 1, 1), date(2025, 12, 31))
    assert not first.overlaps(Period(date(2026, 1, 1), None))
    assert first.overlaps(Period(date(2025, 12, 31), None))
    assert first.overlaps(Period(None, None))


# -- choosing the version ----------------------------------------------------------------------


def test_the_versions_are_sorted_earliest_first_and_the_latest_is_shown() -> None:
    assert [v.compiled.header.version for v in SHOP.versions] == ["2025", "2026"]
    assert SHOP.latest is V2026
    assert SHOP.id == "shop"


def test_each_request_is_decided_by_the_version_of_its_date() -> None:
    # delivered 20 Dec 2025, asked on the 14th and the 20th day after it
    old, decision = SHOP.decide(facts("2025-12-31"))
    assert old is V2025
    assert decision.to_dict()["policy"]["version"] == "2025"
    new, decision = SHOP.decide(facts("2026-01-09"))  # day 20: late under 14 days, not 30
    assert new is V2026
    assert decision.outcome.value == "allow"
    assert V2025.evaluate(facts("2026-01-09")).outcome.value == "refuse"


def test_the_boundary_days_belong_to_their_own_version() -> None:
    assert SHOP.in_force(facts("2025-12-31")) is V2025
    assert SHOP.in_force(facts("2026-01-01")) is V2026


def test_a_date_before_every_version_names_the_periods() -> None:
    with pytest.raises(NoVersionInForceError) as raised:
        SHOP.in_force(facts("2024-12-31"))
    error = raised.value
    assert (error.day, error.fact) == (date(2024, 12, 31), "request.date")
    assert error.to_errors() == [
        {"fact": "request.date", "version": "2025",
         "effective": {"from": "2025-01-01", "until": "2025-12-31"}},
        {"fact": "request.date", "version": "2026",
         "effective": {"from": "2026-01-01", "until": None}},
    ]  # fmt: skip
    assert "2024-12-31" in str(error)
    assert "2025-01-01 to 2025-12-31" in str(error)


def test_an_unknown_date_with_several_versions_is_no_version_in_force() -> None:
    with pytest.raises(NoVersionInForceError) as raised:
        SHOP.in_force(facts(None))
    assert raised.value.day is None
    assert str(raised.value).startswith("`request.date` is unknown")


def test_an_unknown_date_with_one_version_is_decided_by_it() -> None:
    only = PolicyVersions([V2025])
    version, decision = only.decide(facts(None))
    assert version is V2025
    assert decision.outcome.value == "needs_info"
    with pytest.raises(NoVersionInForceError):
        only.in_force(facts("2026-01-09"))


def test_a_malformed_date_lists_every_problem_of_the_request() -> None:
    bad = facts("2025-13-01", delivered="yesterday")
    with pytest.raises(FactsError) as raised:
        SHOP.decide(bad, {"outcome": "maybe"})
    assert {p.fact for p in raised.value.problems} == {
        "request.date",
        "delivery.date",
        "proposed.outcome",
    }


def test_the_fact_named_by_in_force_on_chooses_and_a_datetime_is_read_in_the_policys_zone() -> None:
    old = load("o-2025.policy", text("2025", "2025-01-01 until 2025-12-31", "order.date", 14))
    new = load(
        "o-2026.policy",
        text("2026", "2026-01-01", "order.date", 30),
    )
    shop = PolicyVersions([old, new])
    # ordered in 2025, asked in 2026: the 2025 terms (14 days) decide
    late = facts("2026-01-09", order={"date": "2025-12-18"})
    assert shop.in_force(late) is old
    assert shop.decide(late)[1].outcome.value == "refuse"
    # 23:30 in New York on 31 December is already 1 January in Paris, the policy's zone
    at_midnight = facts("2026-01-09", order={"date": "2025-12-31T23:30:00-05:00"})
    assert shop.in_force(at_midnight) is new
    with pytest.raises(NoVersionInForceError) as raised:
        shop.in_force(facts("2026-01-09"))  # the order date is unknown
    assert raised.value.fact == "order.date"


def test_overlapping_versions_cannot_be_put_together() -> None:
    overlapping = load("shop-x.policy", text("2025b", "2025-06-01", days=21))
    with pytest.raises(ValueError, match="overlap"):
        PolicyVersions([V2025, overlapping])


@given(
    start=st.dates(date(1990, 1, 1), date(2100, 1, 1)),
    lengths=st.lists(st.integers(1, 2000), min_size=1, max_size=4),
    gaps=st.lists(st.integers(0, 30), min_size=4, max_size=4),
    day=st.dates(date(1980, 1, 1), date(2130, 1, 1)),
    open_end=st.booleans(),
)
def test_the_version_chosen_is_the_one_whose_period_holds_the_date(
    start: date, lengths: list[int], gaps: list[int], day: date, open_end: bool
) -> None:
    periods: list[Period] = []
    begin = start
    for index, length in enumerate(lengths):
        last = index == len(lengths) - 1
        until = None if last and open_end else begin + timedelta(days=length - 1)
        periods.append(Period(begin, until))
        if until is not None:
            begin = until + timedelta(days=1 + gaps[index])
    versions = [
        load(f"v{i}.policy", text(f"v{i}", f"{p.start}" + (f" until {p.until}" if p.until else "")))
        for i, p in enumerate(periods)
    ]
    shop = PolicyVersions(reversed(versions))
    holding = [v for v, p in zip(versions, periods, strict=True) if p.holds(day)]
    assert len(holding) <= 1
    if holding:
        assert shop.in_force(facts(day.isoformat())) is holding[0]
    else:
        with pytest.raises(NoVersionInForceError) as raised:
            shop.in_force(facts(day.isoformat()))
        assert raised.value.day == day
        assert [e["version"] for e in raised.value.to_errors()] == [
            f"v{i}" for i in range(len(periods))
        ]


# -- the syntax and the checks of one file --------------------------------------------------------


def codes(rule_text: str) -> list[str]:
    _, diagnostics = diagnose(Source("x.policy", rule_text))
    return [d.code for d in diagnostics if d.severity is Severity.ERROR]


def test_in_force_on_names_a_declared_date_or_datetime_fact() -> None:
    assert codes(text("1", "2025-01-01", "order.date")) == []
    assert codes(text("1", "2025-01-01", "order.date", order_type="datetime")) == []
    assert codes(text("1", "2025-01-01", "order.dat")) == ["PC201"]
    assert codes(text("1", "2025-01-01", "order.date", order_type="text")) == ["PC321"]
    assert load("x.policy", text("1", "2025-01-01")).compiled.header.chosen_by == "request.date"


# -- the checks between files -------------------------------------------------------------------


def between(*files: tuple[str, str]) -> list[tuple[str, str, int]]:
    versions = []
    for name, rule_text in files:
        compiled, _ = diagnose(Source(name, rule_text))
        assert compiled is not None
        versions.append((compiled.source, compiled.rule_file))
    return [(d.code, d.file, d.span.line) for d in check_versions(versions)]


def test_overlapping_periods_are_pc411_at_the_later_files_effective_line() -> None:
    found = between(
        ("a.policy", text("1", "2025-01-01 until 2025-12-31")),
        ("b.policy", text("2", "2025-12-31")),
    )
    assert found == [("PC411", "b.policy", 3)]


def test_a_version_without_a_period_overlaps_every_other() -> None:
    assert [
        c for c, *_ in between(("a.policy", text("1", None)), ("b.policy", text("2", "2026-01-01")))
    ] == ["PC411"]


def test_consecutive_versions_are_clean_and_a_gap_is_a_warning() -> None:
    consecutive = (
        ("a.policy", text("1", "2025-01-01 until 2025-12-31")),
        ("b.policy", text("2", "2026-01-01")),
    )
    assert between(*consecutive) == []
    gap = between(
        ("a.policy", text("1", "2025-01-01 until 2025-11-30")),
        ("b.policy", text("2", "2026-01-01")),
    )
    assert gap == [("PC423", "b.policy", 3)]


def test_versions_chosen_by_different_facts_or_alike_named_are_errors() -> None:
    found = between(
        ("a.policy", text("1", "2025-01-01 until 2025-12-31")),
        ("b.policy", text("1", "2026-01-01", "order.date")),
    )
    assert sorted(c for c, *_ in found) == ["PC421", "PC422"]
    unnamed = between(
        ("a.policy", text(None, "2025-01-01 until 2025-12-31")),
        ("b.policy", text("2", "2026-01-01")),
    )
    assert unnamed == [("PC422", "a.policy", 1)]


def test_files_of_other_ids_are_not_versions_of_each_other() -> None:
    assert (
        between(
            ("a.policy", text("1", "2025-01-01")),
            ("b.policy", text("1", "2025-01-01", policy_id="other")),
        )
        == []
    )


def test_load_versions_groups_by_id_or_reports_every_error() -> None:
    policies, errors = load_versions(
        [
            Source("a.policy", text("1", "2025-01-01 until 2025-12-31")),
            Source("b.policy", text("2", "2026-01-01")),
        ]
    )
    assert errors == []
    assert [v.compiled.header.version for v in policies["shop"].versions] == [
        "1",
        "2",
    ]
    policies, errors = load_versions(
        [Source("a.policy", text("1", "2025-01-01")), Source("b.policy", text("2", "2026-01-01"))]
    )
    assert policies == {}
    assert [(s.name, d.code) for s, d in errors] == [("b.policy", "PC411")]
