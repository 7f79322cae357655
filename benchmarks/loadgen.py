"""wrk posting the API's four benchmark bodies in turn, for `benchmarks/api_load.py`: the bodies
(also used by `benchmarks/api_inprocess.py`), the Lua script, one run's result, a round.

The bodies: the founding story; a device one jour ouvrable late in Paris; the same device in
time in Strasbourg, where Good Friday is a holiday; a return, which no clause governs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import Server, tree_cpu_seconds

POLICY = "tomtom-fr-2012"
PATH = "/v1/decisions"

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


def describe(result: WrkResult) -> str:
    errors = f"{result.status:,} non-2xx, {result.socket_errors:,} socket errors"
    return (
        f"{result.rate:>8,.0f} req/s  p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms"
        f"  max {result.max_ms:6.1f} ms  ({result.requests:,} in {result.seconds:.1f} s, {errors})"
    )


def timed_round(
    server: Server, script: Path, warm_key: str, key: str, args: argparse.Namespace
) -> tuple[WrkResult, float]:
    """One server's turn in a round: a warm-up, then the timed run and the server's CPU
    milliseconds per successful request during it."""
    run_wrk(server, script, warm_key, args.warmup, args)
    before = tree_cpu_seconds(server.proc.pid)
    result = run_wrk(server, script, key, args.seconds, args)
    return result, (tree_cpu_seconds(server.proc.pid) - before) * 1e3 / max(result.ok, 1)
