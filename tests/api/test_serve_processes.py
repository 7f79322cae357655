"""`policycheck serve` as real processes: the README's first command, and two servers sharing
one PostgreSQL writing decisions concurrently with nothing lost."""

from __future__ import annotations

import os
import shutil
import signal
import socket
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
        deadline = time.monotonic() + 30
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
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()


def test_readme_run_command_then_the_founding_story(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    env = {"POLICYCHECK_API_KEYS": ""}
    with serving(tmp_path, env=env) as (base, process):
        assert process.stdout is not None
        printed = []
        while len(printed) < 7:
            printed.append(process.stdout.readline())
        agent_key = next(line.split()[1] for line in printed if line.startswith("  agent "))
        response = httpx.post(
            f"{base}/v1/decisions",
            content=str.encode(__import__("json").dumps(FOUNDING)),
            headers={"Authorization": f"Bearer {agent_key}"},
        )
        assert response.status_code == 200, response.text
        assert (response.json()["outcome"], response.json()["clause"]["id"]) == ("allow", "b")
    keys = (tmp_path / "policycheck.keys").read_text(encoding="utf-8")
    assert agent_key not in keys
    assert (tmp_path / "policycheck.db").is_file()


@pytest.mark.skipif(not PG_URL, reason="POLICYCHECK_TEST_PG is not set")
def test_two_servers_on_one_postgresql_lose_nothing(tmp_path: Path) -> None:
    assert PG_URL is not None
    reset_postgres(PG_URL)
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    env = {"POLICYCHECK_API_KEYS": "agent:two-process-key"}
    headers = {"Authorization": "Bearer two-process-key"}
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
