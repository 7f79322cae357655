"""Evaluations per second of the TomTom policy (target >= 50,000/s on one core), and its cost
with the law beneath it (target: at most 2x the terms alone).

Evaluates `Policy.evaluate(facts)` (the decision with its full trace) over pre-built, seeded
random fact sets (nested JSON dicts: request kinds, categories, flags true/false/absent,
deliveries over 2012-2013, requests 0-30 days later, postcodes of Paris, Strasbourg, Metz and
La Réunion, some delivery dates and postcodes missing), and compares in the same run with a
hand-written plain-Python function of the same two clauses over precomputed working-day tables:
the ceiling. Both must agree on the outcome wherever the hand-written one has every fact it
needs. `decision.to_dict()` (which writes the explanations) is timed apart, for information.
TomTom is subject to the Code de la consommation of 2012 (rules/fr-code-consommation-2012.policy):
the terms alone (`Policy.without_laws()`, what the hand-written function encodes) and the terms
with their law are timed in turn, A B A B..., and their ratio reported.

    .venv/bin/python benchmarks/evaluate.py [--n 10000] [--repeat 5] [--seed 2012] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
import retailer  # beside this file, as `common`
from common import rates  # beside this file (the script's folder is first on sys.path)

from policycheck.policy import Policy, load_policy

TARGET_PER_SECOND = 50_000
TARGET_RATIO, STRETCH_RATIO = 20, 5  # at most this many times slower than the hand-written one
TARGET_LAW_COST = 2.0  # the terms with their law: at most this many times the terms alone
RULE_FILE = Path(__file__).resolve().parent.parent / "rules" / "tomtom-fr-2012.policy"

KINDS = ("cancellation", "cancellation", "cancellation", "return", "refund")
HARDWARE = ("device", "accessory")
SERVICES = ("map", "speed_cameras", "voice", "poi", "live_service")
POSTCODES = ("75011", "67000", "57000", "97400")
FLAG = (True, False, None)  # None: the key is left out (unknown)


# -- the fact sets ---------------------------------------------------------------------------------


def _flags(rng: random.Random, names: tuple[str, ...]) -> dict[str, bool]:
    out = {}
    for name in names:
        value = rng.choice(FLAG)
        if value is not None:
            out[name] = value
    return out


def fact_sets(n: int, seed: int) -> list[dict[str, Any]]:
    """n nested-JSON fact sets, the same for a given seed."""
    rng = random.Random(seed)
    first = date(2012, 1, 1)
    span = (date(2013, 12, 31) - first).days
    sets = []
    for _ in range(n):
        delivered = first + timedelta(days=rng.randrange(span + 1))
        asked = delivered + timedelta(days=rng.randrange(31))
        category = rng.choice(HARDWARE + SERVICES)
        product: dict[str, Any] = {"category": category}
        product.update(_flags(rng, ("used", "original_packaging")))
        delivery: dict[str, Any] = {}
        if rng.random() >= 0.05:
            delivery["date"] = delivered.isoformat()
        if rng.random() >= 0.05:
            delivery["postcode"] = rng.choice(POSTCODES)
        facts: dict[str, Any] = {
            "request": {"kind": rng.choice(KINDS), "date": asked.isoformat()},
            "product": product,
            "delivery": delivery,
        }
        if category in SERVICES or rng.random() < 0.2:
            facts["service"] = _flags(rng, ("downloaded", "installed", "activated"))
        sets.append(facts)
    return sets


# -- the hand-written ceiling ----------------------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 2011, 2014
BASE = date(FIRST_YEAR, 1, 1).toordinal()
SUNDAY = 6
# Holiday subdivision of the `holidays` package by postcode prefix (3 digits first, then 2).
PREFIX3 = {"971": "971", "972": "972", "973": "973", "974": "974", "975": "PM", "976": "976"}
PREFIX2 = {"57": "57", "67": "6AE", "68": "6AE"}
DOWNLOAD_ONLY = frozenset({"map", "voice", "poi", "speed_cameras"})
HARDWARE_SET = frozenset(HARDWARE)
EMPTY: Mapping[str, Any] = {}


def _tables(subdivision: str | None) -> tuple[list[int], list[int]]:
    """Working-day ordinals (Monday to Saturday, no public holiday) of 2011-2014, and the rank
    array: rank[o - BASE] = number of working days on or before ordinal o."""
    closed = {
        day.toordinal()
        for day in holidays.country_holidays(
            "FR", subdiv=subdivision, years=range(FIRST_YEAR, LAST_YEAR + 1)
        )
    }
    days: list[int] = []
    rank: list[int] = []
    for ordinal in range(BASE, date(LAST_YEAR, 12, 31).toordinal() + 1):
        if date.fromordinal(ordinal).weekday() != SUNDAY and ordinal not in closed:
            days.append(ordinal)
        rank.append(len(days))
    return days, rank


def hand_written() -> Callable[[Mapping[str, Any]], str | None]:
    """The two clauses in plain Python: "allow", "refuse", "no_clause", or None when a fact it
    needs is missing (it does not reason with unknowns as the policy does)."""
    subdivisions = {None, *PREFIX3.values(), *PREFIX2.values()}
    tables = {code: _tables(code) for code in subdivisions}

    def decide(facts: Mapping[str, Any]) -> str | None:
        request = facts.get("request") or EMPTY
        if request.get("kind") != "cancellation":
            return "no_clause" if request.get("kind") is not None else None
        product = facts.get("product") or EMPTY
        category = product.get("category")
        if category in HARDWARE_SET:  # clause a
            delivery = facts.get("delivery") or EMPTY
            delivered, postcode = delivery.get("date"), delivery.get("postcode")
            asked, used = request.get("date"), product.get("used")
            packaging = product.get("original_packaging")
            if None in (delivered, postcode, asked, used, packaging):
                return None
            code = PREFIX3.get(postcode[:3]) or PREFIX2.get(postcode[:2])
            days, rank = tables[code]
            start = date.fromisoformat(delivered).toordinal()
            last_day = days[rank[start - BASE] + 13]  # the 14th working day after delivery
            if date.fromisoformat(asked).toordinal() > last_day or used:
                return "refuse"
            return "allow" if packaging else "refuse"
        if category is None:
            return None
        service = facts.get("service") or EMPTY  # clause b
        downloaded = service.get("downloaded")
        if downloaded is None:
            return None
        installed, activated = service.get("installed"), service.get("activated")
        if downloaded or installed or activated:  # any known act of implementation
            return "refuse"
        if category in DOWNLOAD_ONLY:  # not downloaded: presumed neither installed nor activated
            return "allow"
        return None if installed is None or activated is None else "allow"

    return decide


# -- timing ----------------------------------------------------------------------------------------


def check_agreement(policy: Policy, decide: Callable[..., str | None], sets: list[Any]) -> int:
    """Assert the two agree wherever the hand-written one decides; the number compared."""
    compared = 0
    for facts in sets:
        decision = policy.evaluate(facts)
        assert decision.trace, "a decision without its trace"
        expected = decide(facts)
        if expected is None:
            continue
        compared += 1
        assert decision.outcome.value == expected, (facts, decision.outcome, expected)
    return compared


def measure(
    name: str, fn: Callable[[list[Any]], object], sets: list[Any], repeat: int, passes: int = 1
) -> float:
    """Evaluations per second (calendars, tables and caches built by a first, untimed pass)."""

    def timed() -> None:
        for _ in range(passes):
            fn(sets)

    found = rates(timed, passes * len(sets), repeat, warm=lambda: fn(sets))
    best, median = max(found), statistics.median(found)
    runs = f"{len(sets) * passes:,} x {repeat}"
    print(
        f"{name:<36} best {best:>10,.0f}/s   median {median:>10,.0f}/s "
        f"{1e6 / median:>6.2f} µs   ({runs})"
    )
    return median


def interleaved(
    first: tuple[str, Callable[[list[Any]], object]],
    second: tuple[str, Callable[[list[Any]], object]],
    sets: list[Any],
    repeat: int,
) -> tuple[float, float]:
    """Two ways timed in turn (A B A B ...): each one's median evaluations per second."""
    found: dict[str, list[float]] = {first[0]: [], second[0]: []}
    for _name, fn in (first, second):
        fn(sets)  # untimed: calendars, tables and caches
    for _ in range(repeat):
        for name, fn in (first, second):
            found[name] += rates(lambda fn=fn: fn(sets), len(sets), 1, warm=lambda: None)
    for name, values in found.items():
        best, median = max(values), statistics.median(values)
        print(
            f"{name:<36} best {best:>10,.0f}/s   median {median:>10,.0f}/s "
            f"{1e6 / median:>6.2f} µs   (interleaved, {len(sets):,} x {repeat})"
        )
    return statistics.median(found[first[0]]), statistics.median(found[second[0]])


