"""Group commit: one writer thread per process logs decisions, many per transaction.

Each caller waits until its own record is committed, so a decision is never answered before it
is logged, and a crash never leaves half a record; but the requests of a busy moment share one
transaction, so they queue once for the database's write lock instead of once each (SQLite's
lock is the bottleneck of a busy server otherwise).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from policycheck.store.database import Store, StoreError
from policycheck.store.records import DecisionRecord

_STOP = object()


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

    def submit(self, record: DecisionRecord) -> Future[None]:
        """Queue `record`; the future completes once it is committed (or fails with StoreError).
        An async caller awaits it with `asyncio.wrap_future` and holds no thread meanwhile."""
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

    def _write(self, batch: list[tuple[DecisionRecord, Future[None]]]) -> None:
        try:
            self.store.log_decisions([record for record, _ in batch])
        except Exception:  # one bad record must not fail the others: write them one by one
            for record, done in batch:
                try:
                    self.store.log_decision(record)
                except Exception as error:  # reported to the request that made it
                    done.set_exception(error if isinstance(error, StoreError)
                                       else StoreError(str(error)))  # fmt: skip
                else:
                    done.set_result(None)
            return
        for _, done in batch:
            done.set_result(None)
