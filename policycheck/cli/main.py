"""The `policycheck` command, for legal teams, agents and operators."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from policycheck import __version__
from policycheck.cli import audit, check, deadline, diff, eval, fmt, render, serve, test
from policycheck.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    INPUT_ERRORS,
    HelpFormatter,
    Parser,
    examples_epilog,
)

VERBS = (check, eval, test, fmt, diff, render, serve, audit, deadline)  # in `--help`'s order

EXAMPLES = (
    "policycheck check rules/tomtom-fr-2012.policy",
    "policycheck test --coverage",
    "policycheck deadline 2012-04-04 14 ouvrables --country FR --postcode 67000",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every verb: each verb module registers its own."""
    parser = Parser(
        prog="policycheck",
        description=__doc__,
        epilog=examples_epilog(EXAMPLES) + "\n\n`policycheck COMMAND --help` says more.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"policycheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for verb in VERBS:
        verb.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 findings, 2 bad input)."""
    try:
        args = build_parser().parse_args(argv)
        status: int = args.handler(args)
        return status
    except INPUT_ERRORS as error:
        print(f"policycheck: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
