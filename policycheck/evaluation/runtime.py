"""What a compiled policy works with per request: the context, compiled nodes, period results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from policycheck.calendar import Deadline, Margin
from policycheck.evaluation.facts import FactValue
from policycheck.evaluation.personal import shown

UNSET: Any = object()
Value = bool | None


class Ctx:
    """One request's evaluation state: its facts and the value of every compiled node."""

    __slots__ = ("facts", "fees", "personal", "tz", "values", "withins")

    def __init__(
        self,
        facts: dict[str, FactValue],
        size: int,
        personal: frozenset[str] = frozenset(),
        tz: ZoneInfo | None = None,
    ) -> None:
        self.facts = facts
        self.personal = personal  # facts whose values are never written in words
        self.tz = tz  # the zone that reads this request's date-times (None: the policy's)
        self.values: list[Any] = [UNSET] * size
        self.withins: dict[int, WithinResult] = {}
        self.fees: Any = None  # the total of the deciding clause's fees (`fees` in a remedy)

    def shown(self, name: str) -> Any:
        """A fact's value for an explanation, masked if personal (evaluation.personal)."""
        return shown(name, self.facts.get(name), self.personal)


@dataclass(frozen=True, slots=True)
class WithinResult:
    """A computed period: its deadline and the request's margin (None when they vary by region)."""

    deadline: Deadline | None
    margin: Margin | None
    unit: str  # the period's unit as the rule file names it
    region_unknown: bool = False
    when: date | None = None  # the request's date (or date-time) the margin was measured at

    @property
    def margin_unit(self) -> str:
        """The unit the margin is counted in, named as in the rule file when it is the period's
        own (`ouvrables`), else canonically (`days` for a period in months)."""
        if self.margin is None or self.deadline is None:
            return self.unit
        if self.margin.unit is self.deadline.period.unit:
            return self.unit
        return self.margin.unit.value


@dataclass(eq=False, slots=True)
class Node:
    """A compiled condition: `fn(ctx)` gives True, False or None (unknown) and records it."""

    index: int
    op: str  # "and", "or", "not" or "atom"
    text: str
    facts: tuple[str, ...]
    children: tuple[Node, ...] = ()
    fn: Callable[[Ctx], Value] = field(default=lambda ctx: None)
    within: bool = False
    withins: tuple[int, ...] = ()  # indices of the `within` atoms in this node
    expr: Any = None  # the condition it was compiled from (language.nodes): said in words
