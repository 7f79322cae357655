"""`policycheck fmt`: rule files in canonical layout; `--check` says what it checked, for CI."""

from __future__ import annotations

import argparse

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_verb,
    plural,
    print_diagnostics,
    read_source,
    rule_files,
)
from policycheck.language.build import build
from policycheck.language.formatter import format_rule_file
from policycheck.language.syntax import parse


def add_command(commands: Commands) -> None:
    """Register `fmt`."""
    fmt = add_verb(
        commands,
        "fmt",
        summary="rewrite rule files in canonical layout (--check: only report)",
        description="Rewrite rule files in canonical layout; comments are kept. With --check, "
        "change nothing: name each file that would be reformatted, end with a count of the files "
        "checked, and exit 1 when one would change (or cannot be parsed).",
        examples=[
            "policycheck fmt --check rules",
            "policycheck fmt rules/tomtom-fr-2012.policy",
        ],
        handler=run_fmt,
    )
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="rule files or folders")
    fmt.add_argument(
        "--check", action="store_true", help="rewrite nothing; exit 1 if a file would change"
    )


def run_fmt(args: argparse.Namespace) -> int:
    """Format each file in place (or, with --check, list the ones that would change)."""
    files = rule_files(args.paths)
    changed = broken = 0
    for path in files:
        source = read_source(str(path))
        tree, diagnostics = parse(source)
        if tree is None:
            broken += 1
            print_diagnostics(diagnostics, source)
            print(f"{path}: not formatted (syntax errors)")
            continue
        rule_file, _ = build(tree, source)
        text = format_rule_file(rule_file, source)
        if text == source.text:
            continue
        changed += 1
        if args.check:
            print(f"{path}: would be reformatted")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path}: reformatted")
    if args.check:
        print(check_summary(len(files), changed, broken))
        return EXIT_FAILED if changed or broken else EXIT_OK
    return EXIT_FAILED if broken else EXIT_OK


def check_summary(checked: int, changed: int, broken: int) -> str:
    """`3 files checked: 2 already formatted, 1 would be reformatted` (counts that are 0 left out).

    >>> check_summary(1, 0, 0)
    '1 file checked: 1 already formatted'
    >>> check_summary(4, 1, 1)
    '4 files checked: 2 already formatted, 1 would be reformatted, 1 with syntax errors'
    """
    counts = {
        "already formatted": checked - changed - broken,
        "would be reformatted": changed,
        "with syntax errors": broken,
    }
    parts = [f"{count} {what}" for what, count in counts.items() if count]
    return f"{plural(checked, 'file')} checked" + (": " + ", ".join(parts) if parts else "")
