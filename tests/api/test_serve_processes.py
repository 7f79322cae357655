"""`policycheck serve` as real processes: the README's first command, two servers sharing one
PostgreSQL writing decisions concurrently with nothing lost, and /metrics over several workers."""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy
from api_support import PG_URL, ROOT, reset_postgres
from prometheus_client.parser import text_string_to_metric_families

from policycheck.service.keys import ROLES

SCRIPT = Path(sys.executable).with_name("policycheck")
FOUNDING = {
    "policy": "tomtom-fr-2012",
    "facts": {
        "request": {"kind": "cancellation", "date": "2012-03-19"},
        "product": {"category": "map"},
        "service": {"downloaded": False},
    },
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(workdir: Path, *args: str, env: dict[str, str] | None = None
            ) -> Iterator[tuple[str, subprocess.Popen[str]]]:  # fmt: skip
    """A `policycheck serve` process on a free loopback port, stopped at the end."""
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", str(port), *args], cwd=workdir,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **(env or {})}, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a generous bound, reached only when it fails
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.1)
        else:
            raise AssertionError("the server did not become ready")
        yield base, process
    finally:
        with contextlib.suppress(ProcessLookupError):  # it ended (failed to start): say why
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()


def test_readme_run_command_then_the_founding_story(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    env = {"POLICYCHECK_API_KEYS": ""}
    with serving(tmp_path, env=env) as (base, process):
        assert process.stdout is not None
        printed = [process.stdout.readline() for _ in range(2)]
        # not a terminal: the keys are in a file only their owner reads, its path printed
        shown = tmp_path / "policycheck.keys.new"
        assert str(shown) in printed[1]
        assert stat.S_IMODE(shown.stat().st_mode) == 0o600
        created = dict(
            line.split(":", 1)
            for line in shown.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")
        )
        assert sorted(created) == sorted(ROLES)
        assert not any(key in "".join(printed) for key in created.values())
        agent_key = created["agent"]
        response = httpx.post(
            f"{base}/v1/decisions",
            content=str.encode(__import__("json").dumps(FOUNDING)),
            headers={"Authorization": f"Bearer {agent_key}"},
        )
        assert response.status_code == 200, response.text
        assert (response.json()["outcome"], response.json()["clause"]["id"]) == ("allow", "b")
    keys = (tmp_path / "policycheck.keys").read_text(encoding="utf-8")
    assert agent_key not in keys
    assert stat.S_IMODE((tmp_path / "policycheck.keys").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "policycheck.db").stat().st_mode) == 0o600


