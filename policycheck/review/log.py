"""The exception log: append-only, one chain of entries, each carrying the previous one's hash.

Granting an exception, and every later change of its status, is one new entry; nothing is ever
updated or deleted (database triggers refuse it too). Writers serialise on the chain's head
(SQLite's write lock, a PostgreSQL advisory lock), and unique `seq` and `prev_hash` make a fork
impossible, so several API processes keep one valid chain. `verify` names the first entry that
was edited, deleted or moved.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, Select, Text, cast, func, insert, select, text
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from policycheck.review.exceptions import ExceptionRequest, Grant, Status
from policycheck.review.records import ExceptionFilter, ExceptionRecord, HistoryItem
from policycheck.service.keys import ApiKey
from policycheck.store.chain import (
    GENESIS,
    SEAL_LOG,
    AuditReport,
    canonical,
    entry_hash,
    entry_problem,
    in_chain_order,
    start_of_day,
    utc,
)
from policycheck.store.database import Store, StoreError
from policycheck.store.records import DecisionRecord
from policycheck.store.seal import SealKeys
from policycheck.store.tables import exception_log as log_table

# Key of the PostgreSQL advisory lock that serialises writers on the chain: b"pc-excl".
CHAIN_LOCK = int.from_bytes(b"pc-excl", "big")
GRANT_KINDS = ("granted", "requested")  # an exception's first entry: final, or pending


__all__ = [
    "GENESIS",
    "AuditReport",
    "ExceptionConflictError",
    "ExceptionFilter",
    "ExceptionLog",
    "ExceptionRecord",
    "HistoryItem",
    "UnknownExceptionError",
    "canonical",
    "entry_hash",
    "start_of_day",
]


class UnknownExceptionError(LookupError):
    """No exception has this id."""


class ExceptionConflictError(Exception):
    """The log's state forbids this (an active exception exists, the exception is not pending)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class ExceptionLog:
    """Grant, review, read and verify exceptions in the store's exception log."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def grant(
        self, decision: DecisionRecord, request: ExceptionRequest, grant: Grant, actor: ApiKey
    ) -> ExceptionRecord:
        """Append the exception's first entry (ExceptionConflictError: the decision has one)."""
        logged = decision.decision
        policy = logged.get("policy") or {"id": decision.policy_id}
        clause = logged.get("clause")
        body = {
            "request": request.to_dict(),
            "beyond_discretion": grant.beyond_discretion,
            "policy": policy,
            "clause": {"id": clause["id"], "title": clause.get("title")} if clause else None,
            "snapshot": snapshot_of(decision),
        }
        kind = "granted" if grant.status is Status.GRANTED else "requested"
        exception_id = uuid.uuid4().hex
        with self.store.write_transaction() as conn:
            head = _lock_head(conn)
            active = self._active_for(conn, decision.id)
            if active is not None:
                raise ExceptionConflictError(
                    "exception_exists",
                    f"decision {decision.id} already has an exception ({active[1]}): {active[0]}",
                )
            self._append(
                conn,
                head,
                exception_id=exception_id,
                kind=kind,
                status=grant.status,
                actor=actor,
                decision_id=decision.id,
                policy_id=decision.policy_id,
                clause_id=decision.clause_id,
                reason_code=request.reason_code,
                body=body,
            )
            return self._load(conn, exception_id)

    def review(self, exception_id: str, approve: bool, note: str, actor: ApiKey) -> ExceptionRecord:
        """Append a supervisor's approval or rejection of a pending exception."""
        with self.store.write_transaction() as conn:
            head = _lock_head(conn)
            current = self._load_or_none(conn, exception_id)
            if current is None:
                raise UnknownExceptionError(exception_id)
            if current.status is not Status.PENDING:
                raise ExceptionConflictError(
                    "not_pending",
                    f"exception {exception_id} is {current.status.value}, not pending",
                )
            status = Status.APPROVED if approve else Status.REJECTED
            self._append(
                conn,
                head,
                exception_id=exception_id,
                kind=status.value,
                status=status,
                actor=actor,
                decision_id=current.decision_id,
                policy_id=current.policy["id"],
                clause_id=current.clause["id"] if current.clause else None,
                reason_code=current.request["reason_code"],
                body={"note": note},
            )
            return self._load(conn, exception_id)

    def get(self, exception_id: str) -> ExceptionRecord | None:
        """The exception with this id, or None."""
        with self.store.engine.connect() as conn:
            return self._load_or_none(conn, exception_id)

    def for_decision(self, decision_id: str) -> list[ExceptionRecord]:
        """The exceptions made on a decision, oldest first (at most one of them active)."""
        query = (
            select(log_table)
            .where(log_table.c.decision_id == decision_id, log_table.c.kind.in_(GRANT_KINDS))
            .order_by(log_table.c.seq)
        )
        with self.store.engine.connect() as conn:
            return self._records(conn, list(conn.execute(query).mappings()))

    def find(
        self, filters: ExceptionFilter, before_seq: int | None = None, limit: int = 50
    ) -> list[ExceptionRecord]:
        """The exceptions that match, newest first, from just before `before_seq`."""
        query = _filtered(filters)
        if before_seq is not None:
            query = query.where(log_table.c.seq < before_seq)
        query = query.order_by(log_table.c.seq.desc()).limit(limit)
        with self.store.engine.connect() as conn:
            grants = list(conn.execute(query).mappings())
            return self._records(conn, grants)

    def count(self) -> int:
        """How many entries the log holds."""
        with self.store.engine.connect() as conn:
            total: int = conn.execute(select(func.count()).select_from(log_table)).scalar_one()
        return total

    def entries(self, batch: int = 1000) -> Iterator[RowMapping]:
        """Every entry in chain order, read in batches."""
        after = 0
        while True:
            query = (
                select(log_table)
                .where(log_table.c.seq > after)
                .order_by(log_table.c.seq)
                .limit(batch)
            )
            with self.store.engine.connect() as conn:
                rows = list(conn.execute(query).mappings())
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1]["seq"]

    def verify(self, recorded_head: str | None = None, keys: SealKeys | None = None) -> AuditReport:
        """Check the whole chain: each entry's hash, its link to the one before, no gap, its
        seal (when `keys` are given); and, given a head recorded earlier, that it is still in
        the chain (nothing cut off the end)."""
        wanted = () if recorded_head in (None, GENESIS) else (str(recorded_head),)
        report, found = self.verify_chain(keys, wanted)
        if report.ok and len(found) < len(wanted):
            problem = (
                f"the recorded head {recorded_head} is not in the chain "
                "(entries deleted from its end?)"
            )
            return AuditReport(report.entries, report.head, problem)
        return report

    def verify_chain(
        self, keys: SealKeys | None, wanted: Collection[str] = (), batch: int = 1000
    ) -> tuple[AuditReport, set[str]]:
        """`verify`'s checks, and which of the `wanted` hashes are in the chain. Every value is
        read as the database has it: one that is not what a writer writes (a time that is not
        one) names its entry like any other edit."""
        previous, expected_seq, count = GENESIS, 1, 0
        found: set[str] = set()
        columns = [column for column in log_table.c if column.name != "created_at"]
        at = cast(log_table.c.created_at, Text).label("created_at")
        with self.store.engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # the times' text in UTC, in this transaction
                conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))
            query = select(*columns, at)
            for entry in in_chain_order(conn, query, log_table.c.seq, batch):
                row = entry._mapping
                problem = entry_problem(row, previous, expected_seq, keys)
                if problem is not None:
                    return AuditReport(count, previous, *problem), found
                if row["hash"] in wanted:
                    found.add(row["hash"])
                previous, expected_seq, count = row["hash"], row["seq"] + 1, count + 1
        return AuditReport(count, previous), found

    # -- inside a write transaction ----------------------------------------------------------

    def _append(
        self,
        conn: Connection,
        head: tuple[int, str],
        *,
        exception_id: str,
        kind: str,
        status: Status,
        actor: ApiKey,
        decision_id: str,
        policy_id: str,
        clause_id: str | None,
        reason_code: str | None,
        body: dict[str, Any],
    ) -> None:
        seq, prev_hash = head[0] + 1, head[1]
        row: dict[str, Any] = {
            "seq": seq,
            "entry_id": uuid.uuid4().hex,
            "exception_id": exception_id,
            "kind": kind,
            "status": status.value,
            "created_at": datetime.now(UTC),
            "actor_key_id": actor.key_id,
            "actor_role": actor.role,
            "decision_id": decision_id,
            "policy_id": policy_id,
            "clause_id": clause_id,
            "reason_code": reason_code,
            "body": canonical(body),
            "prev_hash": prev_hash,
        }
        row["hash"] = entry_hash(row)
        row["seal"] = self.store.seal.seal(SEAL_LOG, row["hash"]) if self.store.seal else None
        try:
            conn.execute(insert(log_table), [row])
        except IntegrityError as exc:  # another writer took this place: never a fork
            raise StoreError("exception log: concurrent write on the chain; retry") from exc

    def _active_for(self, conn: Connection, decision_id: str) -> tuple[str, str] | None:
        """(exception id, status) of the decision's active exception, if it has one."""
        status = _current_status()
        query = select(log_table.c.exception_id, status).where(
            log_table.c.decision_id == decision_id,
            log_table.c.kind.in_(GRANT_KINDS),
            status != Status.REJECTED.value,
        )
        row = conn.execute(query.limit(1)).first()
        return None if row is None else (str(row[0]), str(row[1]))

    def _load(self, conn: Connection, exception_id: str) -> ExceptionRecord:
        record = self._load_or_none(conn, exception_id)
        assert record is not None, exception_id
        return record

    def _load_or_none(self, conn: Connection, exception_id: str) -> ExceptionRecord | None:
        grant = conn.execute(
            select(log_table).where(
                log_table.c.exception_id == exception_id, log_table.c.kind.in_(GRANT_KINDS)
            )
        ).mappings()
        rows = list(grant)
        return self._records(conn, rows)[0] if rows else None

    def _records(self, conn: Connection, grants: Sequence[RowMapping]) -> list[ExceptionRecord]:
        """Records for grant entries, with the history of each (one more query)."""
        if not grants:
            return []
        ids = [row["exception_id"] for row in grants]
        history: dict[str, list[HistoryItem]] = {exception_id: [] for exception_id in ids}
        entries = conn.execute(
            select(log_table).where(log_table.c.exception_id.in_(ids)).order_by(log_table.c.seq)
        ).mappings()
        for entry in entries:
            note = json.loads(entry["body"]).get("note")
            history[entry["exception_id"]].append(
                HistoryItem(
                    Status(entry["status"]),
                    utc(entry["created_at"]),
                    entry["actor_key_id"],
                    entry["actor_role"],
                    note,
                )
            )
        return [_record(row, tuple(history[row["exception_id"]])) for row in grants]


