"""What the benchmarks share: servers started and stopped as process groups, interleaved rounds
reported as min and median, rates of a function, API keys, and a fresh store to log into.

Not a benchmark itself; the scripts beside it import it (their folder is first on sys.path).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

HOST = "127.0.0.1"  # every request of the benchmarks goes to loopback
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
READY_SECONDS = 60.0
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/pc_bench"
T = TypeVar("T")


# -- interleaved rounds, min and median -------------------------------------------------------


def interleaved(
    names: Sequence[str], rounds: int, run: Callable[[str, int], T]
) -> dict[str, list[T]]:
    """`run(name, round)` for every name in every round, the order rotating from one round to
    the next (A B C, B C A, ...), so that a disturbance of the shared machine falls on each in
    turn; the results by name, in round order."""
    results: dict[str, list[T]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in [*names[shift:], *names[:shift]]:
            results[name].append(run(name, index))
    return results


def min_median(values: Sequence[float], form: str = "{:.3f}") -> str:
    """`min X, median Y` of the values."""
    return f"min {form.format(min(values))}, median {form.format(statistics.median(values))}"


def ratios(subject: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Each round's subject over the same round's baseline."""
    return [s / b for s, b in zip(subject, baseline, strict=True)]


def rates(
    fn: Callable[[], object], items: int, repeat: int, warm: Callable[[], object] | None = None
) -> list[float]:
    """Items per second of `repeat` timed calls of `fn` (each handling `items`), after one
    untimed call of `warm` (default: `fn`), where caches and tables are built."""
    (warm or fn)()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(items / (time.perf_counter() - start))
    return out


# -- servers -----------------------------------------------------------------------------------


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> Server:
    """Start `cmd` (which has `--port N`), its output in `cwd/<name>.log`."""
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


def direct() -> urllib.request.OpenerDirector:
    """An opener that never goes through a proxy (loopback only)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_ready(server: Server, path: str = "/readyz") -> float:
    """Seconds until GET path answers 200; RuntimeError if the server dies or never does."""
    opener, start = direct(), time.monotonic()
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


def post(server: Server, path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a JSON body with a bearer key; the JSON answer."""
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    with direct().open(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


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


def postgres_cpu_seconds() -> float:
    """CPU time (user + system) used so far by the machine's PostgreSQL server processes."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, _, rest = (entry / "stat").read_text().partition(") ")
        except OSError:
            continue
        if name.endswith("(postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def archived(ref: str, into: Path) -> Path:
    """The files of git commit `ref` of this repository, extracted into `into`."""
    into.mkdir()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar.stdout, check=True)
    return into


# -- keys and stores ---------------------------------------------------------------------------


def key_id(key: str) -> str:
    """What the decision log records for a key (policycheck's ApiKey.key_id)."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def bench_keys(rounds: int) -> tuple[str, str, list[str], dict[str, str]]:
    """The check, warm-up and rounds' agent keys (each of at least 24 characters: shorter
    ones are refused), and the environment that configures them."""
    check_key, warm_key = "pcbench-check-key-0123456789", "pcbench-warmup-key-0123456789"
    round_keys = [f"pcbench-round-{i + 1}-key-0123456789" for i in range(rounds)]
    keys = ",".join(f"agent:{k}" for k in [check_key, warm_key, *round_keys])
    return check_key, warm_key, round_keys, os.environ | {"POLICYCHECK_API_KEYS": keys}


@contextlib.contextmanager
def fresh_schema(server_url: str) -> Iterator[str]:
    """A URL of `server_url`'s database with a new, empty schema first on the search_path
    (dropped after): a fresh store without a database of its own."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def logged(url: str) -> dict[tuple[str, str], int]:
    """Rows of a store's decisions table by (key id, outcome)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT agent_key_id, outcome, count(*) FROM decisions GROUP BY 1, 2")
            ).all()
    finally:
        engine.dispose()
    return {(key, outcome): count for key, outcome, count in rows}
