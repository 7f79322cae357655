"""`policycheck render`: a rule file as a document for lawyers (HTML page or markdown)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from policycheck.cli.policy import EXIT_FAILED, EXIT_OK, InputError
from policycheck.language.source import Source
from policycheck.policy import RuleFileError
from policycheck.toolkit.render import render


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `render`."""
    cmd = commands.add_parser(
        "render",
        help="render a rule file as a document for lawyers (HTML or markdown)",
        description="Render a rule file as a readable document: each clause's terms beside "
        "its formal reading in plain words, the facts, calendars and worked examples (run).",
        epilog="example: policycheck render rules/tomtom-fr-2012.policy --output tomtom.html",
    )
    cmd.add_argument("file", metavar="FILE")
    cmd.add_argument(
        "--format",
        choices=["html", "md"],
        default="html",
        help="html: one self-contained page (default); md: GitHub markdown",
    )
    cmd.add_argument("--output", metavar="PATH", help="write there instead of standard output")
    cmd.set_defaults(handler=run_render)


def run_render(args: argparse.Namespace) -> int:
    """Render the file; exit 1 with every diagnostic when it has errors, 2 when unreadable."""
    try:
        source = Source.read(Path(args.file))
    except (OSError, UnicodeDecodeError) as problem:
        reason = getattr(problem, "strerror", None) or problem
        raise InputError(f"cannot read `{args.file}`: {reason}") from None
    try:
        text = render(source, args.format)
    except RuleFileError as broken:
        print(str(broken), file=sys.stderr)
        print(f"{args.file}: cannot be rendered", file=sys.stderr)
        return EXIT_FAILED
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as problem:
        raise InputError(f"cannot write `{args.output}`: {problem.strerror}") from None
    return EXIT_OK
