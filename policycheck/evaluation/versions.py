"""The version in force: the rule files of one policy id, each with its `effective` period, and
the date fact of a request (`request.date` unless the policy says `in force on FACT`) that
chooses the one whose period holds it (docs/language.md, "Versions in force")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from itertools import pairwise
from typing import Any, Generic, Protocol, TypeVar

from policycheck.evaluation.compile import CompiledPolicy
from policycheck.evaluation.decision import Decision
from policycheck.evaluation.facts import FactsError, PolicyError
from policycheck.language.check_versions import Period


class NoVersionInForceError(PolicyError):
    """No version of the policy is in force on the request's date, or that date is unknown while
    several versions could decide: the API answers 422 `no_version_in_force`, the CLI exits 2."""

    def __init__(
        self,
        policy_id: str,
        fact: str,
        day: date | None,
        versions: list[tuple[str | None, Period]],
    ) -> None:
        self.policy_id, self.fact, self.day, self.versions = policy_id, fact, day, versions
        periods = ", ".join(
            (f'version "{name}"' if name else "a version without a name")
            + f" is in force {period.describe()}"
            for name, period in versions
        )
        if day is None:
            message = (
                f"`{fact}` is unknown: it chooses the version of `{policy_id}` in force, "
                f"and {periods}"
            )
        else:
            message = f"no version of `{policy_id}` is in force on {day} (`{fact}`): {periods}"
        super().__init__(message)

    def to_errors(self) -> list[dict[str, Any]]:
        """One problem per version: `{"fact", "version", "effective": {"from", "until"}}`."""
        return [
            {"fact": self.fact, "version": name, "effective": period.to_dict()}
            for name, period in self.versions
        ]


class Versioned(Protocol):
    """What a version is: anything with a compiled policy (policycheck.policy.Policy)."""

    @property
    def compiled(self) -> CompiledPolicy: ...

    def evaluate(
        self, facts: Mapping[str, Any], proposed: Mapping[str, Any] | None = None
    ) -> Decision: ...


V = TypeVar("V", bound=Versioned)


class PolicyVersions(Generic[V]):
    """Every version of one policy id, earliest period first; their periods do not overlap
    (the folder check, policycheck.language.check_versions, reports PC411 before this)."""

    def __init__(self, versions: Iterable[V]) -> None:
        ordered = sorted(versions, key=lambda v: Period.of(v.compiled.header).sort_key())
        if not ordered:
            raise ValueError("a policy needs at least one version")
        ids = {v.compiled.header.id for v in ordered}
        if len(ids) > 1:
            raise ValueError(f"versions of several policies: {sorted(ids)}")
        for earlier, later in pairwise(ordered):
            if Period.of(earlier.compiled.header).overlaps(Period.of(later.compiled.header)):
                raise ValueError(f"two versions of `{ordered[0].compiled.header.id}` overlap")
        self.versions: tuple[V, ...] = tuple(ordered)

    @property
    def id(self) -> str:
        """The policy id the versions share."""
        return self.versions[0].compiled.header.id

    @property
    def latest(self) -> V:
        """The version with the latest period (what the policy is shown as)."""
        return self.versions[-1]

    def decide(
        self, facts: Mapping[str, Any], proposed: Mapping[str, Any] | None = None
    ) -> tuple[V, Decision]:
        """The version in force and its decision; FactsError with every problem of the
        request (its proposal's too) when the facts are invalid, NoVersionInForceError."""
        try:
            version = self.in_force(facts)
        except FactsError as invalid:
            self.latest.evaluate(facts, proposed)  # raises with every problem
            raise invalid from None  # only if the latest version reads the date otherwise
        return version, version.evaluate(facts, proposed)

    def in_force(self, facts: Mapping[str, Any]) -> V:
        """The version whose period holds the request's date (read by the version's own
        schema and time zone); NoVersionInForceError when none does, or when that date is unknown
        and there are several versions; FactsError (every problem) when it is malformed."""
        days = [chosen_day(v.compiled, facts) for v in self.versions]
        if len(self.versions) == 1 and days[0] is None:
            return self.versions[0]
        for version, day in zip(self.versions, days, strict=True):
            if day is not None and Period.of(version.compiled.header).holds(day):
                return version
        raise NoVersionInForceError(
            self.id,
            self.latest.compiled.header.chosen_by,
            None if None in days else days[-1],
            [(v.compiled.header.version, Period.of(v.compiled.header)) for v in self.versions],
        )


def chosen_day(compiled: CompiledPolicy, facts: Mapping[str, Any]) -> date | None:
    """The day of the fact choosing the version (`in force on`, else `request.date`), as the
    policy reads it (a date-time: its day in the policy's time zone); None when unknown."""
    schema = compiled.schema
    try:
        value = schema.value_of(facts, compiled.header.chosen_by)
    except FactsError:
        schema.validate(facts)  # raises with every problem of the request, this one included
        raise
    if isinstance(value, datetime):
        return value.astimezone(compiled.tz).date()
    return value if isinstance(value, date) else None
