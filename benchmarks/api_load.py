"""Load on `POST /v1/decisions` against a bare FastAPI endpoint, with wrk, on loopback only.

Targets: the API serves at least 50% of the requests per second of a bare FastAPI
endpoint that only validates a similar body, and its p99 latency is under 25 ms, at 32
connections.

Both servers run at once on 127.0.0.1, each on uvicorn with 2 workers, served the same way
(`policycheck serve`'s HTTP protocol, httptools with TCP_NODELAY, and event loop, uvloop;
`policycheck.cli.serve.HTTP` and `LOOP`, no access log): the API as
`policycheck serve --workers 2` (shipped rules copied to a temporary folder, a fresh SQLite
database there, an agent key chosen through POLICYCHECK_API_KEYS, every decision logged), and
`benchmarks/bare_app.py`. wrk (Debian package `wrk`) posts a fixed set of four bodies in turn
(the founding story; a device one jour ouvrable late in Paris; the same device in time in
Strasbourg, where Good Friday is a holiday; a return, which no clause governs) with 2 threads
and 32 connections: per server and round, a warm-up (not counted), then a timed run. Rounds
alternate which server goes first, since the machine is shared. The medians over the rounds are
judged. Each round's timed run uses its own API key, so that afterwards the decisions it logged
are counted apart (key id = first 8 hex digits of the key's SHA-256) and compared with the
successful responses wrk counted: none may be missing, and at most one per connection may be
extra (requests in flight when wrk stops are still served and logged, but not counted by wrk).

Before the rounds, each server gets one keep-alive connection for a moment (`--probe-seconds`):
a bare request that takes ~40 ms there is waiting for the client's delayed ACK, a sign that the
server leaves TCP_NODELAY off (uvicorn does with --workers > 1: Kludex/uvicorn#3149).

wrk and the servers share the machine's CPUs (their number is printed, with the load average):
the numbers are those of a server with its load generator beside it, the same for both servers.
Each timed run also gives the server's CPU time (all its processes, from /proc) per request,
which other load on a shared machine changes much less than the requests per second.

When a target is missed (`--profile auto`, the default; `always` or `never` otherwise), the
time is looked for with `benchmarks/api_instrumented.py`, the API's code unchanged: first the API
served as above, each stage of each decision timed with the wall clock (reaching the endpoint,
evaluating, writing the explanations, waiting for a pooled connection and for SQLite's write
lock, inserting, committing), percentiles and the slowest 1%; then one worker under cProfile, the
whole request path in one thread, its busy time per decision by area and by part, and the top
functions. Exit status: 0 when both targets are met and no decision is lost, else 1.

    .venv/bin/python benchmarks/api_load.py [--seconds 10] [--warmup 2] [--rounds 2]
        [--connections 32] [--threads 2] [--workers 2] [--probe-seconds 2]
        [--profile auto|always|never] [--profile-seconds 5] [--profile-top 25] [--show-wrk]
        [--baseline REF [--subject REF]]

With `--baseline REF`, the bare endpoint is replaced by the API of git commit REF, and the
subject is the API of `--subject` (a commit, or `.`, the working tree, by default): each
commit's files are extracted (`git archive`) into the temporary folder and served by
`policycheck serve` with them first on PYTHONPATH, each on a database of its own, in interleaved
rounds as above. Printed: each round's ratio of requests per second (subject over baseline),
their min and median, and the ratio of server CPU per request; the target is a median of at
least 90%. Comparing a change with its parent commit measures that change alone, e.g. the
decision log's chain: `--baseline 0654a6c^ --subject 0654a6c`.

(wrk: `apt-get install -y wrk`.)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pstats
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from policycheck.cli import serve

TARGET_RATIO = 0.50  # API requests/s over the bare endpoint's
TARGET_P99_MS = 25.0
HOST = "127.0.0.1"  # every request of this benchmark goes to loopback
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
POLICY = "tomtom-fr-2012"
PATH = "/v1/decisions"
READY_SECONDS = 60.0
NAGLE_MS = 30.0  # a bare request slower than this on one connection: the delayed-ACK stall

# (label, body, expected outcome, expected clause)
BODIES: list[tuple[str, dict[str, Any], str, str | None]] = [
    (
        "founding story: a map, the agent proposes refuse under a",
        {
            "policy": POLICY,
            "facts": {
                "request": {"kind": "cancellation", "date": "2012-03-19"},
                "product": {"category": "map"},
                "service": {"downloaded": False},
            },
            "proposed": {"outcome": "refuse", "clause": "a"},
        },
        "allow",
        "b",
    ),
    (
        "device one jour ouvrable late, Paris",
        {
            "policy": POLICY,
            "facts": {
                "request": {"kind": "cancellation", "date": "2012-04-23"},
                "product": {"category": "device", "used": False, "original_packaging": True},
                "delivery": {"date": "2012-04-04", "postcode": "75011"},
            },
        },
        "refuse",
        "a",
    ),
    (
        "device in time, Strasbourg (Good Friday closed)",
        {
            "policy": POLICY,
            "facts": {
                "request": {"kind": "cancellation", "date": "2012-04-23"},
                "product": {"category": "device", "used": False, "original_packaging": True},
                "delivery": {"date": "2012-04-04", "postcode": "67000"},
            },
        },
        "allow",
        "a",
    ),
    (
        "a return",
        {
            "policy": POLICY,
            "facts": {
                "request": {"kind": "return", "date": "2012-04-10"},
                "product": {"category": "device", "used": True},
                "delivery": {"date": "2012-04-04", "postcode": "75011"},
            },
        },
        "no_clause",
        None,
    ),
]

LUA = """-- written by benchmarks/api_load.py: post the bodies in turn with an agent key
local bodies = {
%(bodies)s
}
local prepared = {}
local counter = 0
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[1]
  for i, body in ipairs(bodies) do
    prepared[i] = wrk.format("POST", "%(path)s", headers, body)
  end
  counter = thread_id or 0
