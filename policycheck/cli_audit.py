"""`policycheck audit verify`: check the exception log's hash chain (edited, deleted or moved
entries are named)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from policycheck.cli_policy import EXIT_FAILED, EXIT_OK, InputError
from policycheck.store import Store, StoreError, default_url
from policycheck.store.exception_log import ExceptionLog


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `audit verify`."""
    audit = commands.add_parser("audit", help="verify the exception log")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    actions.required = True
    verify = actions.add_parser(
        "verify",
        help="check the exception log's hash chain",
        description="Check every entry of the exception log: its hash matches its content and "
        "it follows the entry before it. Exit 0 when the chain is intact, 1 naming the first bad "
        "entry. Record the printed head: `--head` later proves nothing was cut off the end.",
    )
    verify.add_argument(
        "--db", help="database URL (default: sqlite:///./policycheck.db, as `serve` uses)"
    )
    verify.add_argument("--head", help="a head hash printed by an earlier verify: still there?")
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    """Verify the chain and say so; exit 1 on the first bad entry."""
    url = args.db or default_url(Path("policycheck.db"))
    store = _open(url)
    try:
        report = ExceptionLog(store).verify(args.head)
    finally:
        store.close()
    if args.format == "json":
        out = {
            "ok": report.ok,
            "entries": report.entries,
            "head": report.head,
            "problem": report.problem,
            "bad_entry": report.bad_seq,
        }
        print(json.dumps(out, indent=2))
    elif report.ok:
        entries = f"{report.entries} {'entry' if report.entries == 1 else 'entries'}"
        print(f"exception log: {entries}, chain intact, head {report.head}")
    else:
        print(f"exception log: BROKEN at {report.problem}")
        print(f"  {report.entries} entries before it verified; last good head {report.head}")
    return EXIT_OK if report.ok else EXIT_FAILED


def _open(url: str) -> Store:
    """The store at `url`, read as it is: never created or migrated by verifying it."""
    try:
        parsed = make_url(url)
    except Exception:
        raise InputError(f"malformed database URL `{url}`") from None
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise InputError(f"no database at `{parsed.database}`; pass --db URL")
    try:
        store = Store(url)
        if not inspect(store.engine).has_table("exception_log"):
            store.close()
            raise InputError("this database has no exception log (run `policycheck serve` once)")
    except StoreError as problem:
        raise InputError(str(problem)) from None
    except SQLAlchemyError as problem:
        raise InputError(f"cannot read the database: {problem.__class__.__name__}") from None
    return store
