"""The legal team's toolkit: `test` (examples, coverage), `fmt` (layout), `diff` (amendments)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from policycheck.cli.policy import EXIT_FAILED, EXIT_OK, InputError
from policycheck.evaluation.coverage import Coverage, render_coverage
from policycheck.evaluation.examples import ExampleResult
from policycheck.language.build import build
from policycheck.language.diagnostics import render_text
from policycheck.language.formatter import format_rule_file
from policycheck.language.source import Source
from policycheck.language.syntax import parse
from policycheck.policy import Policy, RuleFileError, load_source
from policycheck.toolkit.amendment import compare, render_changes


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `test`."""
    test = commands.add_parser(
        "test",
        help="run the examples of rule files (exit 1 on a failure)",
        description="Run every `example` of every rule file found (default: ./rules).",
    )
    test.add_argument("paths", nargs="*", metavar="PATH", help="rule files or folders")
    test.add_argument("--coverage", action="store_true", help="report what no example reaches")
    test.add_argument("--format", choices=["text", "json"], default="text")
    test.set_defaults(handler=run_test)


def rule_files(paths: list[str]) -> list[Path]:
    """The `.policy` files named or found (recursively) under the given paths."""
    found: list[Path] = []
    for name in paths or ["rules"]:
        path = Path(name)
        if path.is_dir():
            found += sorted(path.rglob("*.policy"))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"no rule file or folder `{name}`")
    return found


def run_test(args: argparse.Namespace) -> int:
    """Run the examples; print a summary per file and every failure with its explanation."""
    passed = failed = 0
    report: list[dict[str, Any]] = []
    for path in rule_files(args.paths):
        source = Source.read(path)
        try:
            policy = load_source(source)
        except RuleFileError as broken:
            failed += 1
            report.append({"file": str(path), "error": [d.to_dict() for d in broken.diagnostics]})
            if args.format == "text":
                for diagnostic in broken.diagnostics:
                    print(render_text(diagnostic, source), end="\n\n")
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
        print(json.dumps({"files": report, "passed": passed, "failed": failed}, indent=2,
                         ensure_ascii=False))  # fmt: skip
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


def _file_json(path: Path, results: list[ExampleResult], coverage: Coverage | None
               ) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {
        "file": str(path),
        "examples": [
            {"name": r.example.name, "line": r.example.span.line, "passed": r.passed,
             "failures": list(r.failures)}
            for r in results
        ],
    }  # fmt: skip
    if coverage is not None:
        out["coverage"] = [item.to_dict() for item in coverage.items()]
    return out


def add_fmt_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `fmt`."""
    fmt = commands.add_parser(
        "fmt",
        help="rewrite rule files in canonical layout (--check: only report)",
        description="Rewrite rule files in canonical layout; comments are kept.",
    )
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="rule files or folders")
    fmt.add_argument("--check", action="store_true", help="exit 1 if a file would change")
    fmt.set_defaults(handler=run_fmt)


def run_fmt(args: argparse.Namespace) -> int:
    """Format each file in place (or, with --check, list the ones that would change)."""
    changed = broken = 0
    for path in rule_files(args.paths):
        source = Source.read(path)
        tree, diagnostics = parse(source)
        if tree is None:
            broken += 1
            for diagnostic in diagnostics:
                print(render_text(diagnostic, source), end="\n\n")
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
        return EXIT_FAILED if changed or broken else EXIT_OK
    return EXIT_FAILED if broken else EXIT_OK


def add_diff_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `diff`."""
    diff = commands.add_parser(
        "diff",
        help="which examples change outcome, clause or deadline between two versions",
        description="Run the examples of both versions of a policy against both; list the ones "
        "whose outcome, clause or deadline changes. Exit 1 when some do, like diff(1).",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--format", choices=["text", "md", "json"], default="text")
    diff.set_defaults(handler=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    """Print the table of changed examples; exit 1 if any changed, 0 if none."""
    policies = []
    for name in (args.old, args.new):
        source = Source.read(Path(name))
        try:
            policies.append(load_source(source))
        except RuleFileError as broken:
            for diagnostic in broken.diagnostics:
                print(render_text(diagnostic, source), end="\n\n")
            return EXIT_FAILED
    changes, total = compare(*policies)
    if args.format == "json":
        body = {"examples": total, "changes": [
            {"example": c.example, "from": c.origin, "old": c.old.__dict__, "new": c.new.__dict__,
             "changed": c.fields()} for c in changes]}  # fmt: skip
        print(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        print(render_changes(changes, total, markdown=args.format == "md"))
    return EXIT_FAILED if changes else EXIT_OK
