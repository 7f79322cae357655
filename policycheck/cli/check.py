"""`policycheck check`: every problem in rule files, for legal teams (exit 1 on errors)."""

from __future__ import annotations

import argparse

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_format,
    add_verb,
    plural,
    print_diagnostics,
    print_json,
    read_source,
)
from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.source import Source
from policycheck.policy import diagnose


def add_command(commands: Commands) -> None:
    """Register `check`."""
    check = add_verb(
        commands,
        "check",
        summary="report every problem in rule files (exit 1 on errors)",
        description="Parse and check rule files; print every diagnostic, sorted, then a "
        "summary line per file. Exit 1 when a file has an error (or a warning, with --strict).",
        examples=[
            "policycheck check rules/tomtom-fr-2012.policy",
            "policycheck check --strict --format json rules/online-retailer-returns.policy",
        ],
        handler=run_check,
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="rule files to check")
    add_format(check)
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")


def run_check(args: argparse.Namespace) -> int:
    """Check each file; exit 1 when any has an error (or a warning, with --strict)."""
    found: list[tuple[Source, list[Diagnostic]]] = []
    for name in args.files:
        source = read_source(name)
        _, diagnostics = diagnose(source, analysis=True)
        found.append((source, diagnostics))
    failed = any(d.severity is Severity.ERROR or args.strict for _, diags in found for d in diags)
    if args.format == "json":
        print_json([d.to_dict() for _, diags in found for d in diags])
    else:
        for source, diagnostics in found:
            print_diagnostics(diagnostics, source)
            print(f"{source.name}: {_summary(diagnostics)}")
    return EXIT_FAILED if failed else EXIT_OK


def _summary(diagnostics: list[Diagnostic]) -> str:
    if not diagnostics:
        return "ok"
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts = [plural(errors, "error")] if errors else []
    parts += [plural(warnings, "warning")] if warnings else []
    return ", ".join(parts)
