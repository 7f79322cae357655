"""Load on `POST /v1/decisions` against a bare FastAPI endpoint, with wrk, on loopback only.

Targets: the API serves at least 50% of the requests per second of a bare FastAPI
endpoint that only validates a similar body, and its p99 latency is under 25 ms, at 32
connections.

Every server runs on 127.0.0.1 on uvicorn with 2 workers, served the same way
(`policycheck serve`'s HTTP protocol, httptools with TCP_NODELAY, and event loop, uvloop; no
access log): the API as `policycheck serve --workers 2` (shipped rules copied to a temporary
folder, an agent key chosen through POLICYCHECK_API_KEYS, every decision logged), and
`benchmarks/bare_app.py`. wrk (Debian package `wrk`) posts the four bodies of
`benchmarks/loadgen.py` in turn with 2 threads and 32 connections: per server and round, a
warm-up (not counted), then a timed run. The servers take turns in interleaved rounds, the
order rotating from one round to the next (the machine is shared); each round's ratio of
requests per second to the bare endpoint's is printed, then their min and median, which are
judged. Each timed run uses its own API key, so that afterwards the decisions it logged are
counted apart and compared with the successful responses wrk counted: none may be missing, and
at most one per connection may be extra (requests in flight when wrk stops are still served
and logged, but not counted by wrk). Each timed run also gives the server's CPU time (all its
processes, from /proc) per request, which other load changes much less than requests/s.

One run can hold several APIs (`--api`, repeated), each judged against the same bare endpoint
in the same rounds, and the second and later also against the first:

    --api LABEL[=REF][,db=sqlite|postgres][,without=MECHANISM+MECHANISM]

REF is a git commit whose files are extracted (`git archive`) and served with them first on
PYTHONPATH (default: the working tree). `db=postgres` logs to a fresh schema of `--pg`'s
database (default: SQLite, a fresh file). `without=` serves the working tree's API with store
mechanisms switched off, for this benchmark only (`benchmarks/api_variants.py`: lock_file,
checkpointer, hand_rows). `--db postgres` is the default of `db=`.
`--baseline REF [--subject REF]` is `--api subject=SUBJECT --api baseline=REF` judged on the
subject's requests/s over the baseline's (median at least 90%).

Before the rounds, each server gets one keep-alive connection for a moment (`--probe-seconds`):
a bare request that takes ~40 ms there is waiting for the client's delayed ACK, a sign that the
server leaves TCP_NODELAY off (uvicorn does with --workers > 1: Kludex/uvicorn#3149).

When a target is missed (`--profile auto`, the default; `always` or `never` otherwise), the
time is looked for with `benchmarks/api_profile.py` (stages timed, then cProfile of one worker).
Exit status: 0 when the targets are met and no decision is lost, else 1.

    .venv/bin/python benchmarks/api_load.py [--seconds 10] [--warmup 2] [--rounds 2]
        [--connections 32] [--threads 2] [--workers 2] [--probe-seconds 2]
        [--api SPEC ...] [--db sqlite|postgres] [--pg URL] [--baseline REF [--subject REF]]
        [--profile auto|always|never] [--profile-seconds 5] [--profile-top 25] [--show-wrk]

(wrk: `apt-get install -y wrk`.)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from api_profile import profile_api, time_stages, workers
from common import (
    HERE,
    HOST,
    PG_DEFAULT,
    Server,
    archived,
    bench_keys,
    free_port,
    fresh_schema,
    interleaved,
    key_id,
    logged,
    min_median,
    post,
    ratios,
    start_server,
    stop_server,
    terminate_on_sigterm,
    wait_ready,
)
from loadgen import BODIES, PATH, WrkResult, describe, run_wrk, timed_round, write_script

TARGET_RATIO = 0.50  # API requests/s over the bare endpoint's
TARGET_P99_MS = 25.0
BASELINE_TARGET = 0.90  # --baseline: the subject's requests/s over the baseline's
NAGLE_MS = 30.0  # a bare request slower than this on one connection: the delayed-ACK stall
SERVE = "policycheck.cli.serve"  # its APP: what uvicorn's workers import
RUN_CLI = (
    "import sys\n"
    "try:\n    from policycheck.cli.main import main\n"
    "except ImportError:\n    from policycheck.cli import main\n"
    "if len(sys.argv) > 1 and sys.argv[1] == '--variant':\n"
    f"    import {SERVE} as serve; serve.APP = 'api_variants:app'; del sys.argv[1]\n"
    "sys.exit(main())"
)
MECHANISMS = ("lock_file", "checkpointer", "hand_rows")


@dataclass
class Api:
    """One API of the run: its label, commit (None: the working tree), database, switches."""

    label: str
    ref: str | None = None
    db: str = "sqlite"
    without: list[str] = field(default_factory=list)
    url: str = ""  # its store, once made

    @classmethod
    def parse(cls, spec: str, default_db: str) -> Api:
        head, *options = spec.split(",")
        label, _, ref = head.partition("=")
        api = cls(label, ref or None, default_db)
        for option in options:
            name, _, value = option.partition("=")
            if name == "db" and value in ("sqlite", "postgres"):
                api.db = value
            elif name == "without" and set(value.split("+")) <= set(MECHANISMS):
                api.without = value.split("+")
            else:
                raise SystemExit(f"--api {spec}: unknown option {option!r}")
        if api.without and api.ref:
            raise SystemExit(f"--api {spec}: without= is for the working tree only")
        return api

    def describe(self) -> str:
        tree = f"commit {self.ref}" if self.ref else "working tree"
        off = f", without {'+'.join(self.without)}" if self.without else ""
        return f"{self.label}: {tree}, {'PostgreSQL' if self.db == 'postgres' else 'SQLite'}{off}"


def start_api(api: Api, work: Path, rules: Path, env: dict[str, str], n: int) -> Server:
    """`policycheck serve` of the API's files on its store."""
    cmd = [sys.executable, "-c", RUN_CLI]
    if api.without:
        cmd.append("--variant")
        env = env | {"PC_BENCH_WITHOUT": "+".join(api.without)}
    cmd += ["serve", "--rules", str(rules), "--db", api.url, "--host", HOST]
    cmd += ["--port", str(free_port()), "--workers", str(n)]
    cmd += ["--keys-file", str(work / f"{api.label}.keys")]
    paths = [str(HERE)]  # api_variants, for the workers
    if api.ref is not None:
        paths.insert(0, str(archived(api.ref, work / f"tree-{api.label}")))
    env = env | {"PYTHONPATH": os.pathsep.join(filter(None, [*paths, env.get("PYTHONPATH")]))}
    return start_server(api.label, cmd, env, work)