end

function request()
  counter = counter + 1
  return prepared[(counter %% #prepared) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
"""


# -- servers ---------------------------------------------------------------------------------------


@dataclass
class Server:
    """A server started in its own process group (the group is what gets stopped)."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def workers(args: argparse.Namespace) -> str:
    return f"{args.workers} uvicorn worker{'s' if args.workers != 1 else ''}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> Server:
    port = int(cmd[cmd.index("--port") + 1])
    log = cwd / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    return Server(name, port, proc, log)


def _direct() -> urllib.request.OpenerDirector:
    """An opener that never goes through a proxy (loopback only)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_ready(server: Server, path: str = "/readyz") -> float:
    """Seconds until GET path answers 200; RuntimeError if the server dies or never does."""
    opener, start = _direct(), time.monotonic()
    while time.monotonic() - start < READY_SECONDS:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.proc.returncode}):\n{tail(server)}")
        with contextlib.suppress(OSError), opener.open(server.url + path, timeout=2) as answer:
            if answer.status == 200:
                return time.monotonic() - start
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} not ready after {READY_SECONDS:.0f} s:\n{tail(server)}")


def stop_server(server: Server) -> None:
    """SIGTERM to the whole process group, SIGKILL after 15 s; return once the group is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGTERM)
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=5)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(server.proc.pid, 0)  # workers of the group still there?
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGKILL)


