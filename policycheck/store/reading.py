"""Reading the decision log for a replay without ever holding it: a database opened as it is
(never created nor migrated) at the schema revision this code reads; the decisions of one policy
in a time window, counted and cut into batches by `seq`; each batch's rows, streamed; the
exceptions made on them, with each one's latest status."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from alembic.script import ScriptDirectory
from sqlalchemy import ColumnElement, Text, and_, cast, func, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from policycheck.store.chain import utc
from policycheck.store.database import MIGRATIONS, Store, StoreError
from policycheck.store.tables import decisions, exception_log

UPGRADE = "start `policycheck serve --db URL` once: it upgrades the store's schema as it starts"


@dataclass(frozen=True)
class Window:
    """The decisions of `policy` logged from `start` (included) to `end` (excluded), UTC."""

    policy: str
    start: datetime | None = None
    end: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """The conditions of a query on `decisions`."""
        found: list[ColumnElement[bool]] = [decisions.c.policy_id == self.policy]
        if self.start is not None:
            found.append(decisions.c.created_at >= self.start)
        if self.end is not None:
            found.append(decisions.c.created_at < self.end)
        return found


class Extent(NamedTuple):
    """Where a window's decisions are in the log: the first and the last `seq` of the decisions
    logged in its days, of every policy (its own are among them)."""

    first_seq: int
    last_seq: int


class Logged(NamedTuple):
    """How many decisions of a policy a window holds, logged from when to when."""

    decisions: int
    first_at: datetime | None
    last_at: datetime | None


class Batch(NamedTuple):
    """The decisions of a window whose `seq` is from `first` to `last`, both included."""

    first: int
    last: int


class LoggedRow(NamedTuple):
    """What a replay reads of a logged decision: its facts as JSON text, what it said then."""

    seq: int
    id: str
    outcome: str
    clause_id: str | None
    facts: str


@functools.cache
def head_revision() -> str:
    """The latest schema revision of the migrations this code ships."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "the migrations have a head"
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every schema revision of the migrations this code ships."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    return frozenset(script.revision for script in scripts.walk_revisions())


def open_log(url: str) -> Store:
    """The store at `url`, read as it is: StoreError saying why it cannot be replayed (a
    malformed or unreachable URL, no database file, a schema older or newer than this code's)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise StoreError(f"malformed database URL `{url}`") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise StoreError(f"no database at `{parsed.database}`; pass --db URL")
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            _check_revision(conn, shown)
    except SQLAlchemyError as problem:
        store.close()
        reason = str(getattr(problem, "orig", None) or problem).strip().splitlines()[0]
        raise StoreError(f"cannot read the database at {shown}: {reason}") from None
    except StoreError:
        store.close()
        raise
    return store


def _check_revision(conn: Connection, shown: str) -> None:
    """StoreError unless the database's schema is at the head revision."""
    schema = inspect(conn)
    if not schema.has_table("decisions"):
        raise StoreError(f"the database at {shown} holds no decision log (no `decisions` table)")
    revision = None
    if schema.has_table("alembic_version"):
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = head_revision()
    if revision == head:
        return
    if revision is None:
        raise StoreError(
            f"the decision log at {shown} has no schema revision; a replay reads revision "
            f"{head}: {UPGRADE}"
        )
    if revision in known_revisions():
        raise StoreError(
            f"the decision log at {shown} is at schema revision {revision}, older than the "
            f"revision {head} a replay reads: {UPGRADE}"
        )
    raise StoreError(
        f"the decision log at {shown} is at schema revision {revision}, which this policycheck "
        f"does not know (it reads {head}): it was written by a newer policycheck; upgrade this one"
    )


def extent(store: Store, window: Window) -> Extent | None:
    """Where the window's decisions are, None when it holds none of its policy: found without
    going through the log (the `seq` index gives its ends; the one of `created_at`, a window's),
    but when the policy has no decision at all."""
    days = window.where()[1:]
    ends = select(func.min(decisions.c.seq), func.max(decisions.c.seq))
    one = select(decisions.c.seq).where(and_(*window.where())).limit(1)
    with store.engine.connect() as conn:
        if conn.execute(one).first() is None:
            return None
        first, last = conn.execute(ends.where(and_(*days)) if days else ends).one()
    return Extent(int(first), int(last))


def logged(store: Store, window: Window) -> Logged:
    """How many decisions of its policy the window holds, from when to when (a whole scan: for
    saying why there is nothing to replay)."""
    query = select(
        func.count(), func.min(decisions.c.created_at), func.max(decisions.c.created_at)
    ).where(and_(*window.where()))
    with store.engine.connect() as conn:
        count, first_at, last_at = conn.execute(query).one()
    return Logged(
        int(count),
        utc(first_at) if first_at is not None else None,
        utc(last_at) if last_at is not None else None,
    )


def policies_logged(store: Store) -> dict[str, int]:
    """How many decisions the log holds per policy id, by id."""
    query = select(decisions.c.policy_id, func.count()).group_by(decisions.c.policy_id)
    with store.engine.connect() as conn:
        return {str(policy): int(count) for policy, count in conn.execute(query)}


def batches(found: Extent, size: int) -> list[Batch]:
    """The window's `seq` range cut into batches of `size` places (the decisions of other
    policies, and of other days, among them are not read)."""
    step = max(1, size)
    return [
        Batch(first, min(first + step - 1, found.last_seq))
        for first in range(found.first_seq, found.last_seq + 1, step)
    ]


def rows(store: Store, window: Window, batch: Batch) -> Iterator[LoggedRow]:
    """The decisions of `window` in `batch`, in `seq` order, streamed (a server-side cursor on
    PostgreSQL), each one's facts as JSON text (parsed by the caller, once per distinct text)."""
    query = (
        select(
            decisions.c.seq,
            decisions.c.id,
            decisions.c.outcome,
            decisions.c.clause_id,
            cast(decisions.c.facts, Text),
        )
        .where(and_(*window.where(), decisions.c.seq.between(batch.first, batch.last)))
        .order_by(decisions.c.seq)
    )
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(query)
        for seq, id_, outcome, clause, facts in result:
            yield LoggedRow(seq, id_, outcome, clause, facts)


def exceptions(store: Store, window: Window, batch: Batch) -> dict[str, list[tuple[str, str]]]:
    """The exceptions made on the decisions of `window` in `batch`: (exception id, its latest
    status) per decision id (few: an exception is made on a small share of refusals)."""
    entries = exception_log
    # decisions first (by `seq`), then their exceptions by decision id: a join would let
    # SQLite go through every exception of the policy, and look up the decision of each
    batch_ids = select(decisions.c.id).where(
        and_(*window.where(), decisions.c.seq.between(batch.first, batch.last))
    )
    query = (
        select(entries.c.exception_id, entries.c.decision_id, entries.c.status)
        .where(entries.c.decision_id.in_(batch_ids.scalar_subquery()))
        .order_by(entries.c.seq)
    )
    latest: dict[str, tuple[str, str]] = {}  # exception id -> (decision id, status)
    with store.engine.connect() as conn:
        for exception_id, decision_id, status in conn.execute(query):
            latest[exception_id] = (decision_id, status)  # a later entry's status wins
    found: dict[str, list[tuple[str, str]]] = {}
    for exception_id, (decision_id, status) in latest.items():
        found.setdefault(decision_id, []).append((exception_id, status))
    return found
