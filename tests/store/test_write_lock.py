"""SQLite's writers take turns through a flock on `<database>.write-lock` (Store._writing)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite as sqlite_dialect

from policycheck.store import Store, default_url
from policycheck.store import sqlite as sqlite_module
from policycheck.store.records import json_text
from policycheck.store.tables import decisions
from tests.store.test_store import make_record

WAIT_SECONDS = 30.0  # a generous bound, reached only when the test fails


def _blocked_flock_waiters(path: Path) -> int:
    """How many flock requests on `path` the kernel has queued (`->` lines of /proc/locks)."""
    inode = os.stat(path).st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and line.split()[-3].endswith(f":{inode}"))


def test_the_lock_file_is_beside_the_database(sqlite_store: Store, tmp_path: Path) -> None:
    sqlite_store.log_decision(make_record())
    assert (tmp_path / "log.db.write-lock").is_file()


def test_postgresql_takes_no_lock_file() -> None:
    store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected
    assert store._write_lock is None


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_writer_waits_for_the_lock_readers_do_not(sqlite_store: Store, tmp_path: Path) -> None:
    lock = tmp_path / "log.db.write-lock"
    record = make_record()
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process's writer, in effect
        writer = threading.Thread(target=sqlite_store.log_decision, args=(record,))
        writer.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while _blocked_flock_waiters(lock) == 0:
            assert time.monotonic() < deadline, "the writer never waited for the lock"
            time.sleep(0.01)
        assert writer.is_alive()
        assert sqlite_store.count_decisions() == 0  # a reader is not held up
    finally:
        os.close(fd)
    writer.join(WAIT_SECONDS)
    assert not writer.is_alive()
    assert sqlite_store.get_decision(record.id) is not None


WRITER = """
import sys
from concurrent.futures import ThreadPoolExecutor
from policycheck.store import Store
from policycheck.store.group_commit import GroupCommitLog
from tests.store.test_store import make_record

