"""`policycheck audit verify`: check both logs' hash chains and seals (an edited, deleted, moved,
forged or unsealed entry is named); `audit new-seal-key`: rotate the seal key."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    InputError,
    add_format,
    add_verb,
    plural,
    print_json,
)
from policycheck.review.log import ExceptionLog
from policycheck.store import Store, StoreError, default_url, seal
from policycheck.store.chain import AuditReport
from policycheck.store.decision_chain import verify as verify_decisions

SEAL_HELP = (
    "the seal keys (default: ./policycheck.seal, which `serve` creates beside its keys file; "
    f"{seal.ENV_SEAL_KEYS} overrides it)"
)


def add_command(commands: Commands) -> None:
    """Register `audit verify` and `audit new-seal-key`."""
    audit = add_verb(
        commands,
        "audit",
        summary="verify the decision and exception logs",
        description="Check the logs `serve` keeps (verify), or rotate the key that seals them "
        "(new-seal-key). `policycheck audit ACTION --help` says more.",
        examples=["policycheck audit verify", "policycheck audit new-seal-key"],
    )
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    actions.required = True
    verify = add_verb(
        actions,
        "verify",
        summary="check both logs' hash chains and seals",
        description="Check every entry of the decision log and of the exception log: it is in "
        "its place, its hash matches its content and follows the entry before it, and its seal "
        "(an HMAC with a key kept outside the database) is valid. Exit 0 when both logs are "
        "intact, 1 naming the first bad entry of each. Record the printed heads: `--head` "
        "later proves nothing was cut off the end.",
        examples=[
            "policycheck audit verify",
            "policycheck audit verify --db sqlite:///./policycheck.db --no-seal --format json",
        ],
        handler=run_verify,
    )
    verify.add_argument(
        "--db", help="database URL (default: sqlite:///./policycheck.db, as `serve` uses)"
    )
    verify.add_argument(
        "--head",
        action="append",
        default=[],
        help="a head printed by an earlier verify (either log's): still there? "
        "(repeatable; default: none)",
    )
    verify.add_argument("--seal-file", default=seal.DEFAULT_SEAL_FILE, help=SEAL_HELP)
    verify.add_argument(
        "--no-seal",
        action="store_true",
        help="check the hash chains only (a log written without a seal key)",
    )
    add_format(verify)
    rotate = add_verb(
        actions,
        "new-seal-key",
        summary="add a seal key: it seals new entries, the old ones still verify",
        description="Append a new random key to the seal file (created 0600 if absent). Restart "
        "the API to seal with it; keep the old lines, which verify the entries they sealed.",
        examples=["policycheck audit new-seal-key --seal-file policycheck.seal"],
        handler=run_new_seal_key,
    )
    rotate.add_argument("--seal-file", default=seal.DEFAULT_SEAL_FILE, help="the seal file")


def run_verify(args: argparse.Namespace) -> int:
    """Verify both logs and say so; exit 1 on a bad entry or a recorded head not found."""
    url = args.db or default_url(Path("policycheck.db"))
    store = _open(url)
    wanted = set(args.head)
    try:
        keys = None if args.no_seal else _seal_keys(Path(args.seal_file))
        decisions, found = verify_decisions(store.engine, keys, wanted)
        exceptions, also = ExceptionLog(store).verify_chain(keys, wanted)
    except SQLAlchemyError as problem:
        raise InputError(f"cannot read the logs: {problem.__class__.__name__}") from None
    finally:
        store.close()
    missing = sorted(wanted - found - also - {"sha256:" + "0" * 64})
    ok = decisions.ok and exceptions.ok and not missing
    logs = {"decisions": decisions, "exceptions": exceptions}
    if args.format == "json":
        out = {
            "ok": ok,
            "sealed": keys is not None,
            **{name: _json(report) for name, report in logs.items()},
            "missing_heads": missing,
        }
        print_json(out, ensure_ascii=True)
    else:
        checked = "chain intact, every seal valid" if keys else "chain intact, seals not checked"
        for name, report in logs.items():
            label = "decision log" if name == "decisions" else "exception log"
            nouns = ("decision", "decisions") if name == "decisions" else ("entry", "entries")
            count = plural(report.entries, *nouns)
            if report.ok:
                print(f"{label}: {count}, {checked}, head {report.head}")
            else:
                print(f"{label}: BROKEN at {report.problem}")
                print(f"  {count} before it verified; last good head {report.head}")
        for head in missing:
            print(f"the recorded head {head} is in neither log (entries cut off the end?)")
    return EXIT_OK if ok else EXIT_FAILED


def run_new_seal_key(args: argparse.Namespace) -> int:
    """Append a new seal key; say which file and key id."""
    path = Path(args.seal_file)
    if os.environ.get(seal.ENV_SEAL_KEYS, "").strip():
        raise InputError(f"the seal keys come from {seal.ENV_SEAL_KEYS}: add the key there")
    key_id = seal.add_seal_key(path)
    print(f"seal key {key_id} added to {path}: it seals what the API logs after its restart")
    return EXIT_OK


def _seal_keys(path: Path) -> seal.SealKeys:
    try:
        keys = seal.load_seal_keys(path)
    except (seal.SealKeyError, OSError) as problem:
        raise InputError(f"seal keys: {problem}") from None
    if keys is None:
        raise InputError(
            f"no seal keys at `{path}` (nor {seal.ENV_SEAL_KEYS}): pass --seal-file FILE, "
            "or --no-seal to check the hash chains only"
        )
    return keys


def _json(report: AuditReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "entries": report.entries,
        "head": report.head,
        "problem": report.problem,
        "bad_entry": report.bad_seq,
    }


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
        schema = inspect(store.engine)
        if not schema.has_table("exception_log"):
            store.close()
            raise InputError("this database has no exception log (run `policycheck serve` once)")
        if "seq" not in {column["name"] for column in schema.get_columns("decisions")}:
            store.close()
            raise InputError(
                "this database's decision log is not chained yet: its schema is older "
                "(run `policycheck serve` once to migrate it)"
            )
    except StoreError as problem:
        raise InputError(str(problem)) from None
    except SQLAlchemyError as problem:
        raise InputError(f"cannot read the database: {problem.__class__.__name__}") from None
    return store
