"""The exception log at size: grants per second, `audit verify`, a listing page, the summary.

Logs N rigid refusals (two agents, clause a of the TomTom policy) and grants an exception on
each through the library (`ExceptionLog.grant`, one transaction and one chain entry each), then
times verifying the whole chain, the first and a deep page of the filtered list, the CSV export
and the review summary. SQLite file by default; `--db postgresql+psycopg://...` for PostgreSQL
(a fresh schema of that database, dropped after). No target is set by the issue; the
figures show what a quality team's page costs on a log of that size.

    .venv/bin/python benchmarks/exceptions.py [--count 5000] [--db URL]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from common import fresh_schema  # beside this file (the script's folder is first on sys.path)

import policycheck
from policycheck.review.exceptions import REASON_CODES, grant_status, validate_request
from policycheck.review.log import ExceptionFilter, ExceptionLog
from policycheck.review.summary import csv_rows, summarize
from policycheck.service.keys import ApiKey, digest
from policycheck.store import DecisionRecord, Store
from policycheck.store.records import decision_record

ROOT = Path(__file__).resolve().parents[1]
LATE = {
    "request": {"kind": "cancellation", "date": "2012-04-23"},
    "product": {"category": "device", "used": False, "original_packaging": True},
    "delivery": {"date": "2012-04-04", "postcode": "75011"},
}


def timed(what: str, action: Callable[[], Any]) -> Any:
    """Run `action` once and print how long it took."""
    start = time.perf_counter()
    result = action()
    print(f"{what:<44} {1000 * (time.perf_counter() - start):9.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = (
            args.db or f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory()))}/b.db"
        )
        if url.startswith("postgresql"):  # a fresh schema of that database, dropped after
            url = stack.enter_context(fresh_schema(url))
        run(url, args.count)


def run(url: str, count: int) -> None:
    """Log, grant, verify, list, export and summarise `count` decisions on the store at `url`."""
    store = Store(url)
    store.migrate()
    log = ExceptionLog(store)
    policy = policycheck.load_policy(ROOT / "rules" / "tomtom-fr-2012.policy")
    agents = [ApiKey("agent", digest(f"agent-{i}")) for i in range(2)]
    reasons = list(REASON_CODES)

    def logged(agent: ApiKey) -> DecisionRecord:
        """A rigid refusal of LATE, made into a record as the API makes it."""
        decision = policy.evaluate(LATE)
        decision.decision_id = uuid.uuid4().hex
        out = decision.to_dict()
        personal = policy.compiled.personal
        return decision_record(decision, out, LATE, agent.key_id, personal, datetime.now(UTC))

    records = [logged(agents[i % 2]) for i in range(count)]
    print(f"{url.split('://')[0]}, {count} rigid refusals and as many exceptions")
    timed("log the decisions (one transaction)", lambda: store.log_decisions(records))

    def grant_all() -> None:
        for i, record in enumerate(records):
            fields = {
                "granted_outcome": "allow",
                "remedy": {"kind": "refund"},
                "reason_code": reasons[i % len(reasons)],
                "justification": f"Customer {i} asked one jour ouvrable late after a move.",
                "suggestion": "Extend the period to 15 ouvrables" if i % 3 == 0 else None,
            }
            request = validate_request(fields, REASON_CODES, date.today())
            log.grant(record, request, grant_status(record.decision, "agent"), agents[i % 2])

    start = time.perf_counter()
    timed("grant every exception (one entry each)", grant_all)
    rate = count / (time.perf_counter() - start)
    print(f"{'  grants per second':<44} {rate:9.0f}")
    report = timed("audit verify (whole chain)", log.verify)
    assert report.ok, report
    assert report.entries == count, report
    mistakes = ExceptionFilter(reason="customer_error", agent=agents[0].key_id)
    first = timed("first page of 50 (reason + agent filter)", lambda: log.find(mistakes))
    deep = timed(
        "a page from the middle (cursor)",
        lambda: log.find(ExceptionFilter(), before_seq=count // 2, limit=50),
    )
    assert first
    assert len(deep) == min(50, count // 2 - 1), len(deep)  # the entries before the middle
    size = timed("CSV export (all)", lambda: sum(len(c) for c in csv_rows(log, ExceptionFilter())))
    print(f"{'  CSV bytes':<44} {size:9d}")
    out = timed(
        "review summary",
        lambda: summarize(log, ExceptionFilter(), date.today(), REASON_CODES),
    )
    assert out["totals"]["exceptions"] == count
    store.close()


if __name__ == "__main__":
    main()
