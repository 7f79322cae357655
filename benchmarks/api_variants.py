"""The API with mechanisms of its SQLite store switched off, for `benchmarks/api_load.py` only
(`--api LABEL,without=...`): each is measured against the store as it is, in the same run.

A uvicorn factory, imported by each worker instead of `api.app:app_from_env`; it switches off
what `PC_BENCH_WITHOUT` names (`+`-separated), then makes the app as `app_from_env` does:

* `lock_file`: no `<database>.write-lock`; every write is a BEGIN IMMEDIATE transaction and
  writers wait in SQLite's busy handler.
* `checkpointer`: no checkpoint thread; SQLite checkpoints in the committing writer past its
  default threshold (1,000 pages).
* `hand_rows`: the SQLite rows bound by SQLAlchemy's types (one executemany of Core's INSERT in
  a BEGIN IMMEDIATE transaction, as on PostgreSQL), not written by hand in one statement.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import insert
from starlette.types import ASGIApp

import api.app
from policycheck.store import database, decision_chain
from policycheck.store import sqlite as sqlite_store
from policycheck.store.records import DecisionRecord, json_text
from policycheck.store.tables import decisions

ENV = "PC_BENCH_WITHOUT"


class _NoCheckpointer:
    def __init__(self, _engine: Any) -> None:
        pass

    def wrote(self) -> None:
        pass

    def complete(self, _connection: Any) -> None:
        pass

    def stop(self) -> None:
        pass


def _values(record: DecisionRecord) -> dict[str, Any]:
    """The row for a record, for SQLAlchemy's types (the time stored as UTC)."""
    return {
        "id": record.id,
        "created_at": record.created_at.astimezone(UTC),
        "agent_key_id": record.agent_key_id,
        "policy_id": record.policy_id,
        "policy_version": record.policy_version,
        "policy_hash": record.policy_hash,
        "outcome": record.outcome,
        "clause_id": record.clause_id,
        "rigid": record.rigid,
        "facts": record.facts,
        "decision": record.decision,
    }


def _hashed(row: dict[str, Any]) -> list[Any]:
    """The fields of a row that decision_chain.digest hashes before the JSON documents."""
    fields = [row[name] for name in decision_chain.FIELDS[:9]]
    fields[1] = decision_chain.created_text(row["created_at"])
    return fields


def _insert_by_sqlalchemy(
    self: database.Store, records: Sequence[DecisionRecord], what: str
) -> None:
    for record in records:
        database._check(record)
    if not records:
        return
    values = [_values(record) for record in records]
    digests = [
        decision_chain.digest(_hashed(row), json_text(row["facts"]), json_text(row["decision"]))
        for row in values
    ]
    try:
        with self._writing() as conn:
            links = decision_chain.chained(decision_chain.lock_head(conn), digests, self.seal)
            for row, (seq, hash_, seal) in zip(values, links, strict=True):
                row.update(seq=seq, hash=hash_, seal=seal)
            conn.execute(insert(decisions), values)
    except database.IntegrityError as exc:
        raise database._constraint_broken(what) from exc


def switch_off(names: set[str]) -> None:
    """Switch off the named mechanisms in this process."""
    if "lock_file" in names:
        sqlite_store.write_lock_path = lambda _engine: None
    if "checkpointer" in names:
        sqlite_store.Checkpointer = _NoCheckpointer  # type: ignore[assignment,misc]
        sqlite_store.SQLITE_AUTOCHECKPOINT_PAGES = 1000  # SQLite's default
    if "hand_rows" in names:
        original = database.Store._insert

        def _insert(self: database.Store, records: Sequence[DecisionRecord], what: str) -> None:
            if self.engine.dialect.name != "sqlite":
                original(self, records, what)
            else:
                _insert_by_sqlalchemy(self, records, what)

        database.Store._insert = _insert  # type: ignore[method-assign]


def app() -> ASGIApp:
    """The app of `policycheck serve`, the mechanisms in PC_BENCH_WITHOUT switched off."""
    switch_off(set(filter(None, os.environ.get(ENV, "").split("+"))))
    return api.app.app_from_env()
