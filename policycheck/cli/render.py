"""`policycheck render`: a rule file as a document for lawyers (HTML page or markdown)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    InputError,
    add_format,
    add_verb,
    read_source,
    report_broken,
)
from policycheck.policy import RuleFileError
from policycheck.toolkit.render import render


def add_command(commands: Commands) -> None:
    """Register `render`."""
    cmd = add_verb(
        commands,
        "render",
        summary="render a rule file as a document for lawyers (HTML or markdown)",
        description="Render a rule file as a readable document: each clause's terms beside "
        "its formal reading in plain words, the facts, calendars and worked examples (run). "
        "html is one self-contained page; md is GitHub markdown. Written in the policy's "
        "language when it is French, else in English; --language chooses. Exit 1 when the rule "
        "file has errors.",
        examples=[
            "policycheck render rules/tomtom-fr-2012.policy --output tomtom.html",
            "policycheck render --language en rules/tomtom-fr-2012.policy --output tomtom-en.html",
            "policycheck render --format md rules/eu-consumer-withdrawal.policy",
        ],
        handler=run_render,
    )
    cmd.add_argument("file", metavar="FILE", help="the rule file")
    add_format(cmd, ("html", "md"), default="html")
    cmd.add_argument(
        "--language",
        choices=("en", "fr"),
        default=None,
        help="the document's language: en, fr (default: the policy's, English if it is another)",
    )
    cmd.add_argument(
        "--output",
        metavar="PATH",
        help="write the document there (default: standard output)",
    )


def run_render(args: argparse.Namespace) -> int:
    """Render the file; exit 1 with every diagnostic when it has errors, 2 when unreadable."""
    source = read_source(args.file)
    try:
        text = render(source, args.format, args.language)
    except RuleFileError as broken:
        report_broken(broken)
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
