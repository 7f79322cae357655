"""CPU time per `POST /v1/decisions` of the real app in one process, without HTTP or a load
generator: the app's own cost (middleware, key, validation, evaluation, explanations, the log
on a fresh SQLite file, or a fresh schema of a PostgreSQL database with `--db postgres`),
steadier on a shared machine than a load test.

The ASGI app of `policycheck serve` (`api.app.app_from_env`, on uvloop) is called directly with
the four bodies of `benchmarks/api_load.py`, 16 requests at a time; after a warm-up, `--runs`
runs of `--requests` each, and the process CPU time of each run divided by its requests (on
PostgreSQL, its server processes' CPU time too, apart). The minimum and the median are printed:
the minimum is the figure least disturbed by other load. `--profile` prints the top functions of
one more run under cProfile (CPU time).

    .venv/bin/python benchmarks/api_inprocess.py [--requests 5000] [--runs 7]
        [--db sqlite|postgres] [--pg URL] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import uvloop

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import PG_DEFAULT, fresh_schema, min_median, postgres_cpu_seconds  # noqa: E402
from loadgen import BODIES  # noqa: E402

KEY = "pcbench-inprocess-key-0123456789"
CONCURRENT = 16


async def main(requests: int, runs: int, postgres: bool, profile: bool) -> None:
    from api.app import app_from_env

    app = app_from_env()
    bodies = [json.dumps(body).encode() for _, body, _, _ in BODIES]
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {KEY}".encode())]

    async def one(i: int) -> None:
        body = bodies[i % len(bodies)]
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/v1/decisions", "raw_path": b"/v1/decisions",
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "headers": [*headers, (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        }  # fmt: skip
        received = False
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:
                await asyncio.sleep(3600)  # no disconnect while the response is sent
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            raise RuntimeError(f"request {i} answered {status}")

    async def batch(start: int, count: int) -> None:
        await asyncio.gather(
            *(each(start + k * count, count // CONCURRENT) for k in range(CONCURRENT))
        )

    async def each(start: int, count: int) -> None:
        for i in range(start, start + count):
            await one(i)

    async with app.router.lifespan_context(app):
        await batch(0, 3200)  # warm-up
        per_request, database = [], []
        for run in range(runs + (1 if profile else 0)):
            profiler = cProfile.Profile(time.process_time) if run == runs else None
            began, server = time.process_time(), postgres_cpu_seconds()
            if profiler is not None:
                profiler.enable()
            await batch((run + 1) * 10 * requests, requests)
            if profiler is not None:
                profiler.disable()
                stats = pstats.Stats(profiler).sort_stats("tottime")
                stats.print_stats(30)
                continue
            per_request.append((time.process_time() - began) / requests * 1e6)
            database.append((postgres_cpu_seconds() - server) / requests * 1e6)
    print(
        f"POST /v1/decisions in process ({requests:,} requests x {runs} runs, "
        f"{CONCURRENT} at a time): CPU per request {min_median(per_request, '{:.1f}')} µs"
    )
    if postgres:
        print(
            f"  and PostgreSQL's server processes: {min_median(database, '{:.1f}')} µs "
            "(every backend of the machine: other load counts here)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL database for --db postgres")
    parser.add_argument("--profile", action="store_true", help="cProfile one more run")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="pc-api-inprocess-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        shutil.copytree(HERE.parent / "rules", Path(tmp) / "rules")
        sqlite = f"sqlite:///{tmp}/decisions.db"
        url = stack.enter_context(fresh_schema(args.pg)) if args.db == "postgres" else sqlite
        os.environ.update(
            POLICYCHECK_API_KEYS=f"agent:{KEY}",
            POLICYCHECK_RULES=f"{tmp}/rules",
            POLICYCHECK_DB=url,
            POLICYCHECK_KEYS_FILE=f"{tmp}/none.keys",
        )
        uvloop.run(main(args.requests, args.runs, args.db == "postgres", args.profile))