store = Store(sys.argv[1])
log = GroupCommitLog(store, max_batch=8)
records = [make_record(agent_key_id=sys.argv[2]) for _ in range(int(sys.argv[3]))]
with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(log.log, records))
log.close()
store.close()
"""


def test_processes_writing_at_once_lose_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    url = default_url(tmp_path / "log.db")
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, f"proc-{n}", "150"],
            cwd=root,
            env=os.environ | {"PYTHONPATH": str(root)},
        )
        for n in range(3)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    assert sqlite_store.count_decisions() == 450


def test_the_store_checkpoints_the_wal_itself(sqlite_store: Store, tmp_path: Path) -> None:
    checkpointer = sqlite_store._checkpointer
    assert checkpointer is not None
    for _ in range(5):
        sqlite_store.log_decisions([make_record() for _ in range(20)])
    assert checkpointer._thread is not None
    checkpointer.stop()  # (as Store.close does) checkpoints what was written, then ends
    assert checkpointer._thread is None
    busy, frames, done = checkpointer.checkpoint()  # every frame of the WAL is in the file
    assert busy == 0
    assert frames > 0
    assert done == frames
    with sqlite3.connect(tmp_path / "log.db") as raw:
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)  # a plain client
    raw.close()
    sqlite_store.log_decision(make_record())  # a write starts the thread again
    assert checkpointer._thread is not None
    assert checkpointer._thread.is_alive()
    assert sqlite_store.count_decisions() == 101


def test_a_writer_finishes_the_threads_checkpoint_and_the_next_write_starts_the_wal_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beside busy writers the thread's checkpoint never reaches the end of the WAL (frames are
    # added while it copies); here a reader's snapshot holds it back the same way, in a set
    # order. The test plays the thread's part (`copy_bulk`): no timing, no CPU share. How the
    # WAL behaves under constant writes, with the thread: benchmarks/wal_growth.py.
    monkeypatch.setattr(sqlite_module, "CHECKPOINT_SECONDS", 3600.0)  # the thread stays idle
    store = Store(default_url(tmp_path / "log.db"))
    store.migrate()
    checkpointer = store._checkpointer
    assert checkpointer is not None
    wal = tmp_path / "log.db-wal"
    try:
        for _ in range(20):
            store.log_decisions([make_record() for _ in range(10)])
        reader = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM decisions").fetchone()  # its snapshot, held
        for _ in range(5):  # frames the thread's checkpoint cannot copy
            store.log_decisions([make_record() for _ in range(10)])
        checkpointer.copy_bulk()
        assert checkpointer._due  # what is left is for the next writer
        reader.execute("COMMIT")
        reader.close()
        page_size = _page_size(tmp_path / "log.db")
        frames_before = (wal.stat().st_size - 32) // (page_size + 24)  # the WAL never restarted
        store.log_decisions([make_record() for _ in range(10)])  # finishes the checkpoint
        assert not checkpointer._due
        store.log_decisions([make_record() for _ in range(10)])  # writes from the WAL's start
        busy, frames, done = checkpointer.checkpoint()
        assert store.count_decisions() == 270
    finally:
        store.close()
    assert busy == 0
    assert frames_before > 100
    # without the writer's checkpoint, both writes would have gone after every earlier frame
    assert frames < frames_before / 10, (frames, frames_before)
    assert done == frames


def _page_size(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("PRAGMA page_size").fetchone()[0])


# -- the rows written on SQLite, by hand, are those SQLAlchemy's types would bind ---------------

ZONES = st.sampled_from(
    [UTC, ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Noumea"), ZoneInfo("America/Cayenne")]
)


@given(
    created_at=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES
    ),
    rigid=st.booleans(),
    optional=st.none() | st.text(max_size=8),
)
def test_a_row_is_what_sqlalchemys_types_would_bind(
    created_at: datetime, rigid: bool, optional: str | None
) -> None:
    record = make_record(
        created_at=created_at,
        rigid=rigid,
        agent_key_id=optional,
        policy_version=optional,
        clause_id=optional,
    )
    dialect = sqlite_dialect.dialect()
    expected = []
    for column in (decisions.c[name] for name in sqlite_module.CONTENT_COLUMNS):
        value = getattr(record, column.name)
        if column.name == "created_at":
            value = value.astimezone(UTC)
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if column.name in ("facts", "decision"):
            expected.append(json_text(value))  # the engine's json_serializer
        else:
            expected.append(processor(value) if processor else value)
    assert sqlite_module.decision_row(record) == tuple(expected)


def test_a_failed_finishing_checkpoint_does_not_fail_the_write(
    sqlite_store: Store, tmp_path: Path
) -> None:
    checkpointer = sqlite_store._checkpointer
    assert checkpointer is not None
    broken = sqlite3.connect(tmp_path / "other.db")
    broken.close()  # any use raises sqlite3.ProgrammingError
    checkpointer._due = True
    checkpointer.complete(broken)  # the writer's write is committed: nothing raised
    assert checkpointer._due is False
    record = make_record()
    checkpointer._due = True
    sqlite_store.log_decision(record)  # finishes the checkpoint on its own connection
    assert checkpointer._due is False
    assert sqlite_store.get_decision(record.id) == record


def test_decisions_are_logged_even_when_the_pool_is_exhausted(sqlite_store: Store) -> None:
    # the one-statement inserts (every batch of the API's log) keep their own connection: an
    # event loop writing decisions never waits for a pooled one
    sqlite_store.log_decision(make_record())
    pool = sqlite_store.engine.pool
    assert pool.checkedout() == 1  # the inserts' connection, kept out of the pool
    held = [sqlite_store.engine.raw_connection() for _ in range(14)]  # QueuePool: 5 + 10
    try:
        record = make_record()
        writer = threading.Thread(target=sqlite_store.log_decision, args=(record,))
        writer.start()
        writer.join(WAIT_SECONDS)
        assert not writer.is_alive()
    finally:
        for connection in held:
            connection.close()
    assert sqlite_store.get_decision(record.id) == record
    sqlite_store.close()
    assert pool.checkedout() == 0  # closing the store gives it back