def start_bare(work: Path, env: dict[str, str], n: int) -> Server:
    """The bare endpoint, served like `policycheck serve` serves the API (same HTTP protocol
    and event loop, no access log): the comparison is of the work per request."""
    from policycheck.cli import serve

    port = free_port()
    run = (
        f"import uvicorn; uvicorn.run('bare_app:app', host={HOST!r}, port={port}, "
        f"workers={n}, app_dir={str(HERE)!r}, http={serve.HTTP!r}, loop={serve.LOOP!r}, "
        "access_log=False, log_level='info', server_header=False)"
    )
    return start_server("bare", [sys.executable, "-c", run, "--port", str(port)], env, work)


def check_bodies(apis: dict[str, Server], bare: Server, key: str) -> None:
    """Each body once: each API's decision is the expected one; the bare endpoint answers."""
    for label, body, outcome, clause in BODIES:
        for name, server in apis.items():
            decision = post(server, PATH, key, body)
            got = (decision["outcome"], (decision["clause"] or {}).get("id"))
            assert got == (outcome, clause), (name, label, got)
            if "proposed" in body:
                assert not decision["proposal"]["agrees"], (name, label)
        post(bare, PATH, key, body)
        shown = f"{outcome} under {clause}" if clause else outcome
        print(f"  {label:<52} -> {shown}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="timed run per server, round")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up before each timed run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (the order rotates)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--api", action="append", default=[], metavar="SPEC", help="see above")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL database for db=postgres")
    parser.add_argument("--baseline", metavar="REF", help="compare with the API of commit REF")
    parser.add_argument("--subject", metavar="REF", default=".", help="with --baseline")
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
    return parser.parse_args()


def main() -> int:
    args = arguments()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    specs = args.api or ["api"]
    if args.baseline:
        subject = "subject" if args.subject == "." else f"subject={args.subject}"
        specs = [subject, f"baseline={args.baseline}"]
    apis = [Api.parse(spec, args.db) for spec in specs]
    if len({api.label for api in apis} | {"bare"}) != len(apis) + 1:
        raise SystemExit("--api: labels must differ from one another and from 'bare'")

    with (
        terminate_on_sigterm(),
        tempfile.TemporaryDirectory(prefix="pc-api-load-") as tmp,
        contextlib.ExitStack() as stores,
    ):
        work = Path(tmp)
        rules = work / "rules"
        shutil.copytree(HERE.parent / "rules", rules)
        script = write_script(work)
        check_key, warm_key, round_keys, env = bench_keys(args.rounds)
        for api in apis:
            sqlite_url = f"sqlite:///{work / api.label}.db"
            api.url = (
                stores.enter_context(fresh_schema(args.pg)) if api.db == "postgres" else sqlite_url
            )
        versions = ", ".join(
            f"{name} {version(name)}" for name in ("uvicorn", "httptools", "uvloop", "fastapi")
        )
        load = "/".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"POST {PATH}: wrk {args.threads} threads, {args.connections} connections, "
            f"{args.warmup:g} s warm-up + {args.seconds:g} s timed per server and round, "
            f"{args.rounds} rounds rotating; {os.cpu_count()} CPUs shared by wrk and the "
            f"servers (load average {load}); {workers(args)} per server ({versions})"
        )
        for api in apis:
            print(f"  {api.describe()}")
        servers: dict[str, Server] = {}
        try:
            for api in apis:
                servers[api.label] = start_api(api, work, rules, env, args.workers)
            servers["bare"] = bare = start_bare(work, env, args.workers)
            for server in servers.values():
                wait_ready(server)
            api_servers = {api.label: servers[api.label] for api in apis}
            check_bodies(api_servers, bare, check_key)
            for name, server in servers.items():
                probe = run_wrk(server, script, warm_key, args.probe_seconds, args, connections=1)
                print(f"1 connection {name:<10} {describe(probe)}")
                if name == "bare" and probe.p50_ms >= NAGLE_MS:
                    print("  the bare endpoint waits for delayed ACKs: TCP_NODELAY is off")

            def one(name: str, index: int) -> tuple[WrkResult, float]:
                result, cpu_ms = timed_round(
                    servers[name], script, warm_key, round_keys[index], args
                )
                print(f"round {index + 1}  {name:<10} {describe(result)}; CPU {cpu_ms:.2f} ms/req")
                if args.show_wrk:
                    print(result.text)
                return result, cpu_ms

            runs = interleaved(list(servers), args.rounds, one)
        finally:
            for server in servers.values():
                stop_server(server)
        counts = {api.label: logged(api.url) for api in apis}
        return report(args, apis, servers, runs, counts, round_keys, work, rules, script)


