"""`policycheck check` and `policycheck eval`: rule files for legal teams, decisions for agents."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from policycheck.evaluation.decision import Decision
from policycheck.evaluation.facts import FactsError
from policycheck.language.diagnostics import Diagnostic, Severity, render_text
from policycheck.language.source import Source
from policycheck.policy import RuleFileError, diagnose, load_source

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class InputError(Exception):
    """Unreadable input (a missing file, malformed JSON): one line, exit status 2."""


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `check` and `eval`."""
    check = commands.add_parser(
        "check",
        help="report every problem in rule files (exit 1 on errors)",
        description="Parse and check rule files; print every diagnostic, sorted.",
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.set_defaults(handler=run_check)
    evaluate = commands.add_parser(
        "eval",
        help="evaluate facts against a rule file and print the decision",
        description="Evaluate the facts of a request (nested JSON) against a rule file.",
        epilog="example: policycheck eval rules/tomtom-fr-2012.policy --facts request.json",
    )
    evaluate.add_argument("file", metavar="FILE")
    evaluate.add_argument(
        "--facts",
        required=True,
        metavar="JSON_FILE",
        help="a JSON file of facts, or - for standard input",
    )
    evaluate.add_argument(
        "--proposed",
        metavar="JSON",
        help='the agent\'s intended answer, e.g. \'{"outcome": "refuse", "clause": "a"}\'',
    )
    evaluate.add_argument("--format", choices=["text", "json"], default="text")
    evaluate.set_defaults(handler=run_eval)


def run_check(args: argparse.Namespace) -> int:
    """Check each file; exit 1 when any has an error (or a warning, with --strict)."""
    found: list[tuple[Source, list[Diagnostic]]] = []
    for name in args.files:
        source = _read(name)
        _, diagnostics = diagnose(source, analysis=True)
        found.append((source, diagnostics))
    failed = any(d.severity is Severity.ERROR or args.strict for _, diags in found for d in diags)
    if args.format == "json":
        print(
            json.dumps(
                [d.to_dict() for _, diags in found for d in diags], indent=2, ensure_ascii=False
            )
        )
    else:
        for source, diagnostics in found:
            for diagnostic in diagnostics:
                print(render_text(diagnostic, source), end="\n\n")
            print(f"{source.name}: {_summary(diagnostics)}")
    return EXIT_FAILED if failed else EXIT_OK


def run_eval(args: argparse.Namespace) -> int:
    """Print the decision for the facts; exit 2 with every problem when they are invalid."""
    source = _read(args.file)
    facts = _json(sys.stdin.read() if args.facts == "-" else _read(args.facts).text, "--facts")
    proposed = _json(args.proposed, "--proposed") if args.proposed is not None else None
    try:
        policy = load_source(source)
    except RuleFileError as broken:
        print(str(broken), file=sys.stderr)
        return EXIT_FAILED
    try:
        decision = policy.evaluate(facts, proposed)
    except FactsError as invalid:
        if args.format == "json":
            body = {
                "code": "invalid_facts",
                "message": "the facts do not match the policy",
                "errors": [p.to_dict() for p in invalid.problems],
            }
            print(json.dumps(body, indent=2, ensure_ascii=False))
        else:
            print("policycheck: error: the facts do not match the policy:", file=sys.stderr)
            for problem in invalid.problems:
                print(f"  {problem.code} {problem.fact}: {problem.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render_decision(decision))
    return EXIT_OK


def render_decision(decision: Decision) -> str:
    """A readable summary of a decision, ending with its explanation."""
    clause = decision.clause
    lines = [f"outcome:  {decision.outcome.value}"]
    if clause is not None:
        lines.append(f"clause:   {clause.id} — {clause.title}")
    if decision.deadline is not None:
        lines.append(f"deadline: {decision.deadline.isoformat()}")
    if decision.margin is not None:
        lines.append(f"margin:   {decision.margin.describe()}")
    if decision.rigid and decision.discretion:
        level, reason = decision.discretion
        lines.append(f"rigid:    may be waived by {level} ({reason})")
    for name, question in zip(decision.missing_facts, decision.questions, strict=False):
        lines.append(f"missing:  {name} — {question}")
    for item in decision.obligations:
        lines.append(f"to do:    {item}")
    if decision.proposal is not None:
        verdict = "agrees" if decision.proposal.agrees else "does not agree"
        lines.append(f"proposal: {verdict}: {decision.proposal.message}")
    lines += ["", decision.explanation]
    if decision.language != "en":
        lines += ["", decision.explanations["en"]]
    return "\n".join(lines)


def _summary(diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return "ok"
    parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
    parts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
    return ", ".join(parts)


def _read(name: str) -> Source:
    try:
        return Source.read(Path(name))
    except (OSError, UnicodeDecodeError) as problem:
        raise InputError(f"cannot read `{name}`: {getattr(problem, 'strerror', problem)}") from None


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as problem:
        raise InputError(
            f"{what} is not valid JSON: {problem.msg} at line {problem.lineno}, "
            f"column {problem.colno}"
        ) from None
