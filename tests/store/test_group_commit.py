"""GroupCommitLog: the decisions queued while its writer thread was writing, committed in one
transaction, each caller answered once its own is committed, on a real SQLite file (and the
same log for each database)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from policycheck.store import DecisionRecord, Store, StoreError
from policycheck.store.group_commit import GroupCommitLog, decision_log
from tests.store.test_store import make_record, pg_url  # noqa: F401 (a fixture)
from tests.store.test_write_lock import WAIT_SECONDS, _blocked_flock_waiters


def record_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each transaction `store.log_decisions` is asked for (it still writes)."""
    sizes: list[int] = []
    write = store.log_decisions

    def counted(records: Sequence[DecisionRecord]) -> None:
        sizes.append(len(records))
        write(records)

    monkeypatch.setattr(store, "log_decisions", counted)
    return sizes


@contextlib.contextmanager
def writer_held(tmp_path: Path) -> Iterator[None]:
    """Hold the lock file of `tmp_path/log.db` as another process's writer would, until the
    block ends; on entering, after `first` (below) is being written and the writer waits."""
    path = tmp_path / "log.db.write-lock"
    lock = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(lock)


def wait_for_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "log.db.write-lock"
    deadline = time.monotonic() + WAIT_SECONDS
    while _blocked_flock_waiters(path) == 0:  # until the writer has its batch and waits
        assert time.monotonic() < deadline, "the writer never waited for the lock"
        time.sleep(0.01)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_what_is_queued_while_a_batch_is_written_is_one_transaction(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = record_batches(sqlite_store, monkeypatch)
    first, queued = make_record(), [make_record() for _ in range(12)]

    async def main() -> None:
        log = GroupCommitLog(sqlite_store)
        with writer_held(tmp_path):
            writing = log.write(first)
            await asyncio.to_thread(wait_for_the_writer, tmp_path)
            waiting = [log.write(record) for record in queued]  # while the batch waits
        await asyncio.gather(writing, *waiting)
        await log.write(make_record())  # alone: a transaction of its own
        log.close()

    asyncio.run(main())
    assert sizes == [1, 12, 1]
    assert all(sqlite_store.get_decision(r.id) == r for r in [first, *queued])


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_write_is_not_done_before_it_is_committed(sqlite_store: Store, tmp_path: Path) -> None:
    async def main() -> None:
        log = GroupCommitLog(sqlite_store)
        record = make_record()
        with writer_held(tmp_path):
            written = log.write(record)
            await asyncio.to_thread(wait_for_the_writer, tmp_path)
            await asyncio.sleep(0.05)  # time the loop would take to answer too early
            assert not written.done()
            assert sqlite_store.get_decision(record.id) is None
        await written
        assert sqlite_store.get_decision(record.id) == record
        log.close()

    asyncio.run(main())


def test_a_bad_record_fails_alone(sqlite_store: Store) -> None:
    logged = make_record()
    sqlite_store.log_decision(logged)
    good = [make_record() for _ in range(3)]

    async def main() -> list[BaseException | None]:
        log = GroupCommitLog(sqlite_store)
        results = await asyncio.gather(
            log.write(good[0]), log.write(logged), *(log.write(r) for r in good[1:]),
            return_exceptions=True,
        )  # fmt: skip
        log.close()
        return list(results)

    results = asyncio.run(main())
    assert results[0] is None
    assert isinstance(results[1], StoreError)  # its id was already logged
    assert "already in the log" in str(results[1])
    assert results[2:] == [None, None]
    assert sqlite_store.count_decisions() == 4


def test_a_cancelled_request_still_has_its_decision_logged(sqlite_store: Store) -> None:
    record = make_record()

    async def main() -> None:
        log = GroupCommitLog(sqlite_store)
        written = log.write(record)
        written.cancel()  # the client went away before its decision was written
        log.close()  # the writer finishes what was queued

    asyncio.run(main())
    assert sqlite_store.get_decision(record.id) == record


def test_close_writes_what_is_waiting(sqlite_store: Store) -> None:
    records = [make_record() for _ in range(5)]

    async def main() -> None:
        log = GroupCommitLog(sqlite_store)
        written = [log.write(record) for record in records]
        log.close()  # the app shutting down: the writer ends once the queue is written
        await asyncio.gather(*written)

    asyncio.run(main())
    assert all(sqlite_store.get_decision(r.id) == r for r in records)


def test_both_databases_are_logged_by_a_writer_thread(
    sqlite_store: Store, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url")  # skips without POLICYCHECK_TEST_PG

    async def kinds() -> tuple[type, type]:
        on_sqlite = decision_log(sqlite_store)
        pg = Store(url)
        pg.migrate()
        on_pg = decision_log(pg)
        record = make_record()
        await on_pg.write(record)  # completed by the thread, awaited from the loop
        assert pg.get_decision(record.id) == record
        on_pg.close()
        on_sqlite.close()
        pg.close()
        return type(on_sqlite), type(on_pg)

    assert asyncio.run(kinds()) == (GroupCommitLog, GroupCommitLog)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_the_writer_thread_survives_a_cancelled_request(
    sqlite_store: Store, tmp_path: Path
) -> None:
    # An awaiting request that is cancelled (its client went away) cancels the thread's future
    # through asyncio.wrap_future; completing a cancelled future raises, which killed the writer.
    log = GroupCommitLog(sqlite_store)
    path = tmp_path / "log.db.write-lock"
    lock = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the writer blocks on its first batch
    try:
        first = log.submit(make_record())
        deadline = time.monotonic() + WAIT_SECONDS
        while _blocked_flock_waiters(path) == 0:  # until the writer has taken it and waits
            assert time.monotonic() < deadline, "the writer never waited for the lock"
            time.sleep(0.01)
        cancelled_record = make_record()
        cancelled = log.submit(cancelled_record)
        assert cancelled.cancel()
    finally:
        os.close(lock)
    first.result(timeout=10)
    later = make_record()
    log.log(later, timeout=10)  # the writer is still there
    log.close()
    assert sqlite_store.get_decision(later.id) == later
    assert sqlite_store.get_decision(cancelled_record.id) == cancelled_record
