"""The exception log's chain: canonical JSON, the hash each entry carries (of the previous
entry's hash, its header fields and its body), and what is wrong with an entry read back; the
reading of a log in chain order, for both logs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.engine import Connection, Row, RowMapping

from policycheck.store.seal import SealKeys

GENESIS = "sha256:" + "0" * 64  # what the first entry follows
SEAL_LOG = "exceptions"  # the seals' name of this log
HEADER = (
    "seq",
    "entry_id",
    "exception_id",
    "kind",
    "status",
    "created_at",
    "actor_key_id",
    "actor_role",
    "decision_id",
    "policy_id",
    "clause_id",
    "reason_code",
)


def canonical(value: Any) -> str:
    """JSON text with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(row: Any) -> str:
    """`sha256:<hex>` of the previous hash, the entry's header fields and its body."""
    header = [
        utc(row[name]).isoformat(timespec="microseconds") if name == "created_at" else row[name]
        for name in HEADER
    ]
    text = "\n".join((row["prev_hash"], canonical(header), row["body"]))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def utc(value: datetime) -> datetime:
    """An aware UTC time (SQLite gives naive datetimes, which are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def entry_problem(
    row: RowMapping, previous: str, expected_seq: int, keys: SealKeys | None
) -> tuple[str, int] | None:
    """(what is wrong, the entry's seq) with an entry read back, or None when it is sound."""
    seq = row["seq"]
    where = f"entry {seq} (exception {row['exception_id']}, {row['kind']})"
    if seq != expected_seq:
        missing = f"entry {expected_seq}" if seq > expected_seq else "a later entry"
        return f"{where}: expected {missing} here (deleted or reordered?)", seq
    if row["prev_hash"] != previous:
        return (
            f"{where}: does not follow entry {seq - 1} (its prev_hash is not that "
            "entry's hash: an entry was replaced or reordered?)",
            seq,
        )
    try:
        created_at = datetime.fromisoformat(str(row["created_at"]))
        computed = entry_hash({**row, "created_at": created_at, "body": str(row["body"])})
    except (ValueError, OverflowError):
        return f"{where}: created_at `{row['created_at']}` is not a time (edited?)", seq
    if computed != row["hash"]:
        return f"{where}: hash does not match its content (edited?)", seq
    unsealed = keys.problem(SEAL_LOG, computed, row["seal"]) if keys else None
    if unsealed:
        return f"{where}: {unsealed}", seq
    return None


def in_chain_order(
    conn: Connection, query: Select[Any], seq: ColumnElement[Any], batch: int
) -> Iterator[Row[*tuple[Any, ...]]]:
    """The rows of `query` (which selects `seq`) by ascending `seq`, read in batches."""
    after: Any = 0
    while True:
        rows = conn.execute(query.where(seq > after).order_by(seq).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]._mapping[seq]


@dataclass(frozen=True)
class AuditReport:
    """The result of verifying the chain: how many entries, its head, the first problem."""

    entries: int
    head: str
    problem: str | None = None
    bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        """True when every entry follows the one before and matches its hash."""
        return self.problem is None
