"""The counts of a replay of the decision log: how many decisions were replayed and changed, by
transition of outcome, of clause and of who may waive, by field, for and against the customer,
and the exceptions the new version makes unnecessary; a few decision ids of each (the first
logged). A batch's tally is small and merges with the others' in any order to the same result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from policycheck.toolkit.answers import Answer, direction

# Why a logged decision was not replayed (`other_version`: its date is outside the old version's
# period, so another version decided it).
NOT_REPLAYED = ("masked", "invalid_old", "invalid_new", "other_version")
Key = tuple[
    str | None, ...
]  # a group: ("outcome", old, new), ("clause", old, new), ("field", name)...


@dataclass(frozen=True)
class Replayed:
    """What replaying one set of facts gave: `status` is `same`, `changed` or one of
    NOT_REPLAYED; the two answers when replayed; the fields that changed; whether the request's
    date is outside the new version's period. Its groups are worked out once (it is shared by
    every decision with the same facts)."""

    status: str
    old: Answer | None = None
    new: Answer | None = None
    fields: tuple[str, ...] = ()
    outside_new_period: bool = False
    groups: tuple[Key, ...] = field(default=(), compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.status == "changed":
            object.__setattr__(self, "groups", _groups(self))


def _groups(result: Replayed) -> tuple[Key, ...]:
    old, new = result.old, result.new
    assert old is not None
    assert new is not None
    keys: list[Key] = [("field", name) for name in result.fields]
    if "outcome" in result.fields:
        keys.append(("outcome", old.outcome, new.outcome))
    keys.append(("clause", old.clause, new.clause))
    if "discretion" in result.fields:
        keys.append(("discretion", old.discretion, new.discretion))
    side = direction(old, new)
    if side:
        keys.append(("customers", "for" if side > 0 else "against"))
    return tuple(keys)


class Group(NamedTuple):
    """How many decisions fall in a group, and the (seq, id) of the first few."""

    decisions: int
    ids: tuple[tuple[int, str], ...]


@dataclass
class Tally:
    """The counts of one batch, or of several merged."""

    ids: int = 5  # ids kept per group
    keep_changes: bool = False  # keep every changed decision in `changes`
    read: int = 0  # decisions of the window read from the log
    counts: dict[str, int] = field(default_factory=dict)  # by Replayed.status
    logged_otherwise: int = 0  # replayed decisions the old version decides otherwise than logged
    outside_new_period: int = 0
    groups: dict[Key, list[Any]] = field(default_factory=dict)  # key -> [count, [(seq, id)]]
    exceptions_in_force: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: Any, result: Replayed) -> None:
        """Count one logged decision (a reading.LoggedRow) and what replaying it gave."""
        self.read += 1
        status = result.status
        self.counts[status] = self.counts.get(status, 0) + 1
        old = result.old
        if old is None:
            return
        if old.outcome != row.outcome or old.clause != row.clause_id:
            self.logged_otherwise += 1
        if result.outside_new_period:
            self.outside_new_period += 1
        if status != "changed":
            return
        for key in result.groups:
            self._bump(key, row.seq, row.id)
        if self.keep_changes:
            assert result.new is not None
            self.changes.append(
                {
                    "decision_id": row.id,
                    "changed": list(result.fields),
                    "old": old.to_dict(),
                    "new": result.new.to_dict(),
                }
            )

    def add_exceptions(self, row: Any, result: Replayed, in_force: list[str]) -> None:
        """Count the exceptions in force (granted or approved) on a replayed decision: made
        unnecessary when the new version allows the request."""
        self.exceptions_in_force += len(in_force)
        if result.new is not None and result.new.outcome == "allow":
            for exception_id in in_force:
                self._bump(("exceptions", "unnecessary"), row.seq, exception_id)

    def _bump(self, key: Key, seq: int, id_: str) -> None:
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = [1, [(seq, id_)]]
            return
        group[0] += 1
        if len(group[1]) < self.ids:
            group[1].append((seq, id_))

    def merge(self, other: Tally) -> None:
        """Add another batch's counts (the ids kept stay the first logged, whatever the order);
        its `changes` are not kept (the caller writes each batch's, to hold none for long)."""
        self.read += other.read
        for status, count in other.counts.items():
            self.counts[status] = self.counts.get(status, 0) + count
        self.logged_otherwise += other.logged_otherwise
        self.outside_new_period += other.outside_new_period
        self.exceptions_in_force += other.exceptions_in_force
        for key, (count, ids) in other.groups.items():
            mine = self.groups.setdefault(key, [0, []])
            mine[0] += count
            mine[1] = sorted(mine[1] + ids)[: self.ids]

    def group(self, key: Key) -> Group:
        """The count and the first ids of a group (0 and none when nothing fell in it)."""
        count, ids = self.groups.get(key, (0, []))
        return Group(count, tuple(ids))

    def of_kind(self, kind: str) -> dict[Key, Group]:
        """The groups of a kind (`outcome`, `clause`, `discretion`), the largest first."""
        found = {key: self.group(key) for key in self.groups if key[0] == kind}
        return dict(sorted(found.items(), key=lambda item: (-item[1].decisions, str(item[0]))))

    @property
    def replayed(self) -> int:
        """Decisions replayed against both versions."""
        return self.counts.get("same", 0) + self.counts.get("changed", 0)

    @property
    def changed(self) -> int:
        """Replayed decisions whose answer changed."""
        return self.counts.get("changed", 0)
