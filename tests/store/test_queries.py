"""Store.refusals: the refusals of a time window counted by the database, the same on SQLite and
PostgreSQL, as a count made here in Python of the same records."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from policycheck.store import DecisionRecord, Store

DAY = datetime(2025, 3, 1, tzinfo=UTC)
Group = tuple[str, str | None, str | None, bool]  # policy, clause, agent key, rigid


def record(
    n: int, policy: str, outcome: str, clause: str | None, agent: str | None, rigid: bool
) -> DecisionRecord:
    """A record logged `n` hours after the start of DAY (the fields the count reads)."""
    return DecisionRecord(
        id=uuid.uuid4().hex,
        created_at=DAY + timedelta(hours=n),
        agent_key_id=agent,
        policy_id=policy,
        policy_version="1",
        policy_hash="sha256:" + "0" * 64,
        outcome=outcome,
        clause_id=clause,
        rigid=rigid,
        facts={},
        decision={"outcome": outcome},
    )


# every combination, one an hour over two days (48 records, the first hour of each day included)
COMBINATIONS = itertools.product(
    ("p", "q"), ("refuse", "allow"), ("a", None), ("k1", "k2", None), (True, False)
)
RECORDS = [record(n, *fields) for n, fields in enumerate(COMBINATIONS)]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store(db_url)
    opened.migrate()
    opened.log_decisions(RECORDS)
    yield opened
    opened.close()


def expected(policy: str | None, start: datetime | None, end: datetime | None) -> Counter[Group]:
    return Counter(
        (r.policy_id, r.clause_id, r.agent_key_id, r.rigid)
        for r in RECORDS
        if r.outcome == "refuse"
        and (policy is None or r.policy_id == policy)
        and (start is None or r.created_at >= start)
        and (end is None or r.created_at < end)
    )


@pytest.mark.parametrize(
    ("policy", "start", "end"),
    [
        (None, None, None),
        ("p", None, None),
        (None, DAY + timedelta(days=1), None),  # from the first hour of a day, included
        (None, None, DAY + timedelta(days=1)),  # up to the day's end, its next hour excluded
        ("q", DAY + timedelta(hours=30), DAY + timedelta(hours=31)),
        ("nobody", None, None),
    ],
)
def test_refusals_are_counted_per_policy_clause_agent_and_rigidity(
    store: Store, policy: str | None, start: datetime | None, end: datetime | None
) -> None:
    groups = store.refusals(policy, start, end)
    counted = Counter(
        {(g.policy_id, g.clause_id, g.agent_key_id, g.rigid): g.total for g in groups}
    )
    assert len(counted) == len(groups)  # one row per group
    assert counted == expected(policy, start, end)
    assert all(type(g.rigid) is bool and type(g.total) is int for g in groups)
    if policy != "nobody":
        assert groups  # every window here holds refusals
