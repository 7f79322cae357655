"""SQLite specifics of the store: connection pragmas, BEGIN IMMEDIATE for writes, writers of
every process taking turns through a lock file, a thread that checkpoints the WAL, and multi-row
INSERTs of decisions, their values made before the write lock is taken."""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows: there SQLite's busy timeout alone orders the writers
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from policycheck.store.decision_chain import digest
from policycheck.store.records import DecisionRecord, json_text
from policycheck.store.tables import decisions

SQLITE_BUSY_TIMEOUT_MS = 5000
# The WAL is checkpointed by a thread of the store (CHECKPOINT_SECONDS after a write, at most),
# not by the writer that happens to commit past SQLite's threshold while holding the write lock
# (copying the WAL and two fsyncs: tens of ms). SQLite's own checkpoint stays, further off, for
# a store whose thread does not keep up.
CHECKPOINT_SECONDS = 0.5
SQLITE_AUTOCHECKPOINT_PAGES = 50_000  # SQLite's default is 1,000 (4 MB); here a safety net
# Connection execution option: on SQLite, begin the transaction with BEGIN IMMEDIATE.
WRITE_OPTION = "policycheck_write"
# At most this many values bound in one statement (SQLite's limit before 3.32 was 999).
SQLITE_MAX_VARIABLES = 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999
_COLUMNS = [column.name for column in decisions.columns]  # content, then seq, hash, seal
CONTENT_COLUMNS = _COLUMNS[: _COLUMNS.index("seq")]  # what `decision_row` gives


class Checkpointer:
    """A thread that checkpoints a SQLite database's WAL within CHECKPOINT_SECONDS of a write,
    so that the WAL starts again from its beginning instead of growing; started by the first
    write, stopped by `stop` (a later write starts it again).

    SQLite starts the WAL again at a write only once every frame in it is in the database file,
    which a checkpoint beside busy writers never achieves: they add frames while it copies. The
    WAL then grows until SQLite's own checkpoint runs in some writer's commit, holding the write
    lock that every process waits for, for tens of ms (copying and two fsyncs). So the thread
    copies the bulk (PASSIVE: it waits for no reader or writer and takes no write lock), twice,
    the second time what was written during the first; then the next writer, while it holds the
    write lock, checkpoints the few frames left (`complete`, about a millisecond), and the write
    after it starts the WAL again."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._wrote = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # the current thread's
        self._due = False  # the thread has copied the bulk: a writer may finish the checkpoint

    def wrote(self) -> None:
        """Note a committed write (cheap: called after every write transaction)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._stopping = threading.Event()
                    self._thread = threading.Thread(
                        target=self._run, args=(self._stopping,), name="sqlite-checkpoint",
                        daemon=True,
                    )  # fmt: skip
                    self._thread.start()
        self._wrote.set()

    def stop(self) -> None:
        """Checkpoint what was written, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping.set()
        if thread is not None:
            self._wrote.set()
            thread.join(timeout=30)

    def complete(self, connection: sqlite3.Connection) -> None:
        """Finish the thread's checkpoint, if it copied the bulk since: called by a writer on
        its connection after its write, while it holds the write lock (no frame is added
        meanwhile, so the checkpoint reaches the end of the WAL)."""
        if self._due:
            self._due = False
            # the writer's own write is committed: a checkpoint that fails must not fail it
            with contextlib.suppress(sqlite3.Error):
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, frames in the WAL, frames checkpointed)."""
        raw = self._engine.raw_connection()  # autocommit (isolation_level None): no BEGIN
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            raw.close()
        busy, frames, done = row if row is not None else (1, 0, 0)
        return int(busy), int(frames), int(done)

    def copy_bulk(self) -> None:
        """The thread's part, once: copy the bulk of the WAL into the database file, leaving
        the few frames written meanwhile for the next writer (`complete`)."""
        with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
            # busy (another checkpoint under way): the next one will do
            busy, frames, done = self.checkpoint()
            if not busy and done < frames:  # frames were written while it copied
                busy, frames, done = self.checkpoint()
            self._due = not busy  # what is left is little: for a writer to finish

    def _run(self, stopping: threading.Event) -> None:
        while True:
            self._wrote.wait()
            stopping.wait(CHECKPOINT_SECONDS)  # let writes gather; one checkpoint for them
            self._wrote.clear()
            self.copy_bulk()
            if stopping.is_set():
                return


