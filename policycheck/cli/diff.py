"""`policycheck diff`: which examples change outcome, clause or deadline between two versions of
a policy (exit 1 when some do, like diff(1))."""

from __future__ import annotations

import argparse

from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    add_format,
    add_verb,
    print_diagnostics,
    print_json,
    read_source,
)
from policycheck.policy import RuleFileError, load_source
from policycheck.toolkit.amendment import compare, render_changes

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
        summary="which examples change outcome, clause or deadline between two versions",
        description="Run the examples of both versions of a policy against both; list the ones "
        "whose outcome, clause or deadline changes. Exit 1 when some do, like diff(1).",
        examples=[
            AMEND,
            "policycheck diff rules/tomtom-fr-2012.policy rules/amended.policy"
            "    # exit 1: 17 change",
            "policycheck diff --format md rules/tomtom-fr-2012.policy rules/amended.policy"
            " > changes.md    # exit 1",
        ],
        handler=run_diff,
    )
    diff.add_argument("old", metavar="OLD", help="the rule file in force")
    diff.add_argument("new", metavar="NEW", help="the amended rule file")
    add_format(diff, ("text", "md", "json"))


def run_diff(args: argparse.Namespace) -> int:
    """Print the table of changed examples; exit 1 if any changed, 0 if none."""
    policies = []
    for name in (args.old, args.new):
        source = read_source(name)
        try:
            policies.append(load_source(source))
        except RuleFileError as broken:
            print_diagnostics(broken.diagnostics, source)
            return EXIT_FAILED
    changes, total = compare(*policies)
    if args.format == "json":
        print_json({"examples": total, "changes": [
            {"example": c.example, "from": c.origin, "old": c.old.__dict__, "new": c.new.__dict__,
             "changed": c.fields()} for c in changes]})  # fmt: skip
    else:
        print(render_changes(changes, total, markdown=args.format == "md"))
    return EXIT_FAILED if changes else EXIT_OK
