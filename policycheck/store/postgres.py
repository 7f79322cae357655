"""PostgreSQL specifics of the decision log's writes: rows made by hand, and a batch written in
one transaction of two round trips through psycopg's pipeline mode, on a connection of its own.

The first round trip sends the batch's JSON documents as one array and gets back the text
PostgreSQL's JSONB makes of each (what the chain hashes, decision_chain.py), then takes the
log's advisory lock and reads the head; the second sends one INSERT of all the rows and the
COMMIT. In between, only the chain's links and seals are computed (a short hash each).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import psycopg
from psycopg import Connection, RawCursor

from policycheck.store import decision_chain
from policycheck.store.records import DecisionRecord, json_text
from policycheck.store.seal import SealKeys
from policycheck.store.tables import decisions

# The texts of the documents of a JSON array, in order, as JSONB gives them back.
NORMALISE_SQL = (
    "SELECT CAST(value AS text) FROM jsonb_array_elements(CAST($1 AS jsonb)) "
    "WITH ORDINALITY AS u(value, n) ORDER BY n"
)
LOCK_SQL = f"SELECT pg_advisory_xact_lock({decision_chain.DECISION_LOCK})"
_COLUMNS = [column.name for column in decisions.columns]  # content, then seq, hash, seal
_JSON = {"facts", "decision"}


def decision_row(record: DecisionRecord) -> tuple[Any, ...]:
    """A record's content in the table's column order, the time in UTC, the JSON documents as
    compact text (PostgreSQL parses them into JSONB)."""
    return (
        record.id,
        record.created_at.astimezone(UTC),
        record.agent_key_id,
        record.policy_id,
        record.policy_version,
        record.policy_hash,
        record.outcome,
        record.clause_id,
        record.rigid,
        json_text(record.facts),
        json_text(record.decision),
    )


def write(
    connection: Connection[Any], rows: Sequence[tuple[Any, ...]], keys: SealKeys | None
) -> None:
    """Write the rows (`decision_row`) after the head of the chain in one transaction on
    `connection` (no transaction open), and commit; psycopg's error otherwise, the transaction
    rolled back. RawCursor: PostgreSQL's own $n placeholders, the query sent as it is (psycopg
    would otherwise parse an INSERT of 16 rows for its 224 placeholders at each batch)."""
    documents = "[" + ",".join(f"{row[9]},{row[10]}" for row in rows) + "]"
    try:
        with connection.pipeline() as pipeline:
            normalised, lock, head = (RawCursor(connection) for _ in range(3))
            normalised.execute(NORMALISE_SQL, (documents,))
            lock.execute(LOCK_SQL)  # held until COMMIT: writers take turns from here
            head.execute(decision_chain.HEAD_SQL)
            pipeline.sync()
            texts = [text for (text,) in normalised.fetchall()]
            digests = [
                decision_chain.digest(
                    (row[0], decision_chain.created_text(row[1]), *row[2:9]),
                    texts[2 * i],
                    texts[2 * i + 1],
                )
                for i, row in enumerate(rows)
            ]
            links = decision_chain.chained(decision_chain.head_of(head.fetchone()), digests, keys)
            values = [
                value for row, link in zip(rows, links, strict=True) for value in (*row, *link)
            ]
            head.execute(insert_sql(len(rows)), values)
            connection.commit()
    except BaseException:
        with contextlib.suppress(psycopg.Error):  # a broken connection: the caller drops it
            connection.rollback()
        raise


@functools.lru_cache(maxsize=64)
def insert_sql(rows: int) -> str:
    """One INSERT of `rows` decisions with their seq, hash and seal."""
    width = len(_COLUMNS)
    values = (
        "("
        + ", ".join(
            f"CAST(${row * width + i + 1} AS jsonb)" if name in _JSON else f"${row * width + i + 1}"
            for i, name in enumerate(_COLUMNS)
        )
        + ")"
        for row in range(rows)
    )
    return f"INSERT INTO decisions ({', '.join(_COLUMNS)}) VALUES " + ", ".join(values)
