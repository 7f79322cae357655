"""`policycheck eval`: the decision for the facts of one request, for agents and their tests."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Commands,
    InputError,
    add_format,
    add_verb,
    print_diagnostics,
    print_json,
    read_facts,
    read_json,
    read_source,
    report_broken,
    rule_files,
)
from policycheck.evaluation.decision import Decision
from policycheck.evaluation.facts import FactsError
from policycheck.evaluation.versions import NoVersionInForceError, PolicyVersions
from policycheck.policy import Policy, RuleFileError, load_source, load_versions

FOUNDING = (  # the founding story's request (README): a map bought with a device, cancelled
    '{"request": {"kind": "cancellation", "date": "2012-03-19"}, '
    '"product": {"category": "map"}, "service": {"downloaded": false}}'
)


def add_command(commands: Commands) -> None:
    """Register `eval`."""
    evaluate = add_verb(
        commands,
        "eval",
        summary="evaluate facts against a rule file and print the decision",
        description="Evaluate the facts of a request (nested JSON) against a rule file, or "
        "against the version in force on the request's date of a policy of a folder. Exit 1 "
        "when the rule file has errors, 2 when the facts do not match it (every problem named) "
        "or no version is in force on the request's date.",
        examples=[
            f"echo '{FOUNDING}' > request.json",
            "policycheck eval rules/tomtom-fr-2012.policy --facts request.json",
            "policycheck eval rules/tomtom-fr-2012.policy --facts - --format json "
            """--proposed '{"outcome": "refuse", "clause": "a"}' < request.json""",
            "policycheck eval rules/ --policy tomtom-fr-2012 --facts request.json",
        ],
        handler=run_eval,
    )
    evaluate.add_argument(
        "file", metavar="PATH", help="the rule file, or a folder of rule files (with --policy)"
    )
    evaluate.add_argument(
        "--policy",
        metavar="ID",
        help="the policy of the folder whose version in force decides (default: none)",
    )
    evaluate.add_argument(
        "--facts",
        required=True,
        metavar="JSON_FILE",
        help="a JSON file of facts, or - for standard input (required)",
    )
    evaluate.add_argument(
        "--proposed",
        metavar="JSON",
        help="the agent's intended answer, e.g. "
        """'{"outcome": "refuse", "clause": "a"}': does the policy agree? (default: none)""",
    )
    add_format(evaluate)


def run_eval(args: argparse.Namespace) -> int:
    """Print the decision for the facts; exit 2 with every problem when they are invalid, or
    when no version is in force on the request's date."""
    facts = read_facts(args.facts)
    proposed = read_json(args.proposed, "--proposed") if args.proposed is not None else None
    versions = _versions(args)
    if versions is None:
        return EXIT_FAILED
    try:
        _, decision = versions.decide(facts, proposed)
    except NoVersionInForceError as none:
        if args.format == "json":
            print_json(
                {"code": "no_version_in_force", "message": str(none), "errors": none.to_errors()}
            )
        else:
            print(f"policycheck: error: {none}", file=sys.stderr)
        return EXIT_USAGE
    except FactsError as invalid:
        if args.format == "json":
            print_json(
                {
                    "code": "invalid_facts",
                    "message": "the facts do not match the policy",
                    "errors": [p.to_dict() for p in invalid.problems],
                }
            )
        else:
            print("policycheck: error: the facts do not match the policy:", file=sys.stderr)
            for problem in invalid.problems:
                print(f"  {problem.code} {problem.fact}: {problem.message}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print_json(decision.to_dict())
    else:
        print(render_decision(decision))
    return EXIT_OK


def _versions(args: argparse.Namespace) -> PolicyVersions[Policy] | None:
    """The versions of the policy to decide by (the file, or `--policy` of the folder); None
    once the errors of its rule files are reported."""
    if not Path(args.file).is_dir():
        try:
            policy = load_source(read_source(args.file))
        except RuleFileError as broken:
            report_broken(broken)
            return None
        if args.policy is not None and args.policy != policy.id:
            raise InputError(f"`{args.file}` defines `{policy.id}`, not `{args.policy}`")
        return PolicyVersions([policy])
    if args.policy is None:
        raise InputError(f"`{args.file}` is a folder: name the policy with --policy ID")
    policies, errors = load_versions(read_source(str(p)) for p in rule_files([args.file]))
    for source, diagnostic in errors:
        print_diagnostics([diagnostic], source, file=sys.stderr)
    if errors:
        return None
    if args.policy not in policies:
        known = ", ".join(sorted(policies)) or "none"
        raise InputError(f"no policy `{args.policy}` in `{args.file}` (policies: {known})")
    return policies[args.policy]


def render_decision(decision: Decision) -> str:
    """A readable summary of a decision, ending with its explanation."""
    clause = decision.clause
    lines = [f"outcome:  {decision.outcome.value}"]
    if clause is not None:
        lines.append(f"clause:   {clause.id} — {clause.title}")
    if decision.layer == "law" and decision.law is not None:
        lines.append(f"layer:    law — {decision.law.policy_id}, beneath the terms")
        terms = decision.terms
        if terms is not None:
            under = f" under {terms.clause.id}" if terms.clause else ""
            unlawful = ": unlawful" if terms.unlawful else ""
            lines.append(f"terms:    {terms.outcome.value}{under}{unlawful}")
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
