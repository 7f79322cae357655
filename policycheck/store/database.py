"""The decision log and meta table on SQLite (default, WAL) or PostgreSQL, migrated by Alembic."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Executable

from policycheck.store import decision_chain, postgres
from policycheck.store import sqlite as sqlite_store
from policycheck.store.queries import (
    RefusalGroup,
    UnlawfulGroup,
    refusal_groups,
    unlawful_groups,
)
from policycheck.store.records import DecisionRecord, json_text
from policycheck.store.seal import SealKeys
from policycheck.store.tables import decisions, meta

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite"})
POSTGRES_DRIVERS = frozenset({"postgresql+psycopg"})
URL_FORMS = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"
# Key of the PostgreSQL advisory lock held while migrating: b"pc-migr" as an integer.
MIGRATE_LOCK = int.from_bytes(b"pc-migr", "big")
_DECISION_ID = re.compile(r"[0-9a-f]{32}")
_CONTENT = [decisions.c[name] for name in sqlite_store.CONTENT_COLUMNS]  # not seq, hash, seal
# Alembic's `context` and `op` are module-level proxies: one migration at a time per process.
_MIGRATING = threading.Lock()


class StoreError(Exception):
    """A database URL the store cannot use, or a decision it cannot log."""


def default_url(path: str | Path = "policycheck.db") -> str:
    """The URL of a SQLite database file: `sqlite:///<absolute path>`."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


