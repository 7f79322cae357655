"""`policycheck test`: run the examples written in rule files, with their coverage (exit 1 on a
failure)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_format,
    add_verb,
    print_diagnostics,
    print_json,
    read_source,
    rule_files,
)
from policycheck.evaluation.coverage import Coverage, render_coverage
from policycheck.evaluation.examples import ExampleResult
from policycheck.policy import Policy, RuleFileError, load_source


def add_command(commands: Commands) -> None:
    """Register `test`."""
    test = add_verb(
        commands,
        "test",
        summary="run the examples of rule files (exit 1 on a failure)",
        description="Run every `example` of every rule file found; print a line per file, each "
        "failure with the decision's explanation, then the totals. Exit 1 when an example fails "
        "or a file cannot be loaded.",
        examples=[
            "policycheck test",
            "policycheck test --coverage rules/tomtom-fr-2012.policy",
        ],
        handler=run_test,
    )
    test.add_argument(
        "paths", nargs="*", metavar="PATH", help="rule files or folders (default: ./rules)"
    )
    test.add_argument("--coverage", action="store_true", help="report what no example reaches")
    add_format(test)


def run_test(args: argparse.Namespace) -> int:
    """Run the examples; print a summary per file and every failure with its explanation."""
    passed = failed = 0
    report: list[dict[str, Any]] = []
    for path in rule_files(args.paths):
        source = read_source(str(path))
        try:
            policy = load_source(source)
        except RuleFileError as broken:
            failed += 1
            report.append({"file": str(path), "error": [d.to_dict() for d in broken.diagnostics]})
            if args.format == "text":
                print_diagnostics(broken.diagnostics, source)
                print(f"{path}: cannot be loaded")
            continue
        coverage = Coverage(policy.compiled) if args.coverage else None
        results = _run(policy, coverage)
        passed += sum(r.passed for r in results)
        failed += sum(not r.passed for r in results)
        report.append(_file_json(path, results, coverage))
        if args.format == "text":
            _print_file(path, results, coverage)
    if args.format == "json":
        print_json({"files": report, "passed": passed, "failed": failed})
    else:
        print(f"{passed} passed, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


def _run(policy: Policy, coverage: Coverage | None) -> list[ExampleResult]:
    results = []
    for example in policy.examples:
        if coverage is not None:
            coverage.example = example.name
        results.append(policy.run_example(example, coverage))
    return results


def _print_file(path: Path, results: list[ExampleResult], coverage: Coverage | None) -> None:
    good = sum(r.passed for r in results)
    print(f"{path}: {len(results)} examples, {good} passed, {len(results) - good} failed")
    for result in results:
        if result.passed:
            continue
        print(f"  FAIL {result.example.name!r} (line {result.example.span.line})")
        for failure in result.failures:
            print(f"    {failure}")
        if result.decision is not None:
            print(f"    explanation: {result.decision.explanations['en']}")
    if coverage is not None:
        print(render_coverage(str(path), coverage))


def _file_json(
    path: Path, results: list[ExampleResult], coverage: Coverage | None
) -> dict[str, Any]:
    examples = [
        {"name": r.example.name, "line": r.example.span.line, "passed": r.passed,
         "failures": list(r.failures)}
        for r in results
    ]  # fmt: skip
    out: dict[str, Any] = {"file": str(path), "examples": examples}
    if coverage is not None:
        out["coverage"] = [item.to_dict() for item in coverage.items()]
    return out
