"""`policycheck serve`: the REST API on uvicorn (the web layer is loaded by name, not imported)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    InputError,
    add_verb,
    print_diagnostics,
    read_source,
)
from policycheck.language.diagnostics import Severity
from policycheck.policy import diagnose
from policycheck.review.exceptions import ENV_REASONS, parse_reason_codes
from policycheck.service.keys import (
    ENV_KEYS,
    KeySpecError,
    generate_keys,
    load_keys,
    write_shown_keys,
)
from policycheck.store import Store, StoreError, default_url
from policycheck.store.seal import SealKeyError, ensure_seal_keys, seal_file_beside

APP = "api.app:app_from_env"  # imported by uvicorn in each worker
HTTP = "api.server:NoDelayHttpToolsProtocol"  # httptools with TCP_NODELAY (api/server.py)
LOOP = "auto"  # uvloop (a dependency except on Windows), else asyncio
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # the workers' metric files (api/metrics.py)


def add_command(commands: Commands) -> None:
    """Register `serve`."""
    serve = add_verb(
        commands,
        "serve",
        summary="serve the REST API",
        description="Serve every rule file of a folder through the REST API, logging decisions "
        "to SQLite (default) or PostgreSQL. On the first start it creates one API key per role "
        "(shown once; only their hashes are kept in --keys-file) and the seal key beside them. "
        "A rule file with errors stops it (exit 1), unless a version was published before.",
        examples=["policycheck serve --rules rules --port 8000    # Ctrl-C stops it"],
        handler=run_serve,
    )
    serve.add_argument("--rules", default="rules", help="folder of rule files (default: ./rules)")
    serve.add_argument(
        "--db",
        help="database URL (default: sqlite:///./policycheck.db; "
        "postgresql+psycopg://user@host/db for several processes)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log every request to stdout (decisions are logged to the store)",
    )
    serve.add_argument(
        "--keys-file",
        default="policycheck.keys",
        help="hashes of the API keys (created with new keys when none exist)",
    )
    serve.add_argument(
        "--reason-codes",
        metavar="CODE:LABEL,...",
        help="the reasons an exception may give (default: customer_error, goodwill, "
        "service_failure, misinformation, delivery_problem, exceptional_circumstances)",
    )


def run_serve(args: argparse.Namespace) -> int:
    """Check the rules, make sure keys exist, then run uvicorn."""
    import uvicorn

    rules = Path(args.rules)
    if not rules.is_dir():
        raise InputError(f"no rules folder `{rules}`; pass --rules DIR")
    db_url = args.db or default_url(Path("policycheck.db"))
    if not _rules_usable(rules, db_url):
        return EXIT_FAILED
    keys_file = Path(args.keys_file)
    try:
        keys = load_keys(keys_file)
    except KeySpecError as problem:
        raise InputError(str(problem)) from None
    if not keys:
        _announce(generate_keys(keys_file), keys_file)
    seal_file = seal_file_beside(keys_file)
    try:
        ensure_seal_keys(seal_file)  # created 0600 with one key on the first start
    except (SealKeyError, OSError) as problem:
        raise InputError(f"seal keys ({seal_file}): {problem}") from None
    if args.reason_codes:
        try:
            parse_reason_codes(args.reason_codes)
        except ValueError as problem:
            raise InputError(f"--reason-codes: {problem}") from None
        os.environ[ENV_REASONS] = args.reason_codes
    os.environ.update(
        POLICYCHECK_RULES=str(rules.resolve()),
        POLICYCHECK_DB=db_url,
        POLICYCHECK_KEYS_FILE=str(keys_file.resolve()),
        POLICYCHECK_SEAL_FILE=str(seal_file.resolve()),
    )
    with _worker_metrics(args.workers):
        uvicorn.run(
            APP,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            http=HTTP,
            loop=LOOP,
            log_level="info",
            access_log=args.access_log,
            server_header=False,
        )
    return EXIT_OK


@contextmanager
def _worker_metrics(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory where each writes its metrics, so that a scrape
    counts them all (prometheus_client's multiprocess mode: the variable must be set before the
    workers import it), removed at exit. An operator's own directory is used as it is."""
    if workers <= 1 or os.environ.get(METRICS_ENV):
        yield
        return
    directory = tempfile.mkdtemp(prefix="policycheck-metrics-")
    os.environ[METRICS_ENV] = directory
    try:
        yield
    finally:
        del os.environ[METRICS_ENV]
        shutil.rmtree(directory, ignore_errors=True)


def _rules_usable(rules: Path, db_url: str) -> bool:
    """False (after printing every diagnostic) when a rule file has errors and the store has no
    previously published version to serve instead."""
    broken = False
    for path in sorted(rules.rglob("*.policy")):
        source = read_source(str(path))
        _, diagnostics = diagnose(source)
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        broken = broken or bool(errors)
        print_diagnostics(errors, source, file=sys.stderr)
    if not broken:
        return True
    try:
        store = Store(db_url)
        store.migrate()
        published = store.get_meta("rules_snapshot") is not None
        store.close()
    except StoreError as problem:
        raise InputError(str(problem)) from None
    if published:
        print(
            "policycheck: rule files have errors; serving the last published version",
            file=sys.stderr,
        )
    else:
        print(
            "policycheck: error: rule files have errors and nothing was published before",
            file=sys.stderr,
        )
    return published


def _announce(keys: dict[str, str], keys_file: Path, out: TextIO | None = None) -> None:
    """Show the new keys once: on a terminal, else (a service's log keeps what it prints) in a
    0600 file beside the keys file, whose path is printed instead."""
    out = out or sys.stdout
    print(
        f"No API keys were configured ({ENV_KEYS} or {keys_file}): created one per role.", file=out
    )
    if out.isatty():
        print(f"They are shown this once; only their hashes are kept in {keys_file}.", file=out)
        for role, key in keys.items():
            print(f"  {role:<11} {key}", file=out)
    else:
        path = write_shown_keys(keys_file, keys)
        print(
            f"Not on a terminal, so they are not printed: they are in {path.resolve()} "
            f"(mode 0600; only their hashes are kept in {keys_file}). "
            "Hand them out, then delete that file.",
            file=out,
        )
    out.flush()