class Store:
    """The decision log and a small key/value table, behind one SQLAlchemy engine."""

    def __init__(self, url: str, seal: SealKeys | None = None) -> None:
        self._engine = _create_engine(url)
        self.seal = seal  # seals new entries of both logs (None: they are logged unsealed)
        self._write_lock = sqlite_store.write_lock_path(self._engine)
        sqlite_file = self._engine.dialect.name == "sqlite"
        self._checkpointer = sqlite_store.Checkpointer(self._engine) if sqlite_file else None
        # The writers' connection (SQLite: of the one-statement inserts; PostgreSQL: of every
        # batch), kept out of the pool (the log's writer never waits for a pooled connection,
        # nor pre-pings it), one user at a time
        self._inserter: PoolProxiedConnection | None = None
        self._inserter_lock = threading.Lock()

    def migrate(self) -> None:
        """Upgrade the schema to the latest revision; idempotent, safe from concurrent processes."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        config.set_main_option("path_separator", "os")
        # One transaction: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL, so a
        # second process waits, then finds the schema at head and does nothing.
        with _MIGRATING, self._writing() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATE_LOCK)))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def log_decision(self, record: DecisionRecord) -> None:
        """Write one decision in one transaction; StoreError if its id is already logged."""
        self._insert([record], f"decision {record.id}")

    def log_decisions(self, records: Sequence[DecisionRecord]) -> None:
        """Write several decisions in one transaction: all of them, or none and StoreError."""
        self._insert(records, "decisions")

    def get_decision(self, decision_id: str) -> DecisionRecord | None:
        """The logged decision with this id, or None."""
        query = select(*_CONTENT).where(decisions.c.id == decision_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().one_or_none()
        return None if row is None else _decision_record(row)

    def count_decisions(self) -> int:
        """How many decisions the log holds."""
        with self._engine.connect() as conn:
            count: int = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
        return count

    def refusals(
        self, policy: str | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> list[RefusalGroup]:
        """The refusals logged from `start` to `end` (excluded), of `policy` if given, counted
        per policy, clause, agent key and rigidity (queries.py): what the review's override
        rates are divided by, counted by the database."""
        with self._engine.connect() as conn:
            return refusal_groups(conn, policy, start, end)

    def unlawful_refusals(
        self, policy: str | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> list[UnlawfulGroup]:
        """The terms' refusals that the law beneath them overruled, logged from `start` to
        `end` (excluded), counted per policy and clause (queries.py): the terms most in need
        of amendment."""
        with self._engine.connect() as conn:
            return unlawful_groups(conn, policy, start, end)

    def ping(self) -> bool:
        """True when the database answers `SELECT 1`."""
        try:
            with self._engine.connect() as conn:
                return bool(conn.execute(text("SELECT 1")).scalar_one() == 1)
        except SQLAlchemyError:
            return False

    def get_meta(self, key: str) -> str | None:
        """The value stored under `key`, or None."""
        query = select(meta.c.value).where(meta.c.key == key)
        with self._engine.connect() as conn:
            value: str | None = conn.execute(query).scalar_one_or_none()
        return value

    def set_meta(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing any previous value."""
        self.set_metas({key: value})

    def set_metas(self, values: dict[str, str]) -> None:
        """Store several keys in one transaction: readers see all of them or none."""
        with self._writing() as conn:
            for key, value in values.items():
                conn.execute(_upsert_meta(conn.dialect.name, key, value))

    def meta_once(self, key: str, value: str) -> str:
        """The value under `key`, storing `value` there first if there is none (the first of
        several processes to get here wins; all of them get the same value)."""
        with self._writing() as conn:
            dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
            conn.execute(dialect.insert(meta).values(key=key, value=value).on_conflict_do_nothing())
            stored: str = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one()
        return stored

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for the logs kept beside the decisions)."""
        return self._engine

    def write_transaction(self) -> contextlib.AbstractContextManager[Connection]:
        """A connection in a write transaction (BEGIN IMMEDIATE on SQLite), committed on
        success, rolled back on error."""
        return self._writing()

    def close(self) -> None:
        """Close every pooled connection (the store can still reconnect if used again)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._inserter_lock:
            inserter, self._inserter = self._inserter, None
        if inserter is not None:
            inserter.close()
        self._engine.dispose()

    def _insert(self, records: Sequence[DecisionRecord], what: str) -> None:
        """INSERT the records in one write transaction, chained after the log's head and
        sealed (decision_chain.py); a constraint broken is a StoreError."""
        for record in records:
            _check(record)
        if not records:
            return
        if self._engine.dialect.name != "sqlite":
            self._insert_postgres(records, what)
            return
        # SQLite: every value and content digest made before the write lock is taken; under
        # it, only the head read and the chain's links (a short hash each), and one INSERT of
        # many rows (one step, where executemany steps once a row, letting go of the GIL).
        rows = [sqlite_store.decision_row(record) for record in records]
        digests = [sqlite_store.row_digest(row) for row in rows]
        if len(rows) <= sqlite_store.per_statement() and self._write_lock is not None:
            self._insert_one_statement(rows, digests, what)  # one statement, one transaction
            return
        try:
            with self._writing() as conn:
                links = decision_chain.chained(decision_chain.lock_head(conn), digests, self.seal)
                for sql, parameters in sqlite_store.decision_inserts(rows, links):
                    conn.exec_driver_sql(sql, parameters)
        except IntegrityError as exc:
            raise _constraint_broken(what) from exc

    def _insert_postgres(self, records: Sequence[DecisionRecord], what: str) -> None:
        """PostgreSQL: rows made before the connection is taken, then one transaction of two
        round trips (postgres.write) on the writers' connection, kept out of the pool (no
        pre-ping per batch)."""
        rows = [postgres.decision_row(record) for record in records]
        with self._inserter_lock:
            if self._inserter is None:
                self._inserter = self._engine.raw_connection()
            try:
                postgres.write(self._inserter.driver_connection, rows, self.seal)  # type: ignore[arg-type]
            except psycopg.IntegrityError as exc:
                raise _constraint_broken(what) from exc
            except psycopg.Error as exc:  # the connection may be broken: the next opens anew
                self._inserter.invalidate()
                self._inserter = None
                raise StoreError(f"{what} not logged: {exc}") from exc

    def _insert_one_statement(
        self, rows: Sequence[tuple[Any, ...]], digests: Sequence[str], what: str
    ) -> None:
        """Read the head and run one INSERT in SQLite's autocommit mode, under the write lock
        file (every writer of the log takes it, so no other writes in between): the INSERT
        takes SQLite's write lock, writes and commits in one call, letting go of the GIL once
        (each time it is taken back, the lock is held while another thread runs)."""
        with self._inserter_lock:
            if self._inserter is None:
                self._inserter = self._engine.raw_connection()  # isolation_level None
            connection: sqlite3.Connection = self._inserter.driver_connection  # type: ignore[assignment]
            try:
                with sqlite_store.exclusive(self._write_lock):
                    head = decision_chain.head_of(
                        connection.execute(decision_chain.HEAD_SQL).fetchone()
                    )
                    links = decision_chain.chained(head, digests, self.seal)
                    [(sql, parameters)] = sqlite_store.decision_inserts(rows, links)
                    connection.execute(sql, parameters)
                    if self._checkpointer is not None:
                        self._checkpointer.complete(connection)
            except sqlite3.IntegrityError as exc:
                raise _constraint_broken(what) from exc
            except sqlite3.Error as exc:  # the connection may be broken: the next opens anew
                self._inserter.invalidate()
                self._inserter = None
                raise StoreError(f"{what} not logged: {exc}") from exc
        if self._checkpointer is not None:
            self._checkpointer.wrote()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed on success, rolled back on error.

        On SQLite the writers of every process take turns through an exclusive `flock` on
        `<database>.write-lock`, held from just before BEGIN IMMEDIATE until the transaction
        ends: a writer waits in the kernel and wakes as soon as the lock is free, where SQLite's
        busy handler would sleep in steps of up to 100 ms (the tail latency of a busy server).
        The busy timeout stays for writers that do not take the lock (another program)."""
        with self._engine.connect() as conn:
            conn.execution_options(**{sqlite_store.WRITE_OPTION: True})
            with sqlite_store.exclusive(self._write_lock):
                with conn.begin():
                    yield conn
                if self._checkpointer is not None:
                    driver = conn.connection.driver_connection
                    self._checkpointer.complete(driver)  # type: ignore[arg-type]
        if self._checkpointer is not None:
            self._checkpointer.wrote()


def _create_engine(url: str) -> Engine:
    """An engine for a supported URL, configured for its backend; StoreError otherwise."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise StoreError(f"malformed database URL: expected {URL_FORMS}") from None
    if parsed.drivername in SQLITE_DRIVERS:
        return _sqlite_engine(parsed)
    if parsed.drivername in POSTGRES_DRIVERS:
        connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
        return create_engine(
            parsed, json_serializer=json_text, pool_pre_ping=True, connect_args=connect_args
        )
    postgres = parsed.get_backend_name() == "postgresql"
    hint = " (PostgreSQL is reached through psycopg 3)" if postgres else ""
    raise StoreError(f"unsupported database URL `{parsed.drivername}://...`{hint}: use {URL_FORMS}")