def report(
    args: argparse.Namespace,
    apis: list[Api],
    servers: dict[str, Server],
    runs: dict[str, list[tuple[WrkResult, float]]],
    counts: dict[str, dict[tuple[str, str], int]],
    round_keys: list[str],
    work: Path,
    rules: Path,
    script: Path,
) -> int:
    """Print the figures and judge them; the exit status."""
    problems = [
        f"{server.name}: {line}"
        for server in servers.values()
        for line in server.log.read_text(encoding="utf-8", errors="replace").splitlines()
        if "Traceback" in line or "ERROR" in line or '" 5' in line
    ]
    rate = {name: [r.rate for r, _ in results] for name, results in runs.items()}
    first = apis[0].label
    for name, results in runs.items():
        p99 = statistics.median(r.p99_ms for r, _ in results)
        cpu = statistics.median(c for _, c in results)
        line = f"{name:<10} req/s {min_median(rate[name], '{:,.0f}')}; p99 median {p99:.1f} ms"
        print(f"{line}; server CPU median {cpu:.2f} ms/request")
    for api in apis:
        to_bare = ratios(rate[api.label], rate["bare"])
        print(f"{api.label} / bare per round: " + ", ".join(f"{r:.3f}" for r in to_bare))
        print(f"  {min_median(to_bare)}")
        if api.label != first:
            to_first = ratios(rate[api.label], rate[first])
            cpu = ratios([c for _, c in runs[api.label]], [c for _, c in runs[first]])
            print(f"  {api.label} / {first} per round: " + ", ".join(f"{r:.3f}" for r in to_first))
            print(f"  {min_median(to_first)}; server CPU per request {min_median(cpu)}")
    lost, in_flight = 0, True
    for api in apis:
        for index, key in enumerate(round_keys):
            result = runs[api.label][index][0]
            rows = sum(n for (k, _), n in counts[api.label].items() if k == key_id(key))
            lost += max(0, result.ok - rows)
            in_flight = in_flight and 0 <= rows - result.ok <= args.connections
    failed = sum(r.status + r.socket_errors for results in runs.values() for r, _ in results)
    log_ok = lost == 0 and in_flight and failed == 0 and not problems
    for line in problems[:10]:
        print(f"server log: {line}")
    print(
        f"decision logs: {'nothing lost' if log_ok else 'PROBLEM'} ({lost} missing, at most "
        f"one extra per connection: {in_flight}, {failed} failed requests, {len(problems)} "
        "error lines in the server logs)"
    )
    if args.baseline:
        median = statistics.median(ratios(rate["subject"], rate["baseline"]))
        met = median >= BASELINE_TARGET
        print(f"subject / baseline median {median:.3f}: {'meets' if met else 'MISSES'} >= 90%")
        return 0 if met and log_ok else 1
    ratio = statistics.median(ratios(rate[first], rate["bare"]))
    p99 = statistics.median(r.p99_ms for r, _ in runs[first])
    ratio_ok, p99_ok = ratio >= TARGET_RATIO, p99 < TARGET_P99_MS
    print(
        f"{first} / bare median {ratio:.0%}: {'meets' if ratio_ok else 'MISSES'} the target "
        f"(>= {TARGET_RATIO:.0%}); p99 {p99:.1f} ms: {'meets' if p99_ok else 'MISSES'} the "
        f"target (< {TARGET_P99_MS:g} ms at {args.connections} connections)"
    )
    if args.profile == "always" or (args.profile == "auto" and not (ratio_ok and p99_ok)):
        time_stages(work, rules, script, round_keys[0], args)
        profile_api(work, rules, script, round_keys[0], args)
    return 0 if ratio_ok and p99_ok and log_ok else 1


if __name__ == "__main__":
    sys.exit(main())