def subsets(sets: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The fact sets by the path they take through the policy."""
    out: dict[str, list[dict[str, Any]]] = {}
    for facts in sets:
        if facts["request"]["kind"] != "cancellation":
            label = "return/refund: no clause"
        elif facts["product"]["category"] in SERVICES:
            label = "cancellation of a service"
        elif "postcode" in facts["delivery"]:
            label = "cancellation of hardware"
        else:
            label = "hardware, postcode unknown"
        out.setdefault(label, []).append(facts)
    return out


def amounts_cost(n: int, seed: int, repeat: int) -> None:
    """The retailer's terms with their amounts against the same terms without, in turn."""
    with_amounts, without = retailer.policies()
    priced = retailer.returns(n, seed)
    unpriced = retailer.without_price(priced)
    for a, b in zip(priced, unpriced, strict=True):  # the same decisions, amounts aside
        assert with_amounts.evaluate(a).outcome == without.evaluate(b).outcome
    allowed = [with_amounts.evaluate(facts) for facts in priced]
    given = sum(1 for d in allowed if d.remedy is not None and d.remedy.amount is not None)
    print(f"retailer: {len(priced):,} returns, {given:,} allowed with a computed remedy")

    def run_with(batch: list[Any]) -> object:
        last = None
        for facts in priced:
            last = with_amounts.evaluate(facts)
        return last

    def run_without(batch: list[Any]) -> object:
        last = None
        for facts in unpriced:
            last = without.evaluate(facts)
        return last

    plain, computed = interleaved(
        ("retailer without amounts", run_without), ("retailer with amounts", run_with), priced,
        repeat,
    )  # fmt: skip
    cost = plain / computed
    verdict = "meets" if cost <= retailer.TARGET_AMOUNTS_COST else "MISSES"
    print(
        f"amounts: {cost:.2f}x the time of the same terms without them (medians), {verdict} "
        f"the target of at most {retailer.TARGET_AMOUNTS_COST}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="fact sets per timed run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--seed", type=int, default=2012, help="seed of the fact sets")
    parser.add_argument("--profile", action="store_true", help="cProfile one pass of evaluate")
    args = parser.parse_args()

    with_law = load_policy(RULE_FILE)
    policy = with_law.without_laws()  # the terms alone: what the hand-written function encodes
    decide = hand_written()
    sets = fact_sets(args.n, args.seed)
    compared = check_agreement(policy, decide, sets)
    outcomes: dict[str, int] = {}
    for facts in sets:
        outcome = policy.evaluate(facts).outcome.value
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items()))
    print(f"{len(sets):,} fact sets (seed {args.seed}): {mix}")
    print(f"both agree on all {compared:,} fact sets where every needed fact is known")

    evaluate = policy.evaluate

    def run_policy(batch: list[Any]) -> object:
        last = None
        for facts in batch:
            last = evaluate(facts)
        return last

    def run_to_dict(batch: list[Any]) -> object:
        last = None
        for facts in batch:
            last = evaluate(facts).to_dict()
        return last

    def run_hand(batch: list[Any]) -> object:
        last = None
        for facts in batch:
            last = decide(facts)
        return last

    ours = measure("Policy.evaluate", run_policy, sets, args.repeat)
    ceiling = measure("hand-written Python", run_hand, sets, args.repeat, passes=20)
    with_dict = measure("Policy.evaluate + to_dict()", run_to_dict, sets, args.repeat)
    ratio = ceiling / ours
    verdict = "meets" if ours >= TARGET_PER_SECOND else "MISSES"
    print(f"median {ours:,.0f}/s {verdict} the target of {TARGET_PER_SECOND:,}/s")
    if ratio <= STRETCH_RATIO:
        ratio_verdict = f"meets the target ({TARGET_RATIO}x) and the stretch ({STRETCH_RATIO}x)"
    elif ratio <= TARGET_RATIO:
        ratio_verdict = f"meets the target ({TARGET_RATIO}x), MISSES the stretch ({STRETCH_RATIO}x)"
    else:
        ratio_verdict = f"MISSES the target ({TARGET_RATIO}x)"
    print(f"hand-written is {ratio:,.1f}x faster: {ratio_verdict}")
    print(
        f"for information: evaluate + to_dict() {with_dict:,.0f}/s, "
        f"{1e6 / with_dict - 1e6 / ours:,.1f} µs per decision for to_dict()"
    )

    law_evaluate = with_law.evaluate

    def run_with_law(batch: list[Any]) -> object:
        last = None
        for facts in batch:
            last = law_evaluate(facts)
        return last

    alone, layered = interleaved(
        ("terms alone", run_policy), ("terms with their law", run_with_law), sets, args.repeat
    )
    cost = alone / layered
    law_verdict = "meets" if cost <= TARGET_LAW_COST else "MISSES"
    print(
        f"the law beneath the terms: {cost:.2f}x the time of the terms alone (medians), "
        f"{law_verdict} the target of at most {TARGET_LAW_COST:.0f}x"
    )

    amounts_cost(args.n, args.seed, args.repeat)

    print("for information, Policy.evaluate by kind of fact set:")
    for label, subset in subsets(sets).items():
        measure(f"  {label} ({len(subset):,})", run_policy, subset, args.repeat)

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run_policy, sets)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