def write_lock_path(engine: Engine) -> Path | None:
    """The lock file beside a SQLite database (None on PostgreSQL, or without flock)."""
    if engine.dialect.name != "sqlite" or fcntl is None or not engine.url.database:
        return None
    database = engine.url.database
    if engine.url.query.get("uri"):  # sqlite:///file:PATH?...&uri=true
        database = database.removeprefix("file:").partition("?")[0]
    return Path(database).expanduser().resolve().with_name(Path(database).name + ".write-lock")


@contextmanager
def exclusive(path: Path | None) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if needed) for the block; nothing if None.
    A lock is per open file, so each holder opens its own: threads of one process take turns
    too, and the kernel releases the lock of a process that dies."""
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL
        yield
    finally:
        os.close(fd)  # releases the lock


def create_private(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    """Before SQLite opens a database file that does not exist yet, create it with mode 0600:
    it holds justifications and the review secret, and SQLite gives its -wal and -shm files
    the database file's mode (SQLAlchemy's `do_connect` event; the connection is made after)."""
    name = str(cargs[0]) if cargs else ""
    if cparams.get("uri"):
        name, _, query = name.removeprefix("file:").partition("?")
        if "mode=ro" in query.split("&") or "mode=memory" in query.split("&"):
            return
    if not name or name == ":memory:":
        return
    with contextlib.suppress(OSError):  # there already, or SQLite says why it cannot open it
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Set the pragmas on every new connection; leave BEGIN to on_begin."""
    # sqlite3's legacy mode would begin transactions only before DML, so DDL (migrations)
    # would not be transactional: SQLAlchemy emits BEGIN itself (SQLAlchemy's SQLite docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _set_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_AUTOCHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _set_wal(cursor: Any) -> None:
    """PRAGMA journal_mode = WAL, retried while another connection holds the file."""
    # A no-op once the file is in WAL mode. While another connection switches it or holds a
    # lock, SQLite answers "database is locked" at once instead of calling the busy handler.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def on_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for writes (take the write lock up front, waiting up to busy_timeout)."""
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def per_statement() -> int:
    """At most this many decisions in one INSERT (SQLite's limit on bound values)."""
    return max(1, SQLITE_MAX_VARIABLES // len(_COLUMNS))


def decision_inserts(
    rows: Sequence[tuple[Any, ...]], links: Sequence[tuple[int, str, str | None]]
) -> list[tuple[str, tuple[Any, ...]]]:
    """Multi-row INSERTs of decisions on SQLite: their rows (`decision_row`), each with its
    (seq, hash, seal) in the chain, as few statements as SQLite's limit on bound values allows."""
    size = per_statement()
    inserts = []
    for start in range(0, len(rows), size):
        chunk = range(start, min(start + size, len(rows)))
        values = tuple(value for i in chunk for value in (*rows[i], *links[i]))
        inserts.append((_insert_sql(len(chunk)), values))
    return inserts


@functools.lru_cache(maxsize=64)
def _insert_sql(rows: int) -> str:
    names = ", ".join(_COLUMNS)
    placeholders = "(" + ", ".join("?" * len(_COLUMNS)) + ")"
    return f"INSERT INTO decisions ({names}) VALUES " + ", ".join([placeholders] * rows)


def row_digest(row: tuple[Any, ...]) -> str:
    """The chain's digest of a decision's row (decision_chain.digest), made from the values
    written: SQLite gives back exactly these texts."""
    return digest((*row[:8], bool(row[8])), row[9], row[10])


def decision_row(record: DecisionRecord) -> tuple[Any, ...]:
    """A record's row on SQLite, in the table's column order, each value as SQLAlchemy's types
    bind it there (tests/store compare with them): the time as UTC text to the microsecond, the
    boolean as 0 or 1, the JSON documents as compact text. Written by hand: SQLAlchemy's
    processors, column by column, cost as much as SQLite's own work for the row."""
    created_at = record.created_at.astimezone(UTC)
    return (
        record.id,
        f"{created_at.year:04d}-{created_at.month:02d}-{created_at.day:02d} "
        f"{created_at.hour:02d}:{created_at.minute:02d}:{created_at.second:02d}"
        f".{created_at.microsecond:06d}",
        record.agent_key_id,
        record.policy_id,
        record.policy_version,
        record.policy_hash,
        record.outcome,
        record.clause_id,
        1 if record.rigid else 0,
        json_text(record.facts),
        json_text(record.decision),
    )