def tail(server: Server, lines: int = 30) -> str:
    text = server.log.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def post(server: Server, key: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        server.url + PATH,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    with _direct().open(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


# -- wrk ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int  # completed, whatever their status
    seconds: float
    connect: int
    read: int
    write: int
    status: int  # responses with a status >= 400
    timeout: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    text: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def ok(self) -> int:
        return self.requests - self.status

    @property
    def socket_errors(self) -> int:
        return self.connect + self.read + self.write + self.timeout


def write_script(folder: Path) -> Path:
    texts = [json.dumps(body, separators=(",", ":")) for _, body, _, _ in BODIES]
    assert not any("]==]" in text for text in texts)
    bodies = ",\n".join(f"  [==[{text}]==]" for text in texts)
    script = folder / "post_bodies.lua"
    script.write_text(LUA % {"bodies": bodies, "path": PATH}, encoding="utf-8")
    return script


def run_wrk(
    server: Server,
    script: Path,
    key: str,
    seconds: float,
    args: argparse.Namespace,
    connections: int | None = None,
) -> WrkResult:
    """wrk against the server for `seconds` (args.connections, or `connections` on one thread)."""
    cmd = [
        "wrk",
        f"--threads={args.threads if connections is None else 1}",
        f"--connections={connections or args.connections}",
        f"--duration={seconds:g}s",
        "--timeout=2s",
        "--latency",
        f"--script={script}",
        server.url + PATH,
        "--",
        key,
    ]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 30, check=False, cwd=script.parent
    )
    found = re.search(r"^RESULT((?: \d+){11})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    n = [int(x) for x in found.group(1).split()]
    connect, read, write, status, timeout, p50, p99, mean, longest = n[2:]
    return WrkResult(
        requests=n[0],
        seconds=n[1] / 1e6,
        connect=connect,
        read=read,
        write=write,
        status=status,
        timeout=timeout,
        p50_ms=p50 / 1e3,
        p99_ms=p99 / 1e3,
        mean_ms=mean / 1e3,
        max_ms=longest / 1e3,
        text=done.stdout[: found.start()].rstrip(),
    )


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by a process and its descendants (Linux /proc): the
    servers' cost per request, which the machine's other load changes much less than req/s."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(times.get(pid, 0.0) for pid in tree)


def describe(result: WrkResult) -> str:
    errors = f"{result.status:,} non-2xx, {result.socket_errors:,} socket errors"
    return (
        f"{result.rate:>8,.0f} req/s  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms"
        f"  max {result.max_ms:6.1f} ms  ({result.requests:,} in {result.seconds:.1f} s, {errors})"
    )


# -- the log ---------------------------------------------------------------------------------------


def key_id(key: str) -> str:
    """What the decision log records for a key (policycheck.service.keys.ApiKey.key_id)."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def logged(db: Path) -> dict[tuple[str, str], int]:
    """Rows of the decisions table by (key id, outcome)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT agent_key_id, outcome, count(*) FROM decisions GROUP BY 1, 2"
        ).fetchall()
    return {(key, outcome): count for key, outcome, count in rows}


# -- where the time goes --------------------------------------------------------------------------

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


PARTS = [  # (label, file, function): cumulative time (parts may contain one another)
    (
        "uvicorn httptools: data_received (parse)",
        "uvicorn/protocols/http/httptools_impl.py",
        "data_received",
    ),
    ("uvicorn httptools: send (the response)", "uvicorn/protocols/http/httptools_impl.py", "send"),
    ("api.deps body_and_key (body, validation, key)", "api/deps.py", "body_and_key"),
    ("  api.deps check_key (the key: SHA-256, compare)", "api/deps.py", "check_key"),
    ("endpoint decide(), all of it but the log's write", "api/routes/decisions.py", "decide"),
    ("  Policy.evaluate", "policycheck/policy.py", "evaluate"),
    ("  Decision.to_dict (explanations, trace)", "policycheck/evaluation/decision.py", "to_dict"),
    ("  mask_personal", "policycheck/store/records.py", "mask_personal"),
    ("the log's write, at the end of a loop turn", "policycheck/store/group_commit.py", "_flush"),
    ("  Store.log_decisions (rows + SQLite)", "policycheck/store/database.py", "log_decisions"),
]


def outermost_seconds(table: dict[tuple[str, int, str], Any], suffix: str, function: str) -> float:
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
        if filename.endswith("api/routes/decisions.py") and function == "decide"
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


# -- the run ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM ends the run through the `finally` blocks (which stop the servers)."""

    def leave(_signum: int, _frame: object) -> None:
        raise SystemExit(143)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def bench_keys(rounds: int) -> tuple[str, str, list[str], dict[str, str]]:
    """The check, warm-up and rounds' agent keys (each of at least 24 characters:
    policycheck.service.keys refuses shorter ones), and the environment that configures them."""
    check_key, warm_key = "pcbench-check-key-0123456789", "pcbench-warmup-key-0123456789"
    round_keys = [f"pcbench-round-{i + 1}-key-0123456789" for i in range(rounds)]
    keys = ",".join(f"agent:{k}" for k in [check_key, warm_key, *round_keys])
    return check_key, warm_key, round_keys, os.environ | {"POLICYCHECK_API_KEYS": keys}


def timed_round(
    server: Server, script: Path, warm_key: str, key: str, args: argparse.Namespace
) -> tuple[WrkResult, float]:
    """One server's turn in a round: a warm-up, then the timed run and the server's CPU
    milliseconds per successful request during it."""
    run_wrk(server, script, warm_key, args.warmup, args)
    before = tree_cpu_seconds(server.proc.pid)
    result = run_wrk(server, script, key, args.seconds, args)
    return result, (tree_cpu_seconds(server.proc.pid) - before) * 1e3 / max(result.ok, 1)


# -- one version of the API against another -------------------------------------------------------

BASELINE_TARGET = 0.90  # the subject's requests/s over the baseline's: within 10%
RUN_CLI = "import sys; from policycheck.cli.main import main; sys.exit(main())"


def archived(ref: str, into: Path) -> Path:
    """The files of git commit `ref` of this repository, extracted into `into`."""
    into.mkdir()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar.stdout, check=True)
    return into