def _sqlite_engine(url: URL) -> Engine:
    """A SQLite engine on a file: WAL, busy timeout, and transactions begun by SQLAlchemy."""
    if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        raise StoreError(
            "an in-memory SQLite database cannot be shared: use a file, sqlite:///PATH"
        )
    engine = create_engine(url, json_serializer=json_text)
    event.listen(engine, "do_connect", sqlite_store.create_private)
    event.listen(engine, "connect", sqlite_store.on_connect)
    event.listen(engine, "begin", sqlite_store.on_begin)
    return engine


def _constraint_broken(what: str) -> StoreError:
    """The error of a write that broke a constraint."""
    return StoreError(
        f"{what} not logged: an id is already in the log or a required value is missing"
    )


def _check(record: DecisionRecord) -> None:
    """A record the log takes: a 32-lowercase-hex-digit id, an aware time."""
    if not _DECISION_ID.fullmatch(record.id):
        raise ValueError(f"decision id must be 32 lowercase hex digits: {record.id!r}")
    if record.created_at.utcoffset() is None:
        raise ValueError("decision created_at must be timezone-aware")


def _decision_record(row: Any) -> DecisionRecord:
    """A record from a row; SQLite returns naive datetimes, which are UTC."""
    created_at: datetime = row["created_at"]
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return DecisionRecord(**{**dict(row), "created_at": created_at.astimezone(UTC)})


def _upsert_meta(dialect: str, key: str, value: str) -> Executable:
    """INSERT ... ON CONFLICT (key) DO UPDATE, in the backend's dialect."""
    if dialect == "sqlite":
        lite = sqlite.insert(meta).values(key=key, value=value)
        return lite.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
    pg = postgresql.insert(meta).values(key=key, value=value)
    return pg.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