@pytest.mark.skipif(not PG_URL, reason="POLICYCHECK_TEST_PG is not set")
def test_two_servers_on_one_postgresql_lose_nothing(tmp_path: Path) -> None:
    assert PG_URL is not None
    reset_postgres(PG_URL)
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    env = {"POLICYCHECK_API_KEYS": "agent:two-process-key-5f8c2a9e71d4"}
    headers = {"Authorization": "Bearer two-process-key-5f8c2a9e71d4"}
    with serving(tmp_path, "--db", PG_URL, env=env) as (first, _), \
            serving(tmp_path, "--db", PG_URL, env=env) as (second, _):  # fmt: skip

        def decide(i: int) -> str:
            base = first if i % 2 else second
            response = httpx.post(f"{base}/v1/decisions", json=FOUNDING, headers=headers,
                                  timeout=30)  # fmt: skip
            assert response.status_code == 200, response.text
            return str(response.json()["decision_id"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(decide, range(200)))
    engine = sqlalchemy.create_engine(PG_URL)
    with engine.connect() as connection:
        logged = connection.execute(sqlalchemy.text("SELECT id FROM decisions")).scalars().all()
    engine.dispose()
    assert len(set(ids)) == 200
    assert sorted(logged) == sorted(ids)


# -- /metrics with several workers: every scrape counts every worker --------------------------

AGENT_KEY = "agent-key-of-the-metrics-test-0123"
ADMIN_KEY = "admin-key-of-the-metrics-test-4567"


def _socket_inode(port: int, client_port: int) -> int:
    """The inode of the server's end of a loopback connection (0 until a process accepts it)."""
    wanted = (f"0100007F:{port:04X}", f"0100007F:{client_port:04X}")
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (fields[1], fields[2]) == wanted:
            return int(fields[9])
    return 0


def _descendants(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    return found


def _worker_of(connection: http.client.HTTPConnection, server_pid: int) -> int:
    """The worker process that accepted `connection` (the kernel chooses), found in /proc."""
    assert connection.sock is not None
    server_port, client_port = connection.port, connection.sock.getsockname()[1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        inode = _socket_inode(server_port, client_port)
        for pid in _descendants(server_pid) if inode else []:
            with contextlib.suppress(OSError):  # a process that ended meanwhile
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
        time.sleep(0.01)
    raise AssertionError("no worker accepted the connection")


def _connect(base: str, server_pid: int) -> tuple[http.client.HTTPConnection, int]:
    connection = http.client.HTTPConnection("127.0.0.1", int(base.rpartition(":")[2]), timeout=30)
    connection.connect()
    return connection, _worker_of(connection, server_pid)


def _call(connection: http.client.HTTPConnection, path: str, key: str,
          body: object = None) -> tuple[int, bytes]:  # fmt: skip
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    method, data = ("GET", None) if body is None else ("POST", json.dumps(body).encode())
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def _scrape(connection: http.client.HTTPConnection) -> dict[str, float]:
    """The decisions counted and the workers running, as one scrape reads them."""
    status, text = _call(connection, "/metrics", ADMIN_KEY)
    assert status == 200, text
    totals = {"policycheck_decisions_total": 0.0, "policycheck_workers": 0.0}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            if sample.name in totals:
                totals[sample.name] += sample.value
    return totals


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc")
def test_every_scrape_counts_every_worker_and_a_dead_workers_decisions(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    (tmp_path / "tmp").mkdir()  # where the server makes its metrics directory
    env = {"POLICYCHECK_API_KEYS": f"agent:{AGENT_KEY},admin:{ADMIN_KEY}",
           "TMPDIR": str(tmp_path / "tmp")}  # fmt: skip
    with serving(tmp_path, "--workers", "2", env=env) as (base, process):
        decisions: collections.Counter[int] = collections.Counter()
        while len(decisions) < 2 or min(decisions.values()) < 12:  # 12 decisions on each worker
            assert sum(decisions.values()) < 500, decisions
            connection, worker = _connect(base, process.pid)
            with contextlib.closing(connection):
                if decisions[worker] < 12:
                    assert _call(connection, "/v1/decisions", AGENT_KEY, FOUNDING)[0] == 200
                    decisions[worker] += 1
        assert len(decisions) == 2
        scrapes: collections.Counter[int] = collections.Counter()
        while min(scrapes[worker] for worker in decisions) < 3:  # 3 scrapes answered by each
            connection, worker = _connect(base, process.pid)
            with contextlib.closing(connection):
                assert _scrape(connection) == {
                    "policycheck_decisions_total": 24, "policycheck_workers": 2
                }  # fmt: skip
            scrapes[worker] += 1
        assert [p.name.startswith("policycheck-metrics-") for p in (tmp_path / "tmp").iterdir()
                ] == [True]  # fmt: skip
        dead = next(iter(decisions))
        os.kill(dead, signal.SIGKILL)  # uvicorn's supervisor starts another worker
        while True:  # until a connection is accepted by the new worker (it counts nothing yet)
            connection, worker = _connect(base, process.pid)
            with contextlib.closing(connection):
                if worker not in decisions:
                    assert _scrape(connection) == {
                        "policycheck_decisions_total": 24, "policycheck_workers": 2
                    }  # fmt: skip
                    break
    assert list((tmp_path / "tmp").iterdir()) == []  # the directory is removed at exit
