"""`policycheck diff`: what an amendment changes, in the worked examples of two versions of a
policy, or (`--db`) in the decisions logged under the old one (exit 1 when something changes,
like diff(1))."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    InputError,
    add_format,
    add_verb,
    json_line,
    plural,
    print_diagnostics,
    print_json,
    read_source,
)
from policycheck.policy import Policy, RuleFileError, load_source
from policycheck.store import Store, StoreError, reading
from policycheck.store.chain import start_of_day
from policycheck.toolkit.amendment import compare, render_changes
from policycheck.toolkit.replay import Replay, cores, replay
from policycheck.toolkit.replay_report import render_report, report
from policycheck.toolkit.tally import Tally

# beside the rule file in force: the amended terms find the law beneath them there
AMEND = (
    "sed 's/within 14 ouvrables/within 15 ouvrables/' rules/tomtom-fr-2012.policy"
    " > rules/amended.policy"
)


def add_command(commands: Commands) -> None:
    """Register `diff`."""
    diff = add_verb(
        commands,
        "diff",
        summary="what an amendment changes: in the examples, or in the decision log (--db)",
        description="Run the examples of both versions of a policy against both; list the ones "
        "whose outcome, clause, deadline, discretion, obligations, remedy or fees change. With "
        "--db, replay the facts of every decision logged under the old version's policy against "
        "both versions instead, and count what changes. Exit 1 when something changes, like "
        "diff(1).",
        examples=[
            AMEND,
            "policycheck diff rules/tomtom-fr-2012.policy rules/amended.policy"
            "    # exit 1: 23 change",
            "policycheck diff --format md rules/tomtom-fr-2012.policy rules/amended.policy"
            " > changes.md    # exit 1",
        ],
        handler=run_diff,
    )
    diff.add_argument("old", metavar="OLD", help="the rule file in force")
    diff.add_argument("new", metavar="NEW", help="the amended rule file")
    add_format(diff, ("text", "md", "json"))
    log = diff.add_argument_group("replaying the decision log")
    log.add_argument(
        "--db",
        metavar="URL",
        help="replay the decisions logged in this store (default: none, run the examples)",
    )
    log.add_argument(
        "--since", metavar="DAY", help="logged on or after this day, UTC (default: the first)"
    )
    log.add_argument(
        "--until", metavar="DAY", help="logged on or before this day, UTC (default: the last)"
    )
    log.add_argument(
        "--workers",
        metavar="N",
        type=int,
        default=cores(),
        help="processes replaying batches of the log (default: the machine's cores)",
    )
    log.add_argument(
        "--changes",
        metavar="FILE",
        help="write every changed decision there, one JSON object a line (default: none)",
    )


def run_diff(args: argparse.Namespace) -> int:
    """Print what changes; exit 1 if anything did, 0 if nothing."""
    if not args.db:
        named = [n for n in ("since", "until", "changes") if getattr(args, n) is not None]
        if named:
            raise InputError(f"--{named[0]} reads the decision log: pass --db URL too")
    policies = []
    for name in (args.old, args.new):
        source = read_source(name)
        try:
            policies.append(load_source(source))
        except RuleFileError as broken:
            print_diagnostics(broken.diagnostics, source)
            return EXIT_FAILED
    if args.db:
        return replay_log(args, *policies)
    changes, total = compare(*policies)
    if args.format == "json":
        print_json({"examples": total, "changes": [
            {"example": c.example, "from": c.origin, "old": c.old.to_dict(),
             "new": c.new.to_dict(), "changed": list(c.fields())} for c in changes]})  # fmt: skip
    else:
        print(render_changes(changes, total, markdown=args.format == "md"))
    return EXIT_FAILED if changes else EXIT_OK


def replay_log(args: argparse.Namespace, old: Policy, new: Policy) -> int:
    """Replay the log's decisions of the old version's policy; print the report."""
    since, until = _day(args.since, "--since"), _day(args.until, "--until")
    if since and until and since > until:
        raise InputError(f"--since {since} is after --until {until}")
    if args.workers < 1:
        raise InputError("--workers must be 1 or more")
    window = reading.Window(
        old.id,
        start_of_day(since) if since else None,
        start_of_day(until + timedelta(days=1)) if until and until < date.max else None,
    )
    try:
        store = reading.open_log(args.db)
        try:
            found = reading.extent(store, window)
            if found is None:
                raise InputError(_nothing_to_replay(store, window, since, until))
        finally:
            store.close()
        spec = Replay(args.db, window, old.compiled.source, new.compiled.source,
                      changes=args.changes is not None)  # fmt: skip
        total, progress = Tally(), Progress()
        with _changes_file(args.changes) as changes:
            try:
                for tally in replay(spec, found, args.workers, progress=progress):
                    if changes is not None:
                        changes.writelines(json_line(change) for change in tally.changes)
                    total.merge(tally)
            finally:
                progress.erase()
    except StoreError as problem:
        raise InputError(str(problem)) from None
    except SQLAlchemyError as problem:  # the database went away while it was read
        failed = problem.__class__.__name__
        raise InputError(f"the database failed during the replay: {failed}") from None
    out = report(total, old, new, since, until)
    if args.format == "json":
        print_json(out)
    else:
        print(render_report(out, markdown=args.format == "md"))
    return EXIT_FAILED if total.changed else EXIT_OK


def _day(text: str | None, option: str) -> date | None:
    """The day `text` names (`YYYY-MM-DD`), None when not given; InputError otherwise."""
    if text is None:
        return None
    with suppress(ValueError):
        if len(text) == 10:
            return date.fromisoformat(text)
    raise InputError(f"{option} `{text}` is not a day: write it YYYY-MM-DD (2012-04-21)")


def _nothing_to_replay(
    store: Store, window: reading.Window, since: date | None, until: date | None
) -> str:
    """Why the window holds no decision: an empty log, other policies only, another window."""
    logged = reading.policies_logged(store)
    if not logged:
        return "the decision log is empty: no decision to replay"
    if window.policy not in logged:
        others = ", ".join(f"`{p}` ({plural(n, 'decision')})" for p, n in sorted(logged.items()))
        return (
            f"the decision log holds no decision of `{window.policy}` (the old version's policy "
            f"id), only of {others}"
        )
    every = reading.logged(store, reading.Window(window.policy))
    first = every.first_at.date() if every.first_at else None
    last = every.last_at.date() if every.last_at else None
    if since and until:
        asked = f"from {since} to {until}"
    else:
        asked = f"on or after {since}" if since else f"on or before {until}"
    return (
        f"no decision of `{window.policy}` was logged {asked}: the log holds "
        f"{plural(every.decisions, 'decision')} of it, logged from {first} to {last}"
    )


@contextmanager
def _changes_file(name: str | None) -> Iterator[TextIO | None]:
    """The --changes file, open for writing (InputError when it cannot be), or None."""
    if name is None:
        yield None
        return
    try:
        file = open(name, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as problem:
        raise InputError(f"cannot write `{name}`: {problem.strerror}") from None
    with file:
        yield file


class Progress:
    """A counter and a rate on standard error, redrawn in place, only when it is a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.start, self.drawn = time.monotonic(), False

    def __call__(self, done: int, share: float) -> None:
        """Draw how many decisions were replayed, how much of the log was read, the rate."""
        if not self.stream.isatty():
            return
        rate = done / max(time.monotonic() - self.start, 1e-6)
        line = f"replayed {done:,} logged decisions, {share:.0%} of the log ({rate:,.0f}/s)"
        print(f"\r{line}", end="", file=self.stream, flush=True)
        self.drawn = True

    def erase(self) -> None:
        """Erase the line, if one was drawn."""
        if self.drawn:
            print("\r\033[K", end="", file=self.stream, flush=True)
            self.drawn = False
