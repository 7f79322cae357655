"""The exception log's chain: canonical JSON, and the hash each entry carries (of the previous
entry's hash, its header fields and its body)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time
from typing import Any

GENESIS = "sha256:" + "0" * 64  # what the first entry follows
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
