"""Read-only queries on the decision log for the review: plain rows, counted by the database."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.engine import Connection

from policycheck.store.tables import decisions


class RefusalGroup(NamedTuple):
    """How many refusals a policy's clause gave under one agent key, rigid or not."""

    policy_id: str
    clause_id: str | None
    agent_key_id: str | None
    rigid: bool
    total: int  # how many refusals


def refusal_groups(
    conn: Connection, policy: str | None, start: datetime | None, end: datetime | None
) -> list[RefusalGroup]:
    """The refusals logged from `start` (inclusive) to `end` (exclusive), of `policy` if
    given, counted per policy, clause, agent key and rigidity (one grouped SELECT)."""
    table = decisions
    where = [table.c.outcome == "refuse", *_window(policy, start, end)]
    columns = (table.c.policy_id, table.c.clause_id, table.c.agent_key_id, table.c.rigid)
    query = select(*columns, func.count()).where(and_(*where)).group_by(*columns)
    return [
        RefusalGroup(policy_id, clause_id, agent, bool(rigid), int(total))
        for policy_id, clause_id, agent, rigid, total in conn.execute(query)
    ]


class UnlawfulGroup(NamedTuple):
    """How many refusals of a policy's clause the law beneath the terms overruled."""

    policy_id: str
    clause_id: str | None  # the terms' clause that refused
    total: int


def unlawful_groups(
    conn: Connection, policy: str | None, start: datetime | None, end: datetime | None
) -> list[UnlawfulGroup]:
    """The decisions logged from `start` to `end` (excluded) in which the terms refused what
    the law allowed (`"contract": {"unlawful": true}`), counted per policy and terms' clause."""
    table = decisions
    contract = table.c.decision["contract"]
    clause = table.c.decision[("contract", "clause", "id")].as_string()
    unlawful = contract["unlawful"].as_boolean().is_(True)
    where = [table.c.outcome == "allow", unlawful, *_window(policy, start, end)]
    query = select(table.c.policy_id, clause, func.count()).where(and_(*where))
    query = query.group_by(table.c.policy_id, clause)
    return [
        UnlawfulGroup(policy_id, clause_id, int(total))
        for policy_id, clause_id, total in conn.execute(query)
    ]


def _window(
    policy: str | None, start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    """The decisions of `policy` (every policy when None) logged from `start` to `end`."""
    table = decisions
    where: list[ColumnElement[bool]] = []
    if policy:
        where.append(table.c.policy_id == policy)
    if start is not None:
        where.append(table.c.created_at >= start)
    if end is not None:
        where.append(table.c.created_at < end)
    return where
