"""The quality team's review: override rates by clause and agent, reasons, follow-ups, friction,
and the CSV export of exceptions."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from policycheck.review.exceptions import Status
from policycheck.review.log import ExceptionFilter, ExceptionLog, ExceptionRecord, start_of_day

FOLLOW_UP_HORIZON = timedelta(days=7)
TOP_REASONS, TOP_SUGGESTIONS, PAGE = 3, 5, 500
CSV_COLUMNS = (
    "id",
    "status",
    "created_at",
    "decision_id",
    "policy_id",
    "policy_version",
    "clause_id",
    "agent_key_id",
    "agent_role",
    "granted_outcome",
    "remedy_kind",
    "remedy_amount",
    "reason_code",
    "justification",
    "follow_up_on",
    "suggestion",
    "decision_outcome",
    "decision_rigid",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "beyond_discretion",  # granted by a supervisor on a firm refusal: not in the override rate
)


def all_matching(log: ExceptionLog, filters: ExceptionFilter) -> Iterator[ExceptionRecord]:
    """Every exception that matches, newest first, read page by page."""
    before: int | None = None
    while True:
        page = log.find(filters, before_seq=before, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        before = page[-1].seq


def csv_rows(log: ExceptionLog, filters: ExceptionFilter) -> Iterator[str]:
    """The CSV export, as text chunks: a header, then one row per exception (newest first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for count, record in enumerate(all_matching(log, filters), start=1):
        writer.writerow(csv_row(record))
        if count % 100 == 0:
            yield flush()
    yield flush()


def csv_row(record: ExceptionRecord) -> list[Any]:
    """One exception as a CSV row (CSV_COLUMNS)."""
    request, snapshot, reviewed = record.request, record.snapshot, record.reviewed
    remedy = request.get("remedy") or {}
    return [
        record.id,
        record.status.value,
        record.created_at.isoformat(),
        record.decision_id,
        record.policy.get("id"),
        record.policy.get("version"),
        record.clause["id"] if record.clause else "",
        record.granted_by[0],
        record.granted_by[1],
        request.get("granted_outcome"),
        remedy.get("kind"),
        "" if remedy.get("amount") is None else remedy["amount"],
        request.get("reason_code"),
        _safe_cell(request.get("justification") or ""),
        request.get("follow_up_on") or "",
        _safe_cell(request.get("suggestion") or ""),
        snapshot.get("outcome"),
        snapshot.get("rigid"),
        reviewed.key_id if reviewed else "",
        reviewed.at.isoformat() if reviewed else "",
        _safe_cell(reviewed.note or "") if reviewed else "",
        record.beyond_discretion,
    ]


def _safe_cell(text: str) -> str:
    """Free text as a cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summarize(
    log: ExceptionLog, filters: ExceptionFilter, today: date, reasons: Mapping[str, str]
) -> dict[str, Any]:
    """Per clause and per agent: rigid refusals, exceptions, rates; reasons; follow-ups due;
    the friction report (the clauses most overridden, why, and the agents' suggestions)."""
    scope = ExceptionFilter(policy=filters.policy, since=filters.since, until=filters.until)
    records = list(all_matching(log, scope))
    refusals = _refusal_counts(log, scope)
    clauses = _clauses(records, refusals)
    agents = _agents(records, refusals)
    in_force = [r for r in records if r.status.in_force]
    statuses = Counter(r.status for r in records)
    rigid_total = sum(row["rigid"] for row in refusals["by_clause"].values())
    unlawful_total = sum(row["unlawful"] for row in refusals["by_clause"].values())
    # a rate is the count shown beside it over the rigid refusals shown beside it: exceptions
    # the policy's discretion covered; a supervisor's beyond it have a count of their own
    on_rigid = sum(1 for r in in_force if not r.beyond_discretion)
    return {
        "period": {
            "since": scope.since.isoformat() if scope.since else None,
            "until": scope.until.isoformat() if scope.until else None,
        },
        "policy": scope.policy,
        "totals": {
            "rigid_refusals": rigid_total,
            "exceptions": len(records),
            **{status.value: statuses.get(status, 0) for status in Status},
            "exceptions_granted": on_rigid,
            "beyond_discretion": len(in_force) - on_rigid,
            "override_rate": _rate(on_rigid, rigid_total),
            "unlawful_refusals": unlawful_total,
        },
        "clauses": clauses,
        "agents": agents,
        "reasons": [
            {"reason_code": code, "label": reasons.get(code, code), "count": count}
            for code, count in Counter(_reason(r) for r in records).most_common()
        ],
        "follow_ups_due": _follow_ups(records, today),
        "friction": _friction(clauses, records),
    }


def _refusal_counts(log: ExceptionLog, scope: ExceptionFilter) -> dict[str, Any]:
    """Refusals (all, rigid) per (policy, clause), and rigid refusals per agent key, from the
    store's counts of the refusals in the scope's days."""
    start = start_of_day(scope.since) if scope.since else None
    end = None
    if scope.until and scope.until < date.max:  # the last day ends no period before it
        end = start_of_day(scope.until + timedelta(days=1))
    by_clause: dict[tuple[str, str | None], dict[str, int]] = {}
    by_agent: dict[str | None, int] = {}
    empty = {"all": 0, "rigid": 0, "unlawful": 0}
    for group in log.store.refusals(scope.policy, start, end):
        row = by_clause.setdefault((group.policy_id, group.clause_id), dict(empty))
        row["all"] += group.total
        if group.rigid:
            row["rigid"] += group.total
            by_agent[group.agent_key_id] = by_agent.get(group.agent_key_id, 0) + group.total
    for overruled in log.store.unlawful_refusals(scope.policy, start, end):
        row = by_clause.setdefault((overruled.policy_id, overruled.clause_id), dict(empty))
        row["unlawful"] += overruled.total
    return {"by_clause": by_clause, "by_agent": by_agent}


def _clauses(records: list[ExceptionRecord], refusals: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per clause that refused or was excepted, most overridden first."""
    titles: dict[tuple[str, str | None], str | None] = {}
    counts: dict[tuple[str, str | None], Counter[str]] = defaultdict(Counter)
    for record in records:
        key = (record.policy.get("id", ""), record.clause["id"] if record.clause else None)
        titles[key] = record.clause.get("title") if record.clause else None
        tally = counts[key]
        if record.status.in_force:
            tally["beyond_discretion" if record.beyond_discretion else "granted"] += 1
        elif record.status is Status.PENDING:
            tally["pending"] += 1
        else:
            tally["rejected"] += 1
    rows = []
    for key in sorted(set(counts) | set(refusals["by_clause"]), key=lambda k: (k[0], k[1] or "")):
        refused = refusals["by_clause"].get(key, {"all": 0, "rigid": 0, "unlawful": 0})
        tally = counts.get(key, Counter())
        rows.append(
            {
                "policy": key[0],
                "clause": key[1],
                "title": titles.get(key),
                "refusals": refused["all"],
                "rigid_refusals": refused["rigid"],
                "exceptions_granted": tally["granted"],
                "pending": tally["pending"],
                "rejected": tally["rejected"],
                "beyond_discretion": tally["beyond_discretion"],
                "override_rate": _rate(tally["granted"], refused["rigid"]),
                # refusals of this clause the law beneath the terms overruled (not counted in
                # `refusals`: the decision was the law's allowance)
                "unlawful_refusals": refused["unlawful"],
            }
        )
    rows.sort(  # refusals the law overruled first: those terms most need amending
        key=lambda row: (
            -row["unlawful_refusals"],
            -row["exceptions_granted"],
            -(row["override_rate"] or 0),
            -row["beyond_discretion"],
        )
    )
    return rows


def _agents(records: list[ExceptionRecord], refusals: dict[str, Any]) -> list[dict[str, Any]]:
    """Per agent key: their exceptions on their rigid refusals, against the team's rate."""
    # only what the policy's discretion covered counts against rigid refusals; a supervisor's
    # exceptions beyond it are counted apart
    on_rigid = [r for r in records if r.status.in_force]
    granted = Counter(r.granted_by[0] for r in on_rigid if not r.beyond_discretion)
    beyond = Counter(r.granted_by[0] for r in on_rigid if r.beyond_discretion)
    rigid: dict[str | None, int] = refusals["by_agent"]
    team_rate = _rate(sum(granted.values()), sum(rigid.values()))
    rows: list[dict[str, Any]] = []
    for agent in sorted(set(granted) | set(beyond) | set(rigid), key=lambda a: a or ""):
        rate = _rate(granted[agent], rigid.get(agent, 0))
        ratio = round(rate / team_rate, 2) if rate is not None and team_rate else None
        rows.append(
            {
                "agent": agent,
                "rigid_refusals": rigid.get(agent, 0),
                "exceptions": granted[agent],
                "beyond_discretion": beyond[agent],
                "exception_rate": rate,
                "team_rate": team_rate,
                "ratio_to_team": ratio,
            }
        )
    rows.sort(key=lambda row: -(row["exception_rate"] or 0))
    return rows


def _follow_ups(records: list[ExceptionRecord], today: date) -> list[dict[str, Any]]:
    """Active exceptions whose follow-up falls within the coming week (or is overdue)."""
    horizon = (today + FOLLOW_UP_HORIZON).isoformat()
    due = [
        {
            "exception_id": r.id,
            "follow_up_on": r.request["follow_up_on"],
            "overdue": r.request["follow_up_on"] < today.isoformat(),
            "policy": r.policy.get("id"),
            "clause": r.clause["id"] if r.clause else None,
            "agent": r.granted_by[0],
            "status": r.status.value,
        }
        for r in records
        if r.status.active and (r.request.get("follow_up_on") or "9999") <= horizon
    ]
    return sorted(due, key=lambda item: item["follow_up_on"])


def _friction(
    clauses: list[dict[str, Any]], records: list[ExceptionRecord]
) -> list[dict[str, Any]]:
    """The clauses most overridden, with their commonest reasons and the latest suggestions."""
    report = []
    for row in clauses:
        if not (row["exceptions_granted"] or row["beyond_discretion"] or row["unlawful_refusals"]):
            continue
        mine = [
            r
            for r in records
            if r.status.in_force
            and r.policy.get("id") == row["policy"]
            and (r.clause["id"] if r.clause else None) == row["clause"]
        ]
        # records are newest first: the latest distinct suggestions
        suggestions = list(
            dict.fromkeys(r.request["suggestion"] for r in mine if r.request.get("suggestion"))
        )
        report.append(
            {
                "policy": row["policy"],
                "clause": row["clause"],
                "title": row["title"],
                "rigid_refusals": row["rigid_refusals"],
                "exceptions_granted": row["exceptions_granted"],
                "beyond_discretion": row["beyond_discretion"],
                "override_rate": row["override_rate"],
                "unlawful_refusals": row["unlawful_refusals"],
                "top_reasons": [
                    {"reason_code": code, "count": count}
                    for code, count in Counter(_reason(r) for r in mine).most_common(TOP_REASONS)
                ],
                "suggestions": suggestions[:TOP_SUGGESTIONS],
            }
        )
    return report


def _reason(record: ExceptionRecord) -> str:
    return str(record.request.get("reason_code"))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
