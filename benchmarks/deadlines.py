"""Deadline computations per second with a warm holiday cache (issue 2: target >= 200,000/s).

Computes `14 jours ouvrables` deadlines (Alsace-Moselle calendar, Europe/Paris) from anchors spread
over 2010-2029, so that no result is reused, and compares in the same run with the `holidays`
package's own `get_nth_working_day` (Saturday made a working day), the obvious alternative.

    .venv/bin/python benchmarks/deadlines.py [--n 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from datetime import date, timedelta

import holidays
from common import rates  # beside this file (the script's folder is first on sys.path)
from holidays.calendars.gregorian import SUN

from policycheck.calendar import Period, Unit, calendar_for, compute_deadline

TARGET_PER_SECOND = 200_000


def anchors(n: int) -> list[date]:
    """n anchors cycling through every day of 2010-2029."""
    first = date(2010, 1, 1)
    span = (date(2029, 12, 31) - first).days
    return [first + timedelta(days=(i * 7919) % span) for i in range(n)]


def run_policycheck(days: list[date]) -> date:
    calendar = calendar_for("FR", postcode="67000")
    period = Period(14, Unit.OUVRABLES)
    last = date.min
    for day in days:
        last = compute_deadline(day, period, calendar, "Europe/Paris").last_day
    return last


def run_holidays_package(days: list[date]) -> date:
    table = holidays.country_holidays("FR", subdiv="6AE", years=range(2010, 2031))
    table.weekend = {SUN}
    last = date.min
    for day in days:
        last = table.get_nth_working_day(day, 14)
    return last


def measure(name: str, fn: Callable[[list[date]], date], days: list[date], repeat: int) -> float:
    """Deadlines per second (the calendars and tables built by a first, untimed call)."""
    found = rates(lambda: fn(days), len(days), repeat, warm=lambda: fn(days[:1000]))
    best, median = max(found), statistics.median(found)
    runs = f"{len(days):,} x {repeat}"
    print(f"{name:<34} best {best:>12,.0f}/s   median {median:>12,.0f}/s   ({runs})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="deadlines per timed run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median reported)")
    args = parser.parse_args()
    days = anchors(args.n)
    sample = days[:2000]
    assert run_policycheck(sample) == run_holidays_package(sample), "the two disagree"
    ours = measure("policycheck.calendar", run_policycheck, days, args.repeat)
    ref_days = days[: max(1, args.n // 20)]
    theirs = measure("holidays.get_nth_working_day", run_holidays_package, ref_days, args.repeat)
    verdict = "meets" if ours >= TARGET_PER_SECOND else "MISSES"
    print(
        f"median {ours:,.0f}/s {verdict} the target of {TARGET_PER_SECOND:,}/s; "
        f"{ours / theirs:,.0f}x the holidays package's own helper"
    )


if __name__ == "__main__":
    main()
