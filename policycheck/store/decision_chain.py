"""The decision log's chain: each decision carries its place (`seq`), the hash of its content
linked to the hash of the decision before it, and a seal of that hash (seal.py).

The content hashed is the row as the database keeps it: its fields, and its facts and decision
JSON as the database gives them back (SQLite keeps the text written; PostgreSQL's JSONB is
normalised, so the writer hashes the text PostgreSQL makes of it). Writers chain a batch while
they hold the log's write lock (the lock file and SQLite's write lock, a PostgreSQL advisory
lock), so that processes writing at once never read the same head; a unique `seq` makes a fork
impossible even for a writer that skips the lock. `verify` names the first decision edited,
deleted, moved, added by hand or not sealed.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.engine import Connection, Engine

from policycheck.store.chain import GENESIS, AuditReport, in_chain_order, utc
from policycheck.store.seal import SealKeys
from policycheck.store.tables import decisions

LOG = "decisions"  # the seals' name of this log
# Key of the PostgreSQL advisory lock that serialises writers of the decision log: b"pc-decl".
DECISION_LOCK = int.from_bytes(b"pc-decl", "big")
HEAD_SQL = "SELECT seq, hash FROM decisions WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
FIELDS: tuple[str, ...] = ("id", "created_at", "agent_key_id", "policy_id", "policy_version")
FIELDS += ("policy_hash", "outcome", "clause_id", "rigid", "facts", "decision")
_BOOLEAN_TEXT = {"1": True, "0": False, "true": True, "false": False}


def created_text(value: datetime) -> str:
    """A decision's time as hashed (and as SQLite keeps it): UTC, to the microsecond."""
    at = value.astimezone(UTC)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}"
    )


def digest(fields: Sequence[Any], facts: str, decision: str) -> str:
    """Hex SHA-256 of a decision's content: its first nine fields (id to rigid, the time as
    `created_text`, rigid a boolean) and its facts and decision JSON texts."""
    header = orjson.dumps(list(fields))
    return hashlib.sha256(b"\n".join((header, facts.encode(), decision.encode()))).hexdigest()


def link(previous: str, seq: int, content: str) -> str:
    """`sha256:<hex>` of the previous decision's hash, this one's place and content digest."""
    return "sha256:" + hashlib.sha256(f"{previous}\n{seq}\n{content}".encode()).hexdigest()


def chained(
    head: tuple[int, str], digests: Sequence[str], keys: SealKeys | None
) -> list[tuple[int, str, str | None]]:
    """(seq, hash, seal) of decisions with these digests, appended after `head`."""
    seq, previous = head
    out = []
    for content in digests:
        seq += 1
        previous = link(previous, seq, content)
        out.append((seq, previous, keys.seal(LOG, previous) if keys else None))
    return out


def head_of(row: Sequence[Any] | None) -> tuple[int, str]:
    """(seq, hash) of the last decision from HEAD_SQL's row; (0, genesis) for an empty log."""
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def lock_head(conn: Connection) -> tuple[int, str]:
    """In a write transaction: serialise on the chain (PostgreSQL), then read its head."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(DECISION_LOCK)))
    return head_of(conn.exec_driver_sql(HEAD_SQL).first())


def verify(
    engine: Engine, keys: SealKeys | None, wanted: Collection[str] = (), batch: int = 1000
) -> tuple[AuditReport, set[str]]:
    """Check the decision log: every decision in its place, its hash, its seal (when `keys`
    are given); none outside the chain. Also which of the `wanted` hashes are in it."""
    previous, expected, count = GENESIS, 1, 0
    found: set[str] = set()
    with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:  # the times' text in UTC, in this transaction only
            conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        columns = [cast(decisions.c[name], Text) for name in FIELDS]
        base = select(decisions.c.seq, decisions.c.hash, decisions.c.seal, *columns)
        for row in in_chain_order(conn, base, decisions.c.seq, batch):
            seq, stored, seal = row[0], row[1], row[2]
            where = f"decision {seq} ({row[3]})"
            if not isinstance(seq, int) or seq != expected:
                missing = f"decision {expected}" if _after(seq, expected) else "an earlier one"
                problem = f"{where}: expected {missing} here (deleted or moved?)"
                return AuditReport(count, previous, problem, expected), found
            computed = link(previous, seq, content_digest(row[3:]))
            if computed != stored:
                problem = f"{where}: hash does not match its content (edited?)"
                return AuditReport(count, previous, problem, seq), found
            unsealed = keys.problem(LOG, computed, seal) if keys else None
            if unsealed:
                return AuditReport(count, previous, f"{where}: {unsealed}", seq), found
            if computed in wanted:
                found.add(computed)
            previous, expected, count = computed, seq + 1, count + 1
        outside = conn.execute(
            select(decisions.c.id).where(decisions.c.seq.is_(None)).limit(1)
        ).first()
    if outside is not None:
        problem = f"decision {outside[0]}: not in the chain (added by hand?)"
        return AuditReport(count, previous, problem), found
    return AuditReport(count, previous), found


def _after(seq: Any, expected: int) -> bool:
    return isinstance(seq, int) and seq > expected


def content_digest(values: Sequence[Any]) -> str:
    """The digest of a decision read back as text (a value that cannot be what a writer wrote
    is hashed as it is: the digest then differs, and the decision is named)."""
    created, rigid = values[1], values[8]
    with contextlib.suppress(ValueError, OverflowError):
        created = created_text(utc(datetime.fromisoformat(str(created))))
    fields = [*values[:1], created, *values[2:8], _BOOLEAN_TEXT.get(str(rigid).lower(), rigid)]
    return digest(fields, str(values[9]), str(values[10]))
