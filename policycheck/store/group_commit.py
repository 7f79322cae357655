"""Group commit: the decisions of a busy moment logged in one transaction, each caller answered
once its own record is committed.

A decision is never answered before it is logged, and a crash never leaves half a record; but
the requests of a busy moment share one transaction, so they queue once for the database's
write lock instead of once each, and write each index page once.

One writer thread per process (`GroupCommitLog`) takes whatever was queued while it was
writing, on SQLite and PostgreSQL alike, so that the event loop never waits on the database. On
SQLite the records of one turn of the event loop were once written at its end by the loop's
thread itself (`LoopCommitLog`, removed by commit 1e30979); in one interleaved run of
`benchmarks/api_load.py` the thread served 2.1x its requests/s (median of 4 rounds; 2.2x in
another run): while the loop wrote, or waited for another process's lock or for the disk, no
request was served.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from policycheck.store.database import Store, StoreError
from policycheck.store.records import DecisionRecord

_STOP = object()


class DecisionLog(Protocol):
    """What the API logs decisions through."""

    def write(self, record: DecisionRecord) -> Awaitable[None]:
        """Log `record`: awaited, done once it is committed (or StoreError)."""
        ...

    def close(self) -> None:
        """Write what is waiting, then stop."""
        ...


def decision_log(store: Store) -> DecisionLog:
    """The decision log of the API, over `store` (any database)."""
    return GroupCommitLog(store)


def write_each(store: Store, records: Sequence[DecisionRecord]) -> list[StoreError | None]:
    """Write `records` in one transaction; if that fails, one by one, so that one bad record
    does not fail the others. The error of each record, or None once it is committed."""
    try:
        store.log_decisions(records)
    except Exception:  # each record is tried again, and its own error reported
        errors: list[StoreError | None] = []
        for record in records:
            try:
                store.log_decision(record)
            except Exception as error:  # reported to the request that made it
                errors.append(error if isinstance(error, StoreError) else StoreError(str(error)))
            else:
                errors.append(None)
        return errors
    return [None] * len(records)


def _settle(done: asyncio.Future[None] | Future[None], error: StoreError | None) -> None:
    """Complete a caller's future with its record's outcome. A cancelled one (the client went
    away; its decision is logged all the same) is left as it is: completing it would raise."""
    if done.cancelled():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def _settle_all(outcomes: list[tuple[asyncio.Future[None], StoreError | None]]) -> None:
    for done, error in outcomes:
        _settle(done, error)


class GroupCommitLog:
    """Logs decisions through one writer thread; `log` returns once the record is committed."""

    def __init__(self, store: Store, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._thread.start()

    def log(self, record: DecisionRecord, timeout: float = 30.0) -> None:
        """Log `record`; raise StoreError if it could not be written."""
        self.submit(record).result(timeout=timeout)

    def write(self, record: DecisionRecord) -> Awaitable[None]:
        """Log `record`, awaited from an event loop (which holds no thread meanwhile): the
        writer completes the futures of a batch in one call to the loop, not one each."""
        done = asyncio.get_running_loop().create_future()
        self._queue.put((record, done))
        return done

    def submit(self, record: DecisionRecord) -> Future[None]:
        """Queue `record`; the future completes once it is committed (or fails with StoreError)."""
        done: Future[None] = Future()
        self._queue.put((record, done))
        return done

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _write(
        self, batch: list[tuple[DecisionRecord, asyncio.Future[None] | Future[None]]]
    ) -> None:
        errors = write_each(self.store, [record for record, _ in batch])
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], Any]]] = {}
        for (_, done), error in zip(batch, errors, strict=True):
            if isinstance(done, asyncio.Future):
                by_loop.setdefault(done.get_loop(), []).append((done, error))
            else:
                _settle(done, error)
        for loop, outcomes in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(_settle_all, outcomes)