def start_version(
    name: str, tree: Path | None, work: Path, rules: Path, env: dict[str, str], workers: int
) -> tuple[Server, Path]:
    """`policycheck serve` from the files in `tree` (None: the working tree), on a fresh SQLite
    database and keys file of its own; the server and its database."""
    db = work / f"{name}.db"
    cmd = [sys.executable, "-c", RUN_CLI, "serve", "--rules", str(rules)]
    cmd += ["--db", f"sqlite:///{db}", "--host", HOST, "--port", str(free_port())]
    cmd += ["--workers", str(workers), "--keys-file", str(work / f"{name}.keys")]
    if tree is not None:  # its own packages first on the path (uvicorn's workers inherit it)
        env = env | {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
        }
    return start_server(name, cmd, env, work), db


def compare_versions(args: argparse.Namespace) -> int:
    """The API of `args.subject` against the API of `args.baseline`, served the same way, in
    interleaved rounds (the order alternates); judged on each round's ratio of requests per
    second, min and median."""
    with terminate_on_sigterm(), tempfile.TemporaryDirectory(prefix="pc-api-versions-") as tmp:
        work = Path(tmp)
        rules = work / "rules"
        shutil.copytree(ROOT / "rules", rules)
        script = write_script(work)
        check_key, warm_key, round_keys, env = bench_keys(args.rounds)
        trees = {
            "subject": None if args.subject == "." else archived(args.subject, work / "subject"),
            "baseline": archived(args.baseline, work / "baseline"),
        }
        print(
            f"POST {PATH}: the API of {args.subject} (subject; '.' is the working tree) against "
            f"the API of {args.baseline} (baseline), {workers(args)} each, SQLite; wrk "
            f"{args.threads} threads, {args.connections} connections, {args.warmup:g} s warm-up + "
            f"{args.seconds:g} s timed per server and round, {args.rounds} rounds alternating; "
            f"{os.cpu_count()} CPUs (load average "
            f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())})"
        )
        servers: dict[str, Server] = {}
        dbs: dict[str, Path] = {}
        results: dict[str, list[WrkResult]] = {"subject": [], "baseline": []}
        cpu: dict[str, list[float]] = {"subject": [], "baseline": []}
        try:
            for name, tree in trees.items():
                servers[name], dbs[name] = start_version(name, tree, work, rules, env, args.workers)
            for server in servers.values():
                wait_ready(server)
            for label, body, outcome, clause in BODIES:
                for server in servers.values():
                    got = post(server, check_key, body)
                    found = (got["outcome"], (got["clause"] or {}).get("id"))
                    assert found == (outcome, clause), (server.name, label, found)
            for index, key in enumerate(round_keys):
                order = list(servers.items())
                for name, server in order if index % 2 == 0 else order[::-1]:
                    result, spent = timed_round(server, script, warm_key, key, args)
                    results[name].append(result)
                    cpu[name].append(spent)
                    print(
                        f"round {index + 1}  {name:<8} {describe(result)}; CPU {spent:.2f} ms/req"
                    )
        finally:
            for server in servers.values():
                stop_server(server)
        ratios = [
            s.rate / b.rate for s, b in zip(results["subject"], results["baseline"], strict=True)
        ]
        cpu_ratios = [s / b for s, b in zip(cpu["subject"], cpu["baseline"], strict=True)]
        lost = 0
        for name in servers:
            counts = logged(dbs[name])
            for index, key in enumerate(round_keys):
                rows = sum(n for (k, _), n in counts.items() if k == key_id(key))
                lost += max(0, results[name][index].ok - rows)
        failed = sum(r.status + r.socket_errors for rs in results.values() for r in rs)
        print("subject / baseline requests/s per round: " + ", ".join(f"{r:.3f}" for r in ratios))
        print(
            f"min {min(ratios):.3f}, median {statistics.median(ratios):.3f}; server CPU per "
            f"request, subject / baseline: median {statistics.median(cpu_ratios):.3f}"
        )
        ok = statistics.median(ratios) >= BASELINE_TARGET and lost == 0 and failed == 0
        print(
            f"{'meets' if statistics.median(ratios) >= BASELINE_TARGET else 'MISSES'} the target "
            f"(median >= {BASELINE_TARGET:.0%}); {lost} logged decisions missing, {failed} "
            "failed requests"
        )
    return 0 if ok else 1


