"""Versions of one policy across rule files: rule files sharing a policy id are its versions,
each in force for its `effective` period (both days included). Reported here, over a folder:
periods that overlap (PC411), versions chosen by different facts (PC421) or not told apart by
their `version` (PC422), and days between two versions with none in force (PC423, a warning)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from policycheck.language import nodes
from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.source import Source, Span

DATE_TYPES = ("date", "datetime")


@dataclass(frozen=True, slots=True)
class Period:
    """The days a version is in force: from `start` to `until`, both included; None is open."""

    start: date | None
    until: date | None

    @classmethod
    def of(cls, header: nodes.Header) -> Period:
        """The `effective FROM until TO` period of a rule file (open ends when not written)."""
        return cls(header.effective_from, header.effective_until)

    def holds(self, day: date) -> bool:
        """True if `day` is one of the period's days."""
        return (self.start is None or self.start <= day) and (
            self.until is None or day <= self.until
        )

    def overlaps(self, other: Period) -> bool:
        """True if some day is in both periods."""
        return (self.start is None or other.until is None or self.start <= other.until) and (
            other.start is None or self.until is None or other.start <= self.until
        )

    def describe(self) -> str:
        """`2012-01-01 to 2014-06-13`, `from 2025-01-01`, `until 2014-06-13` or `at any date`."""
        if self.start and self.until:
            return f"{self.start} to {self.until}"
        if self.start:
            return f"from {self.start}"
        return f"until {self.until}" if self.until else "at any date"

    def to_dict(self) -> dict[str, str | None]:
        """`{"from": "2012-01-01", "until": "2014-06-13"}` (null for an open end)."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "until": self.until.isoformat() if self.until else None,
        }

    def sort_key(self) -> tuple[date, date]:
        """Earliest first; an open start before any date, an open end after any."""
        return (self.start or date.min, self.until or date.max)


Version = tuple[Source, nodes.RuleFile]


def check_versions(files: Sequence[Version]) -> list[Diagnostic]:
    """Every problem between the rule files that share a policy id (each file checked clean)."""
    by_id: dict[str, list[Version]] = {}
    for source, rule_file in files:
        by_id.setdefault(rule_file.header.id, []).append((source, rule_file))
    found: list[Diagnostic] = []
    for versions in by_id.values():
        if len(versions) > 1:
            found += _versions_of_one_id(versions)
    return sorted(found, key=Diagnostic.sort_key)


def _versions_of_one_id(versions: list[Version]) -> list[Diagnostic]:
    ordered = sorted(versions, key=lambda v: (Period.of(v[1].header).sort_key(), v[0].name))
    found: list[Diagnostic] = []
    for index, (source, rule_file) in enumerate(ordered):
        for other, other_file in ordered[:index]:
            if Period.of(rule_file.header).overlaps(Period.of(other_file.header)):
                found.append(_overlap(source, rule_file.header, other, other_file.header))
    found += _chosen_by(ordered) + _names(ordered)
    for (earlier, earlier_file), (later, later_file) in pairwise(ordered):
        found += _gap(earlier, earlier_file.header, later, later_file.header)
    return found


def _diagnostic(
    code: str, source: Source, span: Span, message: str, note: str, help: str
) -> Diagnostic:
    severity = Severity.WARNING if code == "PC423" else Severity.ERROR
    return Diagnostic(code, severity, message, span, source.name, note=note, help=help)


def _overlap(
    source: Source, header: nodes.Header, other: Source, other_header: nodes.Header
) -> Diagnostic:
    period, other_period = Period.of(header), Period.of(other_header)
    if period.start is not None and other_period.start is not None:
        fix = (
            f"end `{other.name}` the day before this version starts (`until "
            f"{period.start - timedelta(days=1)}`), or give one of them another policy id"
        )
    else:
        fix = "give each version an `effective` period of its own, or give one another policy id"
    return _diagnostic(
        "PC411",
        source,
        header.effective_span or header.span,
        f"two versions of policy `{header.id}` are in force on the same days",
        f"in force {period.describe()}; `{other.name}` is in force {other_period.describe()}",
        fix,
    )


def _chosen_by(ordered: list[Version]) -> list[Diagnostic]:
    """PC421: versions that another fact chooses, or that do not declare the fact as a date."""
    first_source, first = ordered[0]
    fact = first.header.chosen_by
    found = []
    for source, rule_file in ordered:
        header = rule_file.header
        span = header.in_force_on.span if header.in_force_on else header.span
        declared = {f.name: f.type.kind for f in rule_file.facts}
        if header.chosen_by != fact:
            found.append(
                _diagnostic(
                    "PC421",
                    source,
                    span,
                    f"versions of policy `{header.id}` are chosen by different facts",
                    f"`{header.chosen_by}` chooses this version; `{fact}` chooses "
                    f"`{first_source.name}`",
                    f"write the same `in force on` line in every version (`in force on {fact}`)",
                )
            )
        elif declared.get(fact) not in DATE_TYPES:
            found.append(
                _diagnostic(
                    "PC421",
                    source,
                    span,
                    f"version of policy `{header.id}` without the date `{fact}`",
                    f"`{fact}` chooses the version in force but this version does not declare "
                    "it as a date",
                    f"declare `{fact}: date` under `facts`, or name another date fact with "
                    "`in force on` in every version",
                )
            )
    return found


def _names(ordered: list[Version]) -> list[Diagnostic]:
    """PC422: a version without a `version` name, or with the name of another version."""
    seen: dict[str, Source] = {}
    found = []
    for source, rule_file in ordered:
        header = rule_file.header
        if header.version is None or header.version in seen:
            again = (
                f'`{seen[header.version].name}` has the name "{header.version}" too'
                if header.version in seen
                else 'no `version "..."` line'
            )
            found.append(
                _diagnostic(
                    "PC422",
                    source,
                    header.span,
                    f"versions of policy `{header.id}` cannot be told apart",
                    again,
                    'give each version its own name, e.g. `version "2026-03"`: a decision '
                    "names the version that decided it",
                )
            )
        elif header.version is not None:
            seen[header.version] = source
    return found


def _gap(
    earlier: Source, before: nodes.Header, later: Source, after: nodes.Header
) -> list[Diagnostic]:
    """PC423 (a warning): days between two consecutive versions with no version in force."""
    until, start = Period.of(before).until, Period.of(after).start
    if until is None or start is None or start <= until + timedelta(days=1):
        return []
    return [
        _diagnostic(
            "PC423",
            later,
            after.effective_span or after.span,
            f"no version of policy `{after.id}` is in force from {until + timedelta(days=1)} "
            f"to {start - timedelta(days=1)}",
            f"`{earlier.name}` ends on {until}",
            f"start this version on {until + timedelta(days=1)}, or end `{earlier.name}` on "
            f"{start - timedelta(days=1)}, if the terms continued; requests of those days "
            "answer `no_version_in_force`",
        )
    ]
