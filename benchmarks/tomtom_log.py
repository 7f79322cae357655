"""A realistic decision log of the TomTom policy, seeded: what `diff_replay.py` replays.

Customers ask from 2 January 2012 to 12 June 2014 (the period of `tomtom-fr-2012`), about 1,100
decisions a day at 1 million. Each customer's request is a conversation with an agent, which
logs one to four decisions: a first check to which a fact is sometimes still missing (the
decision asks for it), the check with every fact the customer gave, and often the same check
again when the agent proposes an answer (the facts are the same; the proposal is not a fact).
What customers ask: mostly cancellations (devices, accessories, maps, speed cameras, voices,
points of interest, LIVE services), some returns and refunds that no clause governs; deliveries
0 to 60 days before the request, most within three weeks; 45 postcodes over France with the
weight of their population (Alsace-Moselle and the overseas départements included); the device
used or not, its packaging kept or not, each sometimes unknown; the price paid for half the
devices; a request date-time now and then. One decision in 30 is an agent's question to the law
beneath the terms itself (`fr-code-consommation-2012`), logged in the same store. Agents grant
an exception on one rigid refusal in four (an agent's own when the policy lets an agent waive
it; a supervisor approves the others, which wait for them).

Every record is made by `store.records.decision_record` from a real decision (its JSON made once
per distinct fact set, the id set per decision), written in bulk by `Store.log_decisions`, and
every exception by `ExceptionLog.grant` / `review`, as the API makes them.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from policycheck.policy import Policy, load_policy
from policycheck.review.exceptions import REASON_CODES, grant_status, validate_request
from policycheck.review.log import ExceptionLog
from policycheck.service.keys import ApiKey, digest
from policycheck.store import DecisionRecord, Store, decision_record

ROOT = Path(__file__).resolve().parents[1]
PARIS = ZoneInfo("Europe/Paris")
FIRST, LAST = date(2012, 1, 2), date(2014, 6, 12)
VERSION = 1  # of this generator: part of the cached file's name
# postcode: weight (about the population around it)
POSTCODES = {
    "75001": 2, "75005": 3, "75008": 2, "75011": 6, "75013": 5, "75015": 7, "75018": 6,
    "75020": 6, "92100": 4, "93200": 4, "94000": 3, "78000": 3, "91000": 2, "95000": 2,
    "69001": 3, "69003": 4, "69007": 3, "13001": 3, "13008": 4, "31000": 5, "06000": 4,
    "44000": 4, "33000": 4, "34000": 4, "35000": 3, "59000": 4, "67000": 4, "67200": 2,
    "68100": 3, "68000": 2, "57000": 3, "57100": 2, "51100": 2, "21000": 2, "37000": 2,
    "29200": 2, "76000": 2, "63000": 2, "38000": 3, "45000": 2,
    "97110": 1, "97200": 1, "97300": 1, "97400": 2, "97600": 1,
}  # fmt: skip
CATEGORIES = {"device": 45, "accessory": 15, "map": 20, "speed_cameras": 7, "voice": 3,
              "poi": 3, "live_service": 7}  # fmt: skip
SERVICES = ("map", "speed_cameras", "voice", "poi", "live_service")
PRICES = ("49.95", "99.00", "129.00", "149.00", "199.00", "249.00", "299.00")
REASONS = list(REASON_CODES)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _maybe(rng: random.Random, known: float, true: float) -> bool | None:
    return (rng.random() < true) if rng.random() < known else None


def tomtom_request(rng: random.Random, day: date) -> dict[str, Any]:
    """One customer's facts, asked on `day` (a fact absent is one the customer did not give)."""
    roll = rng.random()
    kind = "cancellation" if roll < 0.8 else ("return" if roll < 0.92 else "refund")
    category = _pick(rng, CATEGORIES)
    offset = rng.choice((rng.randint(0, 14), rng.randint(0, 14), rng.randint(0, 14),
                         rng.randint(15, 25), rng.randint(26, 60)))  # fmt: skip
    request: dict[str, Any] = {"kind": kind, "date": day.isoformat()}
    if rng.random() < 0.05:  # a date-time, as some tools send it
        at = datetime.combine(day, time(rng.randint(8, 22), rng.randint(0, 59)), PARIS)
        request["date"] = at.isoformat()
    facts: dict[str, Any] = {"request": request, "product": {"category": category}}
    delivery: dict[str, Any] = {"date": (day - timedelta(days=offset)).isoformat()}
    if rng.random() < 0.95:
        delivery["postcode"] = _pick(rng, POSTCODES)
    if category in SERVICES:
        service = {
            "downloaded": _maybe(rng, 0.9, 0.55),
            "installed": _maybe(rng, 0.5, 0.4),
            "activated": _maybe(rng, 0.4, 0.5),
        }
        facts["service"] = {k: v for k, v in service.items() if v is not None}
        if rng.random() < 0.3:
            facts["delivery"] = delivery
        return facts
    product = facts["product"]
    used, packaging = _maybe(rng, 0.85, 0.25), _maybe(rng, 0.8, 0.85)
    if used is not None:
        product["used"] = used
    if packaging is not None:
        product["original_packaging"] = packaging
    facts["delivery"] = delivery
    if rng.random() < 0.5:
        facts["order"] = {"price_paid": {"value": rng.choice(PRICES), "currency": "EUR"}}
    return facts


