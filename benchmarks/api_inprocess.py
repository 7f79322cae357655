"""CPU time per `POST /v1/decisions` of the real app in one process, without HTTP or a load
generator: the app's own cost (middleware, key, validation, evaluation, explanations, the log
on a fresh SQLite file), steadier on a shared machine than a load test.

The ASGI app of `policycheck serve` (`api.app.app_from_env`, on uvloop) is called directly with
the four bodies of `benchmarks/api_load.py`, 16 requests at a time; after a warm-up, `--runs`
runs of `--requests` each, and the process CPU time of each run divided by its requests. The
minimum and the median are printed: the minimum is the figure least disturbed by other load.

    .venv/bin/python benchmarks/api_inprocess.py [--requests 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import uvloop

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from api_load import BODIES  # noqa: E402  (the benchmark's bodies, beside this file)

KEY = "pcbench-inprocess-key-0123456789"
CONCURRENT = 16


async def main(requests: int, runs: int) -> None:
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
        per_request = []
        for run in range(runs):
            began = time.process_time()
            await batch((run + 1) * 10 * requests, requests)
            per_request.append((time.process_time() - began) / requests * 1e6)
    print(
        f"POST /v1/decisions in process ({requests:,} requests x {runs} runs, "
        f"{CONCURRENT} at a time): CPU per request min {min(per_request):.1f} µs, "
        f"median {statistics.median(per_request):.1f} µs"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pc-api-inprocess-") as tmp:
        shutil.copytree(HERE.parent / "rules", Path(tmp) / "rules")
        os.environ.update(
            POLICYCHECK_API_KEYS=f"agent:{KEY}",
            POLICYCHECK_RULES=f"{tmp}/rules",
            POLICYCHECK_DB=f"sqlite:///{tmp}/decisions.db",
            POLICYCHECK_KEYS_FILE=f"{tmp}/none.keys",
        )
        uvloop.run(main(args.requests, args.runs))
