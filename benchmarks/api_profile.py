"""Where the time of `POST /v1/decisions` goes, for `benchmarks/api_load.py` when a target is
missed: the API served with each stage of each decision timed (`api_instrumented.timed_app`),
then one worker under cProfile (`api_instrumented.py` run as a script). The API's code is
unchanged; see `benchmarks/api_instrumented.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import BIN, HERE, HOST, ROOT, free_port, start_server, stop_server, tail, wait_ready
from loadgen import describe, run_wrk

from policycheck.cli import serve


def workers(args: argparse.Namespace) -> str:
    return f"{args.workers} uvicorn worker{'s' if args.workers != 1 else ''}"


STAGES = [  # (label, key in the timings of one request); see benchmarks/api_instrumented.py
    ("in the app, request to response", "total"),
    ("  to reach decide(): body, validation, key, pool", "reach"),
    ("  registry.get (refresh check: SELECT once/s)", "registry"),
    ("  Policy.evaluate", "evaluate"),
    ("  Decision.to_dict (explanations, trace)", "to_dict"),
    ("  waiting for the decision's commit", "log"),
    ("    its batch's Store.log_decisions, of which:", "write"),
    ("      the lock file (another process writing)", "flock"),
    ("      INSERT (one statement: SQLite's lock to commit)", "insert"),
    ("      or BEGIN IMMEDIATE (SQLite's write lock)", "lock"),
    ("      and COMMIT", "commit"),
    ("  after logging: metrics, JSON, response", "after"),
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_stages(work: Path, rules: Path, script: Path, key: str, args: argparse.Namespace) -> None:
    """Serve the API as `policycheck serve` does, its stages timed, and print them."""
    folder = work / "timings"
    folder.mkdir()
    env = os.environ | {
        "POLICYCHECK_RULES": str(rules),
        "POLICYCHECK_DB": f"sqlite:///{work / 'timed.db'}",
        "POLICYCHECK_KEYS_FILE": str(work / "none.keys"),
        "POLICYCHECK_API_KEYS": f"agent:{key}",
        "PC_BENCH_TIMINGS": str(folder),
    }
    cmd = [str(BIN / "uvicorn"), "--factory", "--app-dir", str(HERE)]
    cmd += ["api_instrumented:timed_app", "--host", HOST, "--port", str(free_port())]
    cmd += ["--workers", str(args.workers), "--log-level", "info", "--no-server-header"]
    cmd += ["--http", serve.HTTP, "--loop", serve.LOOP, "--no-access-log"]  # as `serve` runs
    server = start_server("timed-api", cmd, env, work)
    try:
        wait_ready(server)
        run_wrk(server, script, key, args.warmup, args)
        begun = time.perf_counter()
        result = run_wrk(server, script, key, args.seconds, args)
        ended = time.perf_counter()
    finally:
        stop_server(server)
    requests = [
        timings
        for path in sorted(folder.glob("*.json"))
        for timings in json.loads(path.read_text(encoding="utf-8"))
        if begun <= timings["start"] <= ended and "log" in timings
    ]
    if not requests:
        raise RuntimeError(f"the timed workers wrote no timings:\n{tail(server)}")
    for timings in requests:
        timings["reach"] = timings["registry@"] - timings["start"]
        timings["after"] = timings["start"] + timings["total"] - timings["log$"]
    slowest = sorted(requests, key=lambda t: t["total"])[-max(1, len(requests) // 100) :]
    print()
    print(
        f"where the time goes, the API as served ({workers(args)}), stages timed with the "
        f"wall clock (waits for the GIL included): {describe(result)}"
    )
    print(
        f"  {len(requests):,} decisions; ms per decision   "
        f"{'mean':>6} {'p50':>6} {'p99':>6} {'max':>6}   mean of the slowest 1%"
    )
    batches = [t["batch"] for t in requests if "batch" in t]
    if batches:
        print(f"  decisions per group-commit transaction: mean {statistics.fmean(batches):.1f}")
    for label, name in STAGES:
        values = [t.get(name, 0.0) * 1e3 for t in requests]
        slow = statistics.fmean(t.get(name, 0.0) * 1e3 for t in slowest)
        print(
            f"  {label:<48} {statistics.fmean(values):6.2f} {_percentile(values, 0.5):6.2f} "
            f"{_percentile(values, 0.99):6.2f} {max(values):6.1f}   {slow:8.2f}"
        )


IDLE = "idle: waiting in epoll"
AREAS: list[
    tuple[str, Callable[[str, str], bool]]
] = [  # (label, test on a profile entry's file and function): own time, builtins to callers
    (IDLE, lambda f, n: f == "~" and "epoll" in n),
    ("sqlite3 in C (execute, commit)", lambda f, n: f == "~" and "sqlite3" in n),
    ("socket send/receive", lambda f, n: f == "~" and "socket" in n),
    ("policycheck/store (the log, masking)", lambda f, n: f"{ROOT}/policycheck/store/" in f),
    ("policycheck (evaluate, to_dict, explain)", lambda f, n: f"{ROOT}/policycheck/" in f),
    ("api/ (middleware, metrics, keys, route)", lambda f, n: f"{ROOT}/api/" in f),
    ("SQLAlchemy", lambda f, n: "/sqlalchemy/" in f),
    ("uvicorn + httptools (HTTP)", lambda f, n: "/uvicorn/" in f or "/httptools/" in f),
    ("FastAPI", lambda f, n: "/fastapi/" in f),
    ("Starlette", lambda f, n: "/starlette/" in f),
    ("pydantic", lambda f, n: "/pydantic" in f),
    ("prometheus_client", lambda f, n: "/prometheus_client/" in f),
    ("anyio", lambda f, n: "/anyio/" in f),
    ("asyncio", lambda f, n: "/asyncio/" in f),
    ("logging (the access log)", lambda f, n: "/logging/" in f),
    ("json", lambda f, n: "/json/" in f),
    ("rest of the standard library", lambda f, n: "/lib/python3" in f),
]


def _area(filename: str, function: str) -> str:
    return next((label for label, test in AREAS if test(filename, function)), "other")


def own_time_by_area(table: dict[tuple[str, int, str], Any]) -> dict[str, float]:
    """Own time (tottime) summed by area; a builtin's time goes to the area of its callers,
    except for sqlite3 and sockets, which are areas of their own."""
    areas: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, callers) in table.items():
        area = _area(filename, function)
        if area != "other" or filename != "~" or not callers:
            areas[area] = areas.get(area, 0.0) + own
            continue
        for (caller_file, _, caller_function), edge in callers.items():
            caller_area = _area(caller_file, caller_function)
            areas[caller_area] = areas.get(caller_area, 0.0) + edge[2]
    return areas


DECIDE = ("api/fast_path.py", "api/routes/decisions.py")  # where decide() is, the fast path first
PARTS = [  # (label, file, function): cumulative time (parts may contain one another)
    (
        "uvicorn httptools: data_received (parse)",
        "uvicorn/protocols/http/httptools_impl.py",
        "data_received",
    ),
    ("uvicorn httptools: send (the response)", "uvicorn/protocols/http/httptools_impl.py", "send"),
    ("api.deps check_key (the key: SHA-256, compare)", "api/deps.py", "check_key"),
    ("endpoint decide(), all of it but the log's write", DECIDE, "decide"),
    ("  Policy.evaluate", "policycheck/policy.py", "evaluate"),
    ("  Decision.to_dict (explanations, trace)", "policycheck/evaluation/decision.py", "to_dict"),
    (
        "  decision_record (personal facts masked)",
        "policycheck/store/records.py",
        "decision_record",
    ),
    ("the log's write (its thread: not profiled)", "policycheck/store/group_commit.py", "_write"),
    ("  Store.log_decisions (rows + SQLite)", "policycheck/store/database.py", "log_decisions"),
]


def outermost_seconds(
    table: dict[tuple[str, int, str], Any], suffix: str | tuple[str, ...], function: str
) -> float:
    """Cumulative seconds of the functions `function` of the file, less their calls from one
    another (Decision.to_dict calls TraceStep.to_dict: counted once)."""

    def matches(key: tuple[str, int, str]) -> bool:
        return key[0].endswith(suffix) and key[2] == function

    total = 0.0
    for key, (_, _, _, cumulative, callers) in table.items():
        if matches(key):
            total += cumulative - sum(
                edge[3] for caller, edge in callers.items() if matches(caller)
            )
    return total


def profile_api(work: Path, rules: Path, script: Path, key: str, args: argparse.Namespace) -> None:
    """Load one API worker under cProfile and print where the time of a request goes."""
    out = work / "api.prof"
    env = os.environ | {
        "POLICYCHECK_RULES": str(rules),
        "POLICYCHECK_DB": f"sqlite:///{work / 'profile.db'}",
        "POLICYCHECK_KEYS_FILE": str(work / "none.keys"),
        "POLICYCHECK_API_KEYS": f"agent:{key}",
    }
    cmd = [sys.executable, str(HERE / "api_instrumented.py"), "--port", str(free_port())]
    server = start_server("profiled-api", [*cmd, "--out", str(out)], env, work)
    try:
        wait_ready(server)
        run_wrk(server, script, key, args.warmup, args)
        os.kill(server.proc.pid, signal.SIGUSR1)
        result = run_wrk(server, script, key, args.profile_seconds, args)
        os.kill(server.proc.pid, signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop_server(server)
    if not out.exists():
        raise RuntimeError(f"the profiled worker wrote no stats:\n{tail(server)}")
    stats = pstats.Stats(str(out))
    table: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    calls = sum(
        value[1]
        for (filename, _, function), value in table.items()
        if filename.endswith(DECIDE) and function == "decide"
    )
    areas = own_time_by_area(table)
    idle = areas.pop(IDLE, 0.0)
    busy = sum(areas.values())
    per = 1e6 / max(calls, 1)
    print()
    print(
        f"cProfile of 1 API worker (whole request path in one thread, no thread pool), "
        f"{args.connections} connections for {args.profile_seconds:g} s: {calls:,} decisions, "
        f"{result.rate:,.0f} req/s under the profiler; {busy * per:,.0f} µs busy per decision "
        f"(profiler overhead included), {idle:.2f} s idle in epoll"
    )
    print("  own time by area (a builtin counts for its caller's area):")
    for area, seconds in sorted(areas.items(), key=lambda item: -item[1]):
        print(f"  {area:<48} {seconds * per:>7,.0f} µs  {seconds / busy:>4.0%}")
    print("  cumulative time of the parts of a decision:")
    for label, suffix, function in PARTS:
        seconds = outermost_seconds(table, suffix, function)
        print(f"  {label:<48} {seconds * per:>7,.0f} µs  {seconds / busy:>4.0%}")
    if args.profile_top > 0:
        print(f"  top {args.profile_top} functions by own time, per decision:")
        print(f"  {'own':>7} {'cumul.':>9} {'calls':>6}  function")
    ranked = sorted(table.items(), key=lambda item: -item[1][2])
    for (filename, line, function), (_, calls_, own, cumulative, _) in ranked[: args.profile_top]:
        if filename == "~":
            where = function
        else:
            short = re.sub(r"^.*/(site-packages|lib/python3\.\d+)/", "", filename)
            where = f"{short.removeprefix(str(ROOT) + '/')}:{line}({function})"
        print(
            f"  {own * per:>4,.0f} µs {cumulative * per:>6,.0f} µs "
            f"{calls_ / max(calls, 1):>6.1f}  {where}"
        )