def snapshot_of(decision: DecisionRecord) -> dict[str, Any]:
    """What an exception keeps of its decision, as logged (personal facts already masked)."""
    logged = decision.decision
    keep = ("outcome", "rigid", "discretion", "deadline", "margin", "clause", "policy")
    return {
        **{name: logged.get(name) for name in keep},
        "explanation": logged.get("explanation"),
        "explanations": logged.get("explanations"),
        "missing_facts": logged.get("missing_facts", []),
        "obligations": logged.get("obligations", []),
        "facts": decision.facts,
        "decided_at": decision.created_at.isoformat(),
        "decided_by": decision.agent_key_id,
    }


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Serialise on the chain, then read its head: (last seq or 0, last hash or genesis)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK)))
    head = conn.execute(
        select(log_table.c.seq, log_table.c.hash).order_by(log_table.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if head is None else (int(head[0]), str(head[1]))


def _filtered(filters: ExceptionFilter) -> Select[Any]:
    """The grant entries matching the filters (status: the exception's latest)."""
    table = log_table
    query = select(table).where(table.c.kind.in_(GRANT_KINDS))
    if filters.policy:
        query = query.where(table.c.policy_id == filters.policy)
    if filters.clause:
        query = query.where(table.c.clause_id == filters.clause)
    if filters.agent:
        query = query.where(table.c.actor_key_id == filters.agent)
    if filters.reason:
        query = query.where(table.c.reason_code == filters.reason)
    if filters.since:
        query = query.where(table.c.created_at >= start_of_day(filters.since))
    if filters.until and filters.until < date.max:  # 9999-12-31: no end before it
        query = query.where(table.c.created_at < start_of_day(filters.until + timedelta(days=1)))
    if filters.status:
        query = query.where(_current_status() == filters.status.value)
    return query


def _current_status() -> ScalarSelect[Any]:
    """The status of the latest entry of the exception of the row at hand (correlated)."""
    latest = log_table.alias("latest")
    return (
        select(latest.c.status)
        .where(latest.c.exception_id == log_table.c.exception_id)
        .order_by(latest.c.seq.desc())
        .limit(1)
        .correlate(log_table)
        .scalar_subquery()
    )


def _record(row: RowMapping, history: tuple[HistoryItem, ...]) -> ExceptionRecord:
    body = json.loads(row["body"])
    return ExceptionRecord(
        seq=row["seq"],
        id=row["exception_id"],
        decision_id=row["decision_id"],
        created_at=utc(row["created_at"]),
        granted_by=(row["actor_key_id"], row["actor_role"]),
        policy=body["policy"],
        clause=body["clause"],
        request=body["request"],
        beyond_discretion=body["beyond_discretion"],
        snapshot=body["snapshot"],
        history=history,
    )
