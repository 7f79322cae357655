"""What the exception log gives back: exceptions with their history, the filters of listings,
and the result of verifying the chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from policycheck.review.exceptions import Status


@dataclass(frozen=True)
class ExceptionFilter:
    """Which exceptions to list: every field optional; `since`/`until` are inclusive UTC days."""

    policy: str | None = None
    clause: str | None = None
    agent: str | None = None  # key id of whoever granted or requested it
    reason: str | None = None
    status: Status | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class HistoryItem:
    """One status of an exception: when, by whom, with the supervisor's note."""

    status: Status
    at: datetime
    key_id: str | None
    role: str
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "status": self.status.value,
            "at": self.at.isoformat(),
            "by": {"key_id": self.key_id, "role": self.role},
            "note": self.note,
        }


@dataclass(frozen=True)
class ExceptionRecord:
    """An exception as the log tells it: the grant, and every status since."""

    seq: int  # the grant entry's place in the chain (the cursor of listings)
    id: str
    decision_id: str
    created_at: datetime
    granted_by: tuple[str | None, str]  # (key id, role)
    policy: dict[str, Any]
    clause: dict[str, Any] | None
    request: dict[str, Any]  # ExceptionRequest.to_dict()
    beyond_discretion: bool
    snapshot: dict[str, Any]
    history: tuple[HistoryItem, ...] = field(default=())

    @property
    def status(self) -> Status:
        """The latest status."""
        return self.history[-1].status

    @property
    def reviewed(self) -> HistoryItem | None:
        """The supervisor's approval or rejection, if any."""
        last = self.history[-1]
        return last if last.status in (Status.APPROVED, Status.REJECTED) else None

    def to_dict(self, snapshot: bool = True) -> dict[str, Any]:
        """The exception's JSON (the review API's contract); without the snapshot for lists."""
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "decision_id": self.decision_id,
            **self.request,
            "created_at": self.created_at.isoformat(),
            "granted_by": {"key_id": self.granted_by[0], "role": self.granted_by[1]},
            "policy": self.policy,
            "clause": self.clause,
            "beyond_discretion": self.beyond_discretion,
            "history": [item.to_dict() for item in self.history],
        }
        if snapshot:
            out["snapshot"] = self.snapshot
        return out
