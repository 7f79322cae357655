"""Decision logs for the replay tests: seeded TomTom requests, decided and logged as the API
logs them (`decision_record`), with exceptions granted through the exception log."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from policycheck.policy import Policy
from policycheck.review.exceptions import REASON_CODES, grant_status, validate_request
from policycheck.review.log import ExceptionLog
from policycheck.service.keys import ApiKey, digest
from policycheck.store import DecisionRecord, Store, decision_record

ROOT = Path(__file__).resolve().parents[2]
TOMTOM_FILE = ROOT / "rules" / "tomtom-fr-2012.policy"
LAW_FILE = ROOT / "rules" / "fr-code-consommation-2012.policy"
AGENT = ApiKey("agent", digest("replay-test-agent"))
SUPERVISOR = ApiKey("supervisor", digest("replay-test-supervisor"))
# Paris, Strasbourg (Good Friday), Metz, Guadeloupe (another clock), La Réunion
POSTCODES = ("75011", "67000", "57000", "97110", "97400")
CATEGORIES = ("device", "device", "device", "accessory", "map", "live_service")


def tomtom_requests(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` requests, many of them around the 14th jour ouvrable after delivery, some facts
    unknown, some requests asked twice (an agent checks again with the same facts)."""
    rng = random.Random(seed)
    found: list[dict[str, Any]] = []
    while len(found) < count:
        if found and rng.random() < 0.15:
            found.append(rng.choice(found))
            continue
        delivered = date(2012, 1, 2) + timedelta(days=rng.randrange(700))
        asked = delivered + timedelta(days=rng.choice((3, 12, 15, 16, 17, 18, 19, 20, 30)))
        category = rng.choice(CATEGORIES)
        facts: dict[str, Any] = {
            "request": {
                "kind": rng.choice(("cancellation",) * 5 + ("return",)),
                "date": asked.isoformat(),
            },
            "product": {"category": category},
            "delivery": {"date": delivered.isoformat()},
        }
        if rng.random() < 0.9:
            facts["delivery"]["postcode"] = rng.choice(POSTCODES)
        for name, true in (("used", 0.2), ("original_packaging", 0.85)):
            if rng.random() < 0.9:
                facts["product"][name] = rng.random() < true
        if category in ("map", "live_service"):
            facts["service"] = {"downloaded": rng.random() < 0.5}
        found.append(facts)
    return found


def log_requests(
    store: Store,
    policy: Policy,
    requests: Sequence[Mapping[str, Any]],
    start: datetime = datetime(2012, 1, 2, 9, tzinfo=UTC),
    step: timedelta = timedelta(hours=50),
) -> list[DecisionRecord]:
    """Decide and log each request as the API does, one every `step` from `start`."""
    records = []
    for index, facts in enumerate(requests):
        decision = policy.evaluate(facts)
        decision.decision_id = uuid.uuid4().hex
        out = decision.to_dict()
        at = start + index * step
        records.append(
            decision_record(decision, out, dict(facts), AGENT.key_id, policy.personal, at)
        )
    store.log_decisions(records)
    return records


def grant(log: ExceptionLog, record: DecisionRecord, approve: bool | None = None) -> str:
    """An exception on a rigid refusal, granted by an agent; a pending one approved or rejected
    by a supervisor when `approve` says so. Its id."""
    fields = {
        "granted_outcome": "allow",
        "remedy": {"kind": "refund"},
        "reason_code": "customer_error",
        "justification": "The customer asked on the phone the day before; we logged it late.",
    }
    request = validate_request(fields, REASON_CODES, record.created_at.date())
    made = log.grant(record, request, grant_status(record.decision, "agent"), AGENT)
    if approve is not None:
        log.review(made.id, approve, "Checked with the shop.", SUPERVISOR)
    return made.id