def law_request(rng: random.Random, day: date) -> dict[str, Any]:
    """An agent's question to the law itself: a withdrawal from a distance contract."""
    received = day - timedelta(days=rng.randint(0, 12))
    return {
        "request": {"kind": "withdrawal", "date": day.isoformat()},
        "contract": {"object": "goods"},
        "possession": {"date": received.isoformat()},
        "consumer": {"postcode": _pick(rng, POSTCODES)},
        "goods": {"kind": "ordinary"},
    }


def conversation(rng: random.Random, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The fact sets an agent's checks of one request log, in order."""
    checks = []
    if rng.random() < 0.25:  # checked first with one fact not yet given
        first = orjson.loads(orjson.dumps(facts))
        section = rng.choice([s for s in first if s != "request" and first[s]])
        first[section].pop(rng.choice(list(first[section])))
        checks.append(first)
    checks.append(facts)
    if rng.random() < 0.5:  # checked again with the agent's proposal
        checks.append(facts)
    return checks


class Decider:
    """Decisions of one policy, their JSON made once per distinct fact set (as the API makes
    it), each logged decision with its own id."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.made: dict[bytes, tuple[Any, dict[str, Any]]] = {}

    def record(self, facts: dict[str, Any], agent: ApiKey, at: datetime) -> DecisionRecord:
        key = orjson.dumps(facts)
        made = self.made.get(key)
        if made is None:
            if len(self.made) > 20_000:
                self.made.clear()
            decision = self.policy.evaluate(facts)
            made = self.made[key] = (decision, decision.to_dict())
        decision, out = made
        decision = dataclasses.replace(decision, decision_id=uuid.uuid4().hex)
        out = {**out, "decision_id": decision.decision_id}
        personal = self.policy.personal
        return decision_record(decision, out, facts, agent.key_id, personal, at)


def decisions(count: int, seed: int) -> Iterator[tuple[DecisionRecord, ApiKey]]:
    """`count` logged decisions in the order they were made, each with the agent's key."""
    rng = random.Random(seed)
    tomtom = Decider(load_policy(ROOT / "rules" / "tomtom-fr-2012.policy"))
    law = Decider(load_policy(ROOT / "rules" / "fr-code-consommation-2012.policy"))
    agents = [ApiKey("agent", digest(f"agent-{i}")) for i in range(40)]
    days = (LAST - FIRST).days + 1
    made = 0
    for index in range(days):
        day = FIRST + timedelta(days=index)
        share = (count * (index + 1)) // days - (count * index) // days
        opened = datetime.combine(day, time(8), PARIS).astimezone(UTC)
        while share > 0:
            agent = rng.choice(agents)
            at = opened + timedelta(seconds=rng.randint(0, 12 * 3600))
            if rng.random() < 1 / 30:
                checks, decider = [law_request(rng, day)], law
            else:
                checks, decider = conversation(rng, tomtom_request(rng, day)), tomtom
            for facts in checks[:share]:
                at += timedelta(seconds=rng.randint(20, 240))
                yield decider.record(facts, agent, at), agent
                made += 1
            share -= len(checks[:share])
        if made >= count:
            return


def supervisor() -> ApiKey:
    return ApiKey("supervisor", digest("supervisor-0"))


def generate(url: str, count: int, seed: int, batch: int = 5000) -> tuple[int, int]:
    """Log `count` decisions and their exceptions into the (new) store at `url`: (decisions,
    exceptions)."""
    store = Store(url)
    store.migrate()
    exceptions = ExceptionLog(store)
    rng = random.Random(seed + 1)
    pending: list[tuple[DecisionRecord, ApiKey]] = []
    logged = granted = 0

    def flush() -> int:
        store.log_decisions([record for record, _ in pending])
        made = 0
        for record, agent in pending:
            if record.outcome == "refuse" and record.rigid and rng.random() < 0.25:
                made += _grant(exceptions, record, agent, rng)
        pending.clear()
        return made

    for item in decisions(count, seed):
        pending.append(item)
        logged += 1
        if len(pending) >= batch:
            granted += flush()
    granted += flush()
    store.close()
    return logged, granted


def _grant(log: ExceptionLog, record: DecisionRecord, agent: ApiKey, rng: random.Random) -> int:
    """An exception on a rigid refusal, as an agent grants it (approved by a supervisor when it
    waits for one)."""
    fields = {
        "granted_outcome": "allow",
        "remedy": {"kind": "refund"},
        "reason_code": rng.choice(REASONS),
        "justification": "The customer called on the last day; our line was busy until closing.",
    }
    request = validate_request(fields, REASON_CODES, record.created_at.date())
    made = log.grant(record, request, grant_status(record.decision, "agent"), agent)
    if made.status.value == "pending":
        log.review(made.id, approve=rng.random() < 0.7, note="Checked with the shop.",
                   actor=supervisor())  # fmt: skip
    return 1
