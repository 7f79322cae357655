"""What a period is: N units counted forwards or backwards from an anchor, and its extension."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from policycheck.calendar.errors import CalendarError
from policycheck.calendar.units import Unit


class Direction(enum.Enum):
    """Whether a period runs forwards from its anchor or backwards from it."""

    AFTER = "after"
    BEFORE = "before"


class ExtendTo(enum.Enum):
    """What "the next working day" means when a period is extended (DOMAIN §3.4, K3)."""

    WORKING_DAY = "working-day"  # 1182/71 art. 2(2): not a Saturday, Sunday or holiday
    OUVRABLE = "ouvrable"  # L221-19 literal: "premier jour ouvrable suivant", Saturday counts


@dataclass(frozen=True, slots=True)
class Period:
    """N units counted from an anchor event, with the counting rules that apply."""

    count: int
    unit: Unit
    direction: Direction = Direction.AFTER
    extend: bool = False
    extend_to: ExtendTo = ExtendTo.WORKING_DAY
    minimum_working_days: bool = False
    strict_francs: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int):
            raise CalendarError(f"a period's count must be a whole number, not `{self.count}`")
        if self.count < 0:
            raise CalendarError(
                f"a period's count cannot be negative ({self.count}); count backwards instead"
            )

    @property
    def is_extensible(self) -> bool:
        """Whether art. 3(4)/3(5) can apply: forwards, and not in hours."""
        return self.direction is Direction.AFTER and self.unit is not Unit.HOURS
