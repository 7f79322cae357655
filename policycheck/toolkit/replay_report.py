"""A replay's tally as the report `policycheck diff --db` prints: JSON for tools, a plain text or
Markdown summary for people (both made from the JSON, so they say the same)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from policycheck.language.check_versions import Period
from policycheck.policy import Policy
from policycheck.toolkit.answers import FIELDS
from policycheck.toolkit.tally import NOT_REPLAYED, Tally

WHY = {
    "masked": "personal facts masked in the log",
    "invalid_old": "facts the old version finds invalid",
    "invalid_new": "facts the new version finds invalid",
    "other_version": "asked outside the old version's period (another version decided them)",
}
KINDS = (("outcomes", "outcome", "outcome"), ("clauses", "clause", "clause"),
         ("discretion", "discretion", "who may waive"))  # fmt: skip


def report(
    tally: Tally, old: Policy, new: Policy, since: date | None, until: date | None
) -> dict[str, Any]:
    """The JSON of a replay: `{"decisions": {"replayed", "changed", ...}, ...}` (docs/cli.md)."""
    not_replayed = {why: tally.counts.get(why, 0) for why in NOT_REPLAYED}
    out: dict[str, Any] = {
        "decisions": {
            "replayed": tally.replayed,
            "changed": tally.changed,
            "unchanged": tally.replayed - tally.changed,
            "read": tally.read,
            "not_replayed": not_replayed,
            "logged_otherwise": tally.logged_otherwise,
            "outside_new_period": tally.outside_new_period,
        },
        "policy": old.id,
        "old": _version(old),
        "new": _version(new),
        "window": {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
    }
    for name, kind, _ in KINDS:
        out[name] = [
            {"old": key[1], "new": key[2], "decisions": group.decisions,
             "decision_ids": [id_ for _, id_ in group.ids]}
            for key, group in tally.of_kind(kind).items()
        ]  # fmt: skip
    out["fields"] = {name: tally.group(("field", name)).decisions for name in FIELDS}
    out["customers"] = {}
    for side in ("against", "for"):
        group = tally.group(("customers", side))
        out["customers"][side] = {
            "decisions": group.decisions,
            "decision_ids": [id_ for _, id_ in group.ids],
        }
    unnecessary = tally.group(("exceptions", "unnecessary"))
    out["exceptions"] = {
        "in_force": tally.exceptions_in_force,
        "unnecessary": unnecessary.decisions,
        "exception_ids": [id_ for _, id_ in unnecessary.ids],
    }
    return out


def _version(policy: Policy) -> dict[str, Any]:
    header = policy.compiled.header
    return {
        "file": policy.compiled.source.name,
        "version": header.version,
        "hash": policy.hash,
        "effective": Period.of(header).to_dict(),
    }


def render_report(out: dict[str, Any], markdown: bool = False) -> str:
    """The report in words: a summary, then a table per kind of change (plain or Markdown)."""
    counts = out["decisions"]
    window = _window(out["window"])
    lines = [
        f"{counts['replayed']:,} of {counts['read']:,} logged decisions of `{out['policy']}`"
        f"{window} replayed against both versions: {counts['changed']:,} change, "
        f"{out['fields']['outcome']:,} of them in outcome"
    ]
    lines += [
        f"not replayed: {count:,} ({WHY[why]})"
        for why, count in counts["not_replayed"].items()
        if count
    ]
    if counts["logged_otherwise"]:
        lines.append(
            f"note: the old version decides {counts['logged_otherwise']:,} of them otherwise than "
            "the log says (the log was made by another text of the policy or its laws)"
        )
    if counts["outside_new_period"]:
        lines.append(
            f"note: {counts['outside_new_period']:,} were asked outside the new version's period: "
            "replayed as if it had been in force"
        )
    for name, _, title in KINDS:
        rows = [(f"{_name(g['old'])} → {_name(g['new'])}", f"{g['decisions']:,}",
                 " ".join(g["decision_ids"])) for g in out[name]]  # fmt: skip
        if rows:
            lines += ["", *_table((title, "decisions", "first decision ids"), rows, markdown)]
    fields = ", ".join(f"{name} {count:,}" for name, count in out["fields"].items() if count)
    lines += ["", f"what changed: {fields or 'nothing'}"]
    for side, group in out["customers"].items():
        ids = f" (first: {' '.join(group['decision_ids'])})" if group["decision_ids"] else ""
        lines.append(f"{side} the customer: {group['decisions']:,}{ids}")
    exceptions = out["exceptions"]
    ids = " ".join(exceptions["exception_ids"])
    lines.append(
        f"exceptions in force on these decisions: {exceptions['in_force']:,}; "
        f"unnecessary under the new version: {exceptions['unnecessary']:,}"
        + (f" (first: {ids})" if ids else "")
    )
    return "\n".join(lines)


def _window(window: dict[str, str | None]) -> str:
    since, until = window["since"], window["until"]
    if since and until:
        return f" from {since} to {until}"
    return f" from {since}" if since else (f" until {until}" if until else "")


def _name(value: str | None) -> str:
    return "none" if value is None else value


def _table(
    head: tuple[str, str, str], rows: Sequence[tuple[str, str, str]], markdown: bool
) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return [
        f"{row[0].ljust(widths[0])}  {row[1].rjust(widths[1])}  {row[2]}".rstrip()
        for row in [head, *rows]
    ]
