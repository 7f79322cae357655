"""`policycheck check`: every problem in rule files, for legal teams (exit 1 on errors)."""

from __future__ import annotations

import argparse
from pathlib import Path

from policycheck.analysis.findings import (
    ANALYSIS_BUDGET_S,
    SOLVER_TIMEOUT_MS,
    Analysis,
    Settings,
    analyse,
)
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
    rule_files,
)
from policycheck.language.check_versions import check_versions
from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.source import Source
from policycheck.policy import diagnose


def add_command(commands: Commands) -> None:
    """Register `check`."""
    check = add_verb(
        commands,
        "check",
        summary="report every problem in rule files (exit 1 on errors)",
        description="Parse and check rule files (a folder: every rule file in it); print every "
        "diagnostic, sorted, then a summary line per file. The files that share a policy id are "
        "its versions: their periods must not overlap. Exit 1 when a file has an error (or a "
        "warning, with --strict).",
        examples=[
            "policycheck check rules/tomtom-fr-2012.policy",
            "policycheck check --strict --format json rules/online-retailer-returns.policy",
            "policycheck check --strict rules/",
        ],
        handler=run_check,
    )
    check.add_argument(
        "files", nargs="+", metavar="PATH", help="rule files, or folders of rule files"
    )
    add_format(check)
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument(
        "--solver-timeout",
        type=milliseconds,
        default=SOLVER_TIMEOUT_MS,
        metavar="MS",
        help="how long the analysis may spend on one finding before it says `undecided` "
        f"(PC412; default {SOLVER_TIMEOUT_MS})",
    )
    check.add_argument(
        "--analysis-budget",
        type=seconds,
        default=ANALYSIS_BUDGET_S,
        metavar="SECONDS",
        help="how long the analysis of one rule file may take; past it, the analyses left are "
        f"skipped and named (PC413; default {ANALYSIS_BUDGET_S:g})",
    )


def run_check(args: argparse.Namespace) -> int:
    """Check each file; exit 1 when any has an error (or a warning, with --strict)."""
    found: list[tuple[Source, list[Diagnostic]]] = []
    versions = []
    paths = [
        p for name in args.files for p in (rule_files([name]) if Path(name).is_dir() else [name])
    ]
    settings = Settings(args.solver_timeout, args.analysis_budget)
    proofs: dict[str, Analysis] = {}
    for path in paths:
        source = read_source(str(path))
        compiled, diagnostics = diagnose(source)
        if compiled is not None:
            analysis = analyse(compiled, compiled.rule_file, settings)
            proofs[source.name] = analysis
            diagnostics = sorted(diagnostics + analysis.diagnostics, key=Diagnostic.sort_key)
            versions.append((source, compiled.rule_file))
        found.append((source, diagnostics))
    between = check_versions(versions)  # the versions of a policy, across the files
    found = [
        (
            source,
            sorted(diags + [d for d in between if d.file == source.name], key=Diagnostic.sort_key),
        )
        for source, diags in found
    ]
    failed = any(
        d.severity is Severity.ERROR or (args.strict and d.severity is Severity.WARNING)
        for _, diags in found
        for d in diags
    )
    if args.format == "json":
        print_json([d.to_dict() for _, diags in found for d in diags])
    else:
        for source, diagnostics in found:
            print_diagnostics(diagnostics, source)
            print(f"{source.name}: {_summary(diagnostics)}")
            report = proofs.get(source.name)
            if report is not None and report.proved:
                assuming = f" ({report.assuming})" if report.assuming else ""
                print(f"  proved for every request{assuming}: {', '.join(report.proved)}")
    return EXIT_FAILED if failed else EXIT_OK


def _summary(diagnostics: list[Diagnostic]) -> str:
    """`ok`, or `1 error, 2 warnings` (notes are not problems: `ok, 1 note`)."""
    counts = {s: sum(d.severity is s for d in diagnostics) for s in Severity}
    parts = [plural(counts[s], s.value) for s in (Severity.ERROR, Severity.WARNING) if counts[s]]
    notes = [plural(counts[Severity.NOTE], "note")] if counts[Severity.NOTE] else []
    return ", ".join((parts or ["ok"]) + notes)


def milliseconds(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def seconds(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number of seconds, 0 or more")
    return value