def check_bodies(api: Server, bare: Server, key: str) -> None:
    """Each body once: the API's decision is the expected one; the bare endpoint answers."""
    for label, body, outcome, clause in BODIES:
        decision = post(api, key, body)
        got = (decision["outcome"], (decision["clause"] or {}).get("id"))
        assert got == (outcome, clause), (label, got)
        proposal = decision.get("proposal")
        if "proposed" in body:
            assert proposal is not None, label
            assert not proposal["agrees"], (label, proposal)
        post(bare, key, body)
        shown = f"{outcome} under {clause}" if clause else outcome
        print(f"  {label:<52} -> {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="timed run per server, round")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up before each timed run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (the order alternates)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="profile one API worker: when a target is missed (auto), always or never",
    )
    parser.add_argument(
        "--probe-seconds", type=float, default=2, help="one-connection run per server, first"
    )
    parser.add_argument("--profile-seconds", type=float, default=5)
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--show-wrk", action="store_true", help="print wrk's own report too")
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="compare the API with the API of git commit REF instead of the bare endpoint",
    )
    parser.add_argument(
        "--subject",
        metavar="REF",
        default=".",
        help="with --baseline: the API of git commit REF (default: the working tree)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    if args.baseline:
        return compare_versions(args)

    with terminate_on_sigterm(), tempfile.TemporaryDirectory(prefix="pc-api-load-") as tmp:
        work = Path(tmp)
        rules = work / "rules"
        shutil.copytree(ROOT / "rules", rules)
        db = work / "decisions.db"
        script = write_script(work)
        check_key, warm_key, round_keys, env = bench_keys(args.rounds)
        api_cmd = [str(BIN / "policycheck"), "serve", "--rules", str(rules)]
        api_cmd += ["--db", f"sqlite:///{db}", "--host", HOST, "--port", str(free_port())]
        api_cmd += ["--workers", str(args.workers), "--keys-file", str(work / "none.keys")]
        # The bare app runs like `policycheck serve`: same HTTP protocol (httptools, TCP_NODELAY)
        # and event loop (uvloop), no access log, so the comparison is of the work per request.
        bare_port = free_port()
        bare_run = (
            f"import uvicorn; uvicorn.run('bare_app:app', host={HOST!r}, port={bare_port}, "
            f"workers={args.workers}, app_dir={str(HERE)!r}, "
            f"http={serve.HTTP!r}, loop={serve.LOOP!r}, access_log=False, log_level='info', "
            "server_header=False)"
        )
        bare_cmd = [
            sys.executable,
            "-c",
            bare_run,
            "--port",
            str(bare_port),
        ]  # port: for start_server

        load = "/".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"POST {PATH}: wrk {args.threads} threads, {args.connections} connections, "
            f"{args.warmup:g} s warm-up + {args.seconds:g} s timed per server and round, "
            f"{args.rounds} rounds alternating"
        )
        versions = ", ".join(
            f"{name} {version(name)}" for name in ("uvicorn", "httptools", "uvloop", "fastapi")
        )
        print(
            f"machine: {os.cpu_count()} CPUs shared by wrk and both servers "
            f"(load average {load}); servers on {HOST}, {workers(args)} each "
            f"({versions})"
        )
        servers: list[Server] = []
        try:
            api = start_server("api", api_cmd, env, work)
            servers.append(api)
            bare = start_server("bare", bare_cmd, env, work)
            servers.append(bare)
            ready_api, ready_bare = wait_ready(api), wait_ready(bare)
            print(f"ready: API in {ready_api:.1f} s, bare in {ready_bare:.1f} s; the four bodies:")
            check_bodies(api, bare, check_key)

            probes = {
                name: run_wrk(server, script, warm_key, args.probe_seconds, args, connections=1)
                for name, server in [("API", api), ("bare", bare)]
            }
            for name, probe in probes.items():
                print(f"1 connection {name:<4} {describe(probe)}")
            if probes["bare"].p50_ms >= NAGLE_MS:
                print(
                    f"  the bare endpoint takes {probes['bare'].p50_ms:.0f} ms a request on one "
                    "keep-alive connection: each response waits for the client's delayed ACK "
                    "(Nagle): with --workers > 1 uvicorn binds the listening socket itself and "
                    "asyncio then leaves TCP_NODELAY off (Kludex/uvicorn#3149); both servers "
                    "are held back by it, the bare one most"
                )

            results: dict[str, list[WrkResult]] = {"API": [], "bare": []}
            cpu_per_request: dict[str, list[float]] = {"API": [], "bare": []}
            for index, key in enumerate(round_keys):
                order = [("API", api), ("bare", bare)]
                for name, server in order if index % 2 == 0 else order[::-1]:
                    result, cpu_ms = timed_round(server, script, warm_key, key, args)
                    results[name].append(result)
                    cpu_per_request[name].append(cpu_ms)
                    print(
                        f"round {index + 1}  {name:<4} {describe(result)}; "
                        f"server CPU {cpu_ms:.2f} ms/request"
                    )
                    if args.show_wrk:
                        print(result.text)
        finally:
            for server in servers:
                stop_server(server)

        problems = [
            f"{server.name}: {line}"
            for server in servers
            for line in server.log.read_text(encoding="utf-8", errors="replace").splitlines()
            if "Traceback" in line or "ERROR" in line or '" 5' in line
        ]
        counts = logged(db)
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())

        api_rate = statistics.median(r.rate for r in results["API"])
        bare_rate = statistics.median(r.rate for r in results["bare"])
        api_p50 = statistics.median(r.p50_ms for r in results["API"])
        api_p99 = statistics.median(r.p99_ms for r in results["API"])
        bare_p50 = statistics.median(r.p50_ms for r in results["bare"])
        bare_p99 = statistics.median(r.p99_ms for r in results["bare"])
        print(f"load average after: {load}")
        for name, rate, p50, p99 in [
            ("API", api_rate, api_p50, api_p99),
            ("bare", bare_rate, bare_p50, bare_p99),
        ]:
            cpu_ms = statistics.median(cpu_per_request[name])
            print(
                f"median {name:<4}: {rate:8,.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                f"server CPU {cpu_ms:.2f} ms/request"
            )

        lost, in_flight = 0, True
        for index, key in enumerate(round_keys):
            result = results["API"][index]
            by_outcome = {o: n for (k, o), n in counts.items() if k == key_id(key)}
            rows = sum(by_outcome.values())
            lost += max(0, result.ok - rows)
            extra = rows - result.ok
            in_flight = in_flight and 0 <= extra <= args.connections
            mix = ", ".join(f"{o} {n:,}" for o, n in sorted(by_outcome.items()))
            print(
                f"round {index + 1}: {rows:,} decisions logged for {result.ok:,} successful "
                f"responses counted by wrk ({extra:+,} in flight when wrk stopped; {mix})"
            )
        non_2xx = sum(r.status + r.socket_errors for r in results["API"] + results["bare"])

        ratio = api_rate / bare_rate
        ratio_ok, p99_ok = ratio >= TARGET_RATIO, api_p99 < TARGET_P99_MS
        log_ok = lost == 0 and in_flight and non_2xx == 0 and not problems
        for line in problems[:10]:
            print(f"server log: {line}")
        print(
            f"API / bare = {ratio:.0%} of the requests per second: "
            f"{'meets' if ratio_ok else 'MISSES'} the target (>= {TARGET_RATIO:.0%})"
        )
        print(
            f"API p99 {api_p99:.1f} ms at {args.connections} connections: "
            f"{'meets' if p99_ok else 'MISSES'} the target (< {TARGET_P99_MS:g} ms)"
        )
        needed = args.connections / (TARGET_P99_MS / 1e3)
        print(
            f"for information: bare p99 {bare_p99:.1f} ms "
            f"({'under' if bare_p99 < TARGET_P99_MS else 'over'} the same bound); with "
            f"{args.connections} requests always in flight, mean latency = connections / "
            f"throughput, so a p99 under {TARGET_P99_MS:g} ms needs more than {needed:,.0f} req/s"
        )
        print(
            f"decision log: {'nothing lost' if log_ok else 'PROBLEM'} ({lost} missing, "
            f"at most one extra per connection: {in_flight}, {non_2xx} failed requests, "
            f"{len(problems)} error lines in the server logs)"
        )

        if args.profile == "always" or (args.profile == "auto" and not (ratio_ok and p99_ok)):
            time_stages(work, rules, script, round_keys[0], args)
            profile_api(work, rules, script, round_keys[0], args)
    return 0 if ratio_ok and p99_ok and log_ok else 1


if __name__ == "__main__":
    sys.exit(main())
