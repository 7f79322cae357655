"""CPU time per `POST /v1/decisions` of the app with its fast path (api.fast_path) and without
(`create_app(fast_path=False)`: FastAPI's plain route), in one process, runs interleaved
(fast, plain, plain, fast, ...); or, with `--baseline REF`, of the app of one commit against
another's (each `git archive`d; one process per run, interleaved the same way).

The ASGI app is called directly (no HTTP, no load generator: steadier on a shared machine),
16 requests at a time, with four bodies of the TomTom policy, each decision logged on a fresh
SQLite file. After a warm-up, each run is `--requests` requests; its process CPU time per
request is the figure. Printed: min and median per side, and the ratio per round (min, median).

    .venv/bin/python benchmarks/fast_path.py [--requests 3000] [--rounds 7]
    .venv/bin/python benchmarks/fast_path.py --baseline REF [--subject REF] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KEY = "pcbench-fastpath-key-0123456789ab"
CONCURRENT = 16
WARM_UP = 2000
BODIES = [
    {
        "policy": "tomtom-fr-2012",
        "facts": {
            "request": {"kind": "cancellation", "date": "2012-03-19"},
            "product": {"category": "map"},
            "service": {"downloaded": False},
        },
        "proposed": {"outcome": "refuse", "clause": "a"},
    },
    {
        "policy": "tomtom-fr-2012",
        "facts": {
            "request": {"kind": "cancellation", "date": "2012-04-23"},
            "product": {"category": "device", "used": False, "original_packaging": True},
            "delivery": {"date": "2012-04-04", "postcode": "75011"},
        },
    },
    {
        "policy": "tomtom-fr-2012",
        "facts": {
            "request": {"kind": "cancellation", "date": "2012-03-19"},
            "product": {"category": "map"},
            "service": {"downloaded": True},
        },
    },
    {
        "policy": "tomtom-fr-2012",
        "facts": {
            "request": {"kind": "cancellation", "date": "2012-04-21"},
            "product": {"category": "device", "used": False, "original_packaging": True},
            "delivery": {"date": "2012-04-04", "postcode": "75011"},
        },
    },
]
App = Callable[..., Awaitable[None]]


def make_app(folder: Path, **options: bool) -> Any:
    """The real app over the shipped rules and a new SQLite file in `folder`."""
    from api.app import create_app
    from api.settings import Settings
    from policycheck.service.keys import parse_keys

    shutil.copytree(ROOT / "rules", folder / "rules")
    settings = Settings(
        rules_dir=folder / "rules",
        db_url=f"sqlite:///{folder / 'decisions.db'}",
        keys=tuple(parse_keys(f"agent:{KEY}")),
        refresh_seconds=0.0,
    )
    return create_app(settings, **options)


async def requests(app: App, start: int, count: int) -> None:
    """`count` decisions, CONCURRENT at a time; any answer but 200 stops the benchmark."""
    bodies = [json.dumps(body).encode() for body in BODIES]

    async def one(i: int) -> None:
        body = bodies[i % len(bodies)]
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/v1/decisions", "raw_path": b"/v1/decisions",
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {KEY}".encode()),
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        }  # fmt: skip
        received, status = False, []

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

    async def each(first: int, n: int) -> None:
        for i in range(first, first + n):
            await one(i)

    share = count // CONCURRENT
    await asyncio.gather(*(each(start + k * share, share) for k in range(CONCURRENT)))


async def cpu_per_request(app: App, start: int, count: int) -> float:
    """Microseconds of this process's CPU per decision, over `count` of them."""
    began = time.process_time()
    await requests(app, start, count)
    return (time.process_time() - began) / count * 1e6


def order(names: list[str], round_: int) -> list[str]:
    """A B, then B A, ...: each side first in half the rounds."""
    return names if round_ % 2 == 0 else names[::-1]


def report(times: dict[str, list[float]], subject: str, baseline: str) -> None:
    for name, values in times.items():
        print(
            f"  {name:>24}: min {min(values):7.1f} µs  median {statistics.median(values):7.1f} µs"
        )
    ratios = [s / b for s, b in zip(times[subject], times[baseline], strict=True)]
    print(
        f"  {subject} / {baseline} per round: min {min(ratios):.3f}  "
        f"median {statistics.median(ratios):.3f}  ({len(ratios)} rounds)"
    )


async def in_process(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pc-fast-path-") as tmp:
        apps = {}
        for name, fast in (("fast path", True), ("plain FastAPI route", False)):
            (Path(tmp) / name).mkdir()
            apps[name] = make_app(Path(tmp) / name, fast_path=fast)
        async with (
            apps["fast path"].router.lifespan_context(apps["fast path"]),
            apps["plain FastAPI route"].router.lifespan_context(apps["plain FastAPI route"]),
        ):
            for app in apps.values():
                await requests(app, 0, WARM_UP)
            times: dict[str, list[float]] = {name: [] for name in apps}
            for round_ in range(rounds):
                for name in order(list(apps), round_):
                    times[name].append(await cpu_per_request(apps[name], WARM_UP, count))
    print(f"POST /v1/decisions in process, CPU per request ({count:,} requests x {rounds} runs)")
    report(times, "fast path", "plain FastAPI route")


async def child(count: int) -> None:
    """One run of the app found on PYTHONPATH; prints its CPU per request (µs)."""
    import api

    print(f"api from {api.__file__}", file=sys.stderr)  # the tree asked for, checked by commits()
    with tempfile.TemporaryDirectory(prefix="pc-fast-path-") as tmp:
        app = make_app(Path(tmp))
        async with app.router.lifespan_context(app):
            await requests(app, 0, WARM_UP)
            print(await cpu_per_request(app, WARM_UP, count))


def commits(baseline: str, subject: str, count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pc-fast-path-trees-") as tmp:
        trees = {}
        for ref in (baseline, subject):
            tree = Path(tmp) / ref.replace("/", "_")
            tree.mkdir()
            archive = subprocess.run(
                ["git", "archive", ref], cwd=ROOT, check=True, capture_output=True
            )
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
            trees[ref] = tree
        times: dict[str, list[float]] = {ref: [] for ref in trees}
        for round_ in range(rounds):
            for ref in order([subject, baseline], round_):
                env = {**os.environ, "PYTHONPATH": str(trees[ref])}
                command = [sys.executable, __file__, "--child", "--requests", str(count)]
                ran = subprocess.run(
                    command, env=env, cwd=trees[ref], check=True, capture_output=True, text=True
                )
                if f"api from {trees[ref]}" not in ran.stderr:
                    raise RuntimeError(f"{ref}: the app was not imported from its tree")
                times[ref].append(float(ran.stdout.split()[-1]))
    print(f"POST /v1/decisions in process, CPU per request ({count:,} requests, one process a run)")
    report(times, subject, baseline)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--baseline", help="a commit to compare with (else: fast vs plain)")
    parser.add_argument("--subject", default="HEAD", help="the commit compared to --baseline")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import uvloop

    if args.child:
        uvloop.run(child(args.requests))
    elif args.baseline:
        commits(args.baseline, args.subject, args.requests, args.rounds)
    else:
        uvloop.run(in_process(args.requests, args.rounds))
