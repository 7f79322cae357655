"""The `policycheck` command, for legal teams, agents and operators."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import NoReturn

from policycheck import __version__
from policycheck.calendar import (
    ACCEPTED_UNIT_WORDS,
    CalendarError,
    Direction,
    ExtendTo,
    Period,
    Unit,
    compute_deadline,
    default_timezone,
    get_calendar,
    parse_unit,
    parse_when,
    resolve_region,
)
from policycheck.cli.audit import add_command as add_audit_command
from policycheck.cli.policy import InputError, add_commands
from policycheck.cli.render import add_command as add_render_command
from policycheck.cli.serve import add_command as add_serve_command
from policycheck.cli.toolkit import add_command as add_test_command
from policycheck.cli.toolkit import add_diff_command, add_fmt_command

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, never a usage dump or a traceback."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="policycheck", description=__doc__)
    parser.add_argument("--version", action="version", version=f"policycheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    add_commands(commands)
    add_test_command(commands)
    add_fmt_command(commands)
    add_diff_command(commands)
    add_render_command(commands)
    add_serve_command(commands)
    add_audit_command(commands)
    _add_deadline(commands)
    return parser


def _add_deadline(commands: argparse._SubParsersAction[_Parser]) -> None:
    cmd = commands.add_parser(
        "deadline",
        help="compute the last day of a period (working days, holidays, extension)",
        description="Compute the last day of a period counted from ANCHOR; the anchor day itself "
        "is not counted (Regulation 1182/71 art. 3(1)).",
        epilog="example: policycheck deadline 2012-04-04 14 ouvrables --country FR "
        "--postcode 67000",
    )
    cmd.add_argument("anchor", metavar="ANCHOR", help="YYYY-MM-DD, or YYYY-MM-DDTHH:MM+02:00")
    cmd.add_argument("count", metavar="COUNT", help="how many units (a whole number, 0 or more)")
    cmd.add_argument("unit", metavar="UNIT", help=f"one of: {ACCEPTED_UNIT_WORDS}")
    cmd.add_argument("--country", help="ISO 3166-1 code (FR, BE, DE...), or `none` for no holidays")
    where = cmd.add_mutually_exclusive_group()
    where.add_argument("--postcode", help="French postcode: picks Alsace-Moselle or overseas")
    where.add_argument("--region", help="holiday subdivision code (57, 6AE, 974; BY for DE...)")
    cmd.add_argument("--tz", help="IANA time zone for date-times (default: the region's own)")
    cmd.add_argument(
        "--before", action="store_true", help="count backwards from ANCHOR (never extended)"
    )
    cmd.add_argument(
        "--extend",
        action="store_true",
        help="move an end on a Saturday, Sunday or holiday to the next working day "
        "(1182/71 art. 3(4))",
    )
    cmd.add_argument(
        "--extend-to",
        choices=[e.value for e in ExtendTo],
        default=ExtendTo.WORKING_DAY.value,
        help="next working day (Mon-Fri, the default) or next jour ouvrable (Mon-Sat)",
    )
    cmd.add_argument(
        "--minimum-working-days",
        action="store_true",
        help="a period of two days or more holds two working days (art. 3(5))",
    )
    cmd.add_argument(
        "--strict-francs",
        action="store_true",
        help="jours francs: do not count the day it falls due either",
    )
    cmd.add_argument("--on", metavar="DATE", help="also measure the margin of a request made then")
    cmd.add_argument("--lang", choices=["en", "fr"], default="en", help="language of names")
    cmd.add_argument("--format", choices=["text", "json"], default="text")
    cmd.set_defaults(handler=_run_deadline)


def _run_deadline(args: argparse.Namespace) -> int:
    unit = parse_unit(args.unit)
    count = _whole_number(args.count)
    if args.country is None:
        raise UsageError("--country is required: an ISO code such as FR, or `none` for no holidays")
    direction = Direction.BEFORE if args.before else Direction.AFTER
    if args.extend and direction is Direction.BEFORE:
        raise UsageError("a period counted backwards is never extended (1182/71 art. 3(4))")
    region = resolve_region(args.country, postcode=args.postcode, region=args.region)
    anchor = parse_when(args.anchor)
    on = parse_when(args.on) if args.on is not None else None
    timezone = args.tz or default_timezone(region)
    if timezone is None:
        if isinstance(anchor, datetime) or isinstance(on, datetime):
            raise UsageError(f"{region.country} spans several time zones; pass --tz")
        timezone = "UTC"
    period = Period(
        count,
        unit,
        direction,
        extend=args.extend,
        extend_to=ExtendTo(args.extend_to),
        minimum_working_days=args.minimum_working_days,
        strict_francs=args.strict_francs,
    )
    deadline = compute_deadline(anchor, period, get_calendar(region), timezone)
    margin = deadline.margin(on) if on is not None else None
    if args.format == "json":
        out = deadline.to_dict(args.lang)
        if margin is not None:
            out["margin"] = margin.to_dict()
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        if unit is Unit.HOURS:
            print(deadline.ends_at.astimezone(deadline.tz).isoformat())
        else:
            print(deadline.last_day.isoformat())
        if margin is not None:
            print(f"{args.on}: {margin.describe(args.lang)}")
    return EXIT_OK


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"COUNT must be a whole number of units, not `{text}`") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 bad input)."""
    try:
        args = build_parser().parse_args(argv)
        handler = args.handler
        status: int = handler(args)
        return status
    except (UsageError, CalendarError, InputError) as error:
        print(f"policycheck: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
