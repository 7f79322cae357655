"""The API instrumented from outside, for `benchmarks/api_load.py` (not run by hand).

Two ways of looking at where the time of `POST /v1/decisions` goes, neither changing the API's
code (its functions are wrapped here, in the benchmark's process only):

* `timed_app()`, a factory for uvicorn workers, serves `api.app.app_from_env()` as it is
  (several workers, one SQLite file) and times each stage of each decision with the wall
  clock: reaching the endpoint, the registry, `Policy.evaluate`, `Decision.to_dict`, the wait
  for the decision's commit (from `GroupCommitLog.write` until its future is done), and, of the
  group commit's batch that wrote it (in the log's writer thread),
  `Store.log_decisions`: the wait for the lock file (another process writing), then the one
  INSERT statement that takes SQLite's write lock, inserts and commits (or, for a batch too
  large for one statement, `BEGIN IMMEDIATE`, the inserts and the commit).
  Each worker writes its timings to `$PC_BENCH_TIMINGS/<pid>.json` when it shuts down.

      PC_BENCH_TIMINGS=DIR .venv/bin/uvicorn --factory --app-dir benchmarks \\
          api_instrumented:timed_app --workers 2 --port PORT

* run as a script, one worker under cProfile: FastAPI's thread-pool hops are replaced by direct
  calls, so that the whole request path runs in the main thread, where cProfile sees it (the
  hops themselves are therefore not in the profile). SIGUSR1 starts profiling; SIGUSR2 stops it
  and writes the stats to `--out`.

      .venv/bin/python benchmarks/api_instrumented.py --port PORT --out STATS
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import json
import os
import signal
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from time import perf_counter
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Connection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.app import app_from_env
from policycheck.cli import serve
from policycheck.evaluation.decision import Decision
from policycheck.policy import Policy
from policycheck.service.registry import PolicyRegistry
from policycheck.store import DecisionRecord, Store
from policycheck.store import sqlite as sqlite_store
from policycheck.store.group_commit import GroupCommitLog

ENV_TIMINGS = "PC_BENCH_TIMINGS"
# The stages of one decision, in seconds; "start" is perf_counter() (CLOCK_MONOTONIC, the same
# clock in every process) when the request reached the app.
CURRENT: ContextVar[dict[str, float] | None] = ContextVar("pc_bench_timings", default=None)


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        begun = perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timings = CURRENT.get()
            if timings is not None:
                ended = perf_counter()
                timings[name] = timings.get(name, 0.0) + ended - begun
                timings.setdefault(f"{name}@", begun)
                timings[f"{name}$"] = ended

    return wrapper


def _mark(name: str) -> None:
    timings = CURRENT.get()
    if timings is not None:
        timings[name] = perf_counter()


def _instrument() -> None:
    original_init, original_writing = Store.__init__, Store._writing

    def init(self: Store, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # After the store's own listeners: "begin" fires once BEGIN IMMEDIATE has returned.
        event.listen(self._engine, "checkout", lambda *_: _mark("checked_out!"))
        event.listen(self._engine, "begin", lambda *_: _mark("begun!"))

    @contextlib.contextmanager
    def writing(self: Store) -> Iterator[Connection]:
        timings = CURRENT.get()
        if timings is not None:
            timings.pop("checked_out!", None)
        begun = perf_counter()
        with original_writing(self) as conn:
            locked = perf_counter()
            yield conn
            inserted = perf_counter()
        if timings is not None:
            checked_out = timings.get("checked_out!", begun)  # absent: reused without checkout
            timings["pool"] = checked_out - begun
            timings["lock"] = (
                timings.get("begun!", locked) - checked_out - timings.get("flock", 0.0)
            )
            timings["begin"] = locked - begun
            timings["insert"] = inserted - locked
            timings["commit"] = perf_counter() - inserted

    original_write, original_batch = GroupCommitLog.write, GroupCommitLog._write
    waiting: dict[str, dict[str, float]] = {}  # decision id -> its request's timings

    def write(self: GroupCommitLog, record: DecisionRecord) -> Any:
        timings = CURRENT.get()
        if timings is None:
            return original_write(self, record)
        waiting[record.id] = timings
        timings["log@"] = perf_counter()
        done = original_write(self, record)

        def committed(_: object) -> None:  # on the event loop, once the batch is written
            timings["log$"] = perf_counter()
            timings["log"] = timings["log$"] - timings["log@"]

        done.add_done_callback(committed)
        return done

    def write_batch(self: GroupCommitLog, batch: list[Any]) -> None:
        # In the writer thread: one transaction for the batch, timed, its timings given to
        # each of its requests.
        batch_timings: dict[str, float] = {}
        token = CURRENT.set(batch_timings)
        try:
            begun = perf_counter()
            original_batch(self, batch)
            batch_timings["write"] = perf_counter() - begun
        finally:
            CURRENT.reset(token)
        for record, _ in batch:
            timings = waiting.pop(record.id, None)
            if timings is not None:
                timings.update(
                    (name, batch_timings.get(name, 0.0))
                    for name in ("write", "flock", "begin", "pool", "lock", "insert", "commit")
                )
                timings["batch"] = len(batch)

    GroupCommitLog.write = write  # type: ignore[method-assign]
    GroupCommitLog._write = write_batch  # type: ignore[method-assign]
    original_exclusive, original_one = sqlite_store.exclusive, Store._insert_one_statement

    @contextlib.contextmanager
    def exclusive(path: Path | None) -> Iterator[None]:
        begun = perf_counter()
        with original_exclusive(path):
            timings = CURRENT.get()
            if timings is not None:
                timings["flock"] = perf_counter() - begun
            yield

    def one_statement(self: Store, sql: str, parameters: tuple[Any, ...], what: str) -> None:
        begun = perf_counter()
        original_one(self, sql, parameters, what)
        timings = CURRENT.get()
        if timings is not None:
            timings["insert"] = perf_counter() - begun - timings.get("flock", 0.0)

    sqlite_store.exclusive = exclusive
    Store._insert_one_statement = one_statement  # type: ignore[method-assign]
    Store.__init__ = init  # type: ignore[method-assign]

    Store._writing = writing  # type: ignore[method-assign]
    PolicyRegistry.get = _timed("registry", PolicyRegistry.get)  # type: ignore[method-assign]
    Policy.evaluate = _timed("evaluate", Policy.evaluate)  # type: ignore[method-assign]
    Decision.to_dict = _timed("to_dict", Decision.to_dict)  # type: ignore[method-assign]


class _Timed:
    """Outermost ASGI layer: one timings dict per POST, written out at shutdown."""

    def __init__(self, app: ASGIApp, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.requests: list[dict[str, float]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def on_shutdown(message: Message) -> None:
                if message["type"] == "lifespan.shutdown.complete":
                    path = self.folder / f"{os.getpid()}.json"
                    path.write_text(json.dumps(self.requests), encoding="utf-8")
                await send(message)

            await self.app(scope, receive, on_shutdown)
            return
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        timings = {"start": perf_counter()}
        CURRENT.set(timings)
        await self.app(scope, receive, send)
        timings["total"] = perf_counter() - timings["start"]
        self.requests.append(timings)


def timed_app() -> ASGIApp:
    """The API with its stages timed (see the module's docstring)."""
    _instrument()
    return _Timed(app_from_env(), Path(os.environ[ENV_TIMINGS]))


async def _inline(call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    return call(*args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description="One API worker under cProfile.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="where to write the stats")
    args = parser.parse_args()

    fastapi.routing.run_in_threadpool = _inline  # type: ignore[attr-defined,assignment]
    fastapi.dependencies.utils.run_in_threadpool = _inline  # type: ignore[attr-defined,assignment]
    profiler = cProfile.Profile()

    def start(_signum: int, _frame: object) -> None:
        profiler.enable()

    def stop(_signum: int, _frame: object) -> None:
        profiler.disable()
        partial = args.out.with_suffix(".partial")
        profiler.dump_stats(partial)
        partial.rename(args.out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    config = uvicorn.Config(
        app_from_env(),
        host="127.0.0.1",
        port=args.port,
        http=serve.HTTP,
        loop=serve.LOOP,
        access_log=False,  # as `policycheck serve` runs
        log_level="info",
        server_header=False,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
