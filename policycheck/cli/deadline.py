"""`policycheck deadline`: the last day of a period (working days, holidays, extension), counted
as Regulation 1182/71 counts it."""

from __future__ import annotations

import argparse
from datetime import datetime

from policycheck.calendar import (
    ACCEPTED_UNIT_WORDS,
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
from policycheck.cli.common import EXIT_OK, Commands, InputError, add_format, add_verb, print_json


def add_command(commands: Commands) -> None:
    """Register `deadline`."""
    cmd = add_verb(
        commands,
        "deadline",
        summary="compute the last day of a period (working days, holidays, extension)",
        description="Compute the last day of a period counted from ANCHOR; the anchor day itself "
        "is not counted (Regulation 1182/71 art. 3(1)).",
        examples=[
            "policycheck deadline 2012-04-04 14 ouvrables --country FR --postcode 67000",
            "policycheck deadline 2012-04-04 14 ouvrables --country FR --on 2012-04-20 --lang fr",
            "policycheck deadline 2023-03-04 14 jours --country FR --extend --format json",
        ],
        handler=run_deadline,
    )
    cmd.add_argument("anchor", metavar="ANCHOR", help="YYYY-MM-DD, or YYYY-MM-DDTHH:MM+02:00")
    cmd.add_argument("count", metavar="COUNT", help="how many units (a whole number, 0 or more)")
    cmd.add_argument("unit", metavar="UNIT", help=f"one of: {ACCEPTED_UNIT_WORDS}")
    cmd.add_argument(
        "--country",
        help="ISO 3166-1 code (FR, BE, DE...), or `none` for no holidays (required)",
    )
    where = cmd.add_mutually_exclusive_group()
    where.add_argument(
        "--postcode",
        help="French postcode: picks Alsace-Moselle or overseas (default: the country's "
        "national holidays)",
    )
    where.add_argument(
        "--region",
        help="holiday subdivision code (57, 6AE, 974; BY for DE...) (default: the country's "
        "national holidays)",
    )
    cmd.add_argument(
        "--tz", help="IANA time zone for date-times (default: the region's own, UTC for dates)"
    )
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
        help="what --extend moves to: the next working day (Mon-Fri) or the next jour ouvrable "
        "(Mon-Sat)",
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
    cmd.add_argument(
        "--on",
        metavar="DATE",
        help="also measure the margin of a request made then (default: none)",
    )
    cmd.add_argument("--lang", choices=["en", "fr"], default="en", help="language of names")
    add_format(cmd)


def run_deadline(args: argparse.Namespace) -> int:
    """Print the deadline (and the margin of a request `--on` a date)."""
    unit = parse_unit(args.unit)
    count = _whole_number(args.count)
    if args.country is None:
        raise InputError("--country is required: an ISO code such as FR, or `none` for no holidays")
    direction = Direction.BEFORE if args.before else Direction.AFTER
    if args.extend and direction is Direction.BEFORE:
        raise InputError("a period counted backwards is never extended (1182/71 art. 3(4))")
    region = resolve_region(args.country, postcode=args.postcode, region=args.region)
    anchor = parse_when(args.anchor)
    on = parse_when(args.on) if args.on is not None else None
    timezone = args.tz or default_timezone(region)
    if timezone is None:
        if isinstance(anchor, datetime) or isinstance(on, datetime):
            raise InputError(f"{region.country} spans several time zones; pass --tz")
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
        print_json(out)
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
        raise InputError(f"COUNT must be a whole number of units, not `{text}`") from None
