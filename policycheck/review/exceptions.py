"""Discretionary exceptions: what may be granted, by whom, and with which justification.

An exception overrides a refusal. Whether an agent may grant it, and whether it is final or waits
for a supervisor, follows from the refusal's rigidity and the policy's discretion level, as the
logged decision records them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

REASON_CODES: dict[str, str] = {
    "customer_error": "the customer made an honest mistake",
    "goodwill": "goodwill gesture to keep the customer",
    "service_failure": "our service failed (delay, outage, defect)",
    "misinformation": "we misinformed the customer",
    "delivery_problem": "the delivery went wrong",
    "exceptional_circumstances": "illness, bereavement or force majeure",
}
ENV_REASONS = "POLICYCHECK_REASON_CODES"  # `code:label,...` replaces REASON_CODES
GRANTED_OUTCOMES = ("allow", "partial")
REMEDY_KINDS = ("refund", "partial_refund", "store_credit", "exchange", "extension")
MIN_JUSTIFICATION, MAX_JUSTIFICATION, MAX_SUGGESTION, MAX_NOTE = 20, 4000, 2000, 2000
SUPERVISORS = frozenset({"supervisor", "admin"})
_WORDS = re.compile(r"[^0-9a-z]+")


class Status(enum.StrEnum):
    """Where an exception stands."""

    GRANTED = "granted"  # final when granted
    PENDING = "pending"  # waits for a supervisor
    APPROVED = "approved"  # a supervisor approved a pending one
    REJECTED = "rejected"  # a supervisor rejected a pending one

    @property
    def active(self) -> bool:
        """True while the exception stands or may still stand (not rejected)."""
        return self is not Status.REJECTED

    @property
    def in_force(self) -> bool:
        """True when the customer gets the exception (granted or approved)."""
        return self in (Status.GRANTED, Status.APPROVED)


class ExceptionInputError(ValueError):
    """An exception request with problems: every one of them, each `{"field", "message"}`."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        self.problems = problems


class GrantRefusedError(Exception):
    """This decision cannot be excepted by this role: an HTTP-like status, a code, a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ExceptionRequest:
    """A validated request to grant an exception."""

    granted_outcome: str
    remedy_kind: str
    amount: float | None
    reason_code: str
    justification: str
    follow_up_on: date | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The request's fields as JSON values."""
        return {
            "granted_outcome": self.granted_outcome,
            "remedy": {"kind": self.remedy_kind, "amount": self.amount},
            "reason_code": self.reason_code,
            "justification": self.justification,
            "follow_up_on": self.follow_up_on.isoformat() if self.follow_up_on else None,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class Grant:
    """How an exception on a decision starts: its status, and whether the policy's discretion
    covers it (a supervisor may go beyond it, for a refusal that is not rigid)."""

    status: Status
    beyond_discretion: bool


def validate_request(
    fields: Mapping[str, Any], reason_codes: Mapping[str, str], today: date
) -> ExceptionRequest:
    """The request, or ExceptionInputError listing every problem (types are checked upstream)."""
    problems: list[dict[str, str]] = []

    def problem(field: str, message: str) -> None:
        problems.append({"field": field, "message": message})

    granted = str(fields.get("granted_outcome", ""))
    if granted not in GRANTED_OUTCOMES:
        problem("granted_outcome", f"must be one of {', '.join(GRANTED_OUTCOMES)}")
    remedy = fields.get("remedy") or {}
    kind = str(remedy.get("kind", ""))
    if kind not in REMEDY_KINDS:
        problem("remedy.kind", f"must be one of {', '.join(REMEDY_KINDS)}")
    amount = remedy.get("amount")
    if amount is not None and not 0 < amount < float("inf"):  # NaN and infinity too
        problem("remedy.amount", "must be a number more than 0")
    if kind == "partial_refund" and amount is None:
        problem("remedy.amount", "a partial refund needs its amount")
    reason = str(fields.get("reason_code", ""))
    if reason not in reason_codes:
        problem("reason_code", f"unknown reason `{reason}`; accepted: {', '.join(reason_codes)}")
    justification = str(fields.get("justification") or "").strip()
    for message in _justification_problems(justification, reason, reason_codes.get(reason)):
        problem("justification", message)
    follow_up = fields.get("follow_up_on")
    if follow_up is not None and follow_up < today:
        problem("follow_up_on", f"is in the past; a follow-up is on {today.isoformat()} or later")
    suggestion = (fields.get("suggestion") or "").strip() or None
    if suggestion is not None and len(suggestion) > MAX_SUGGESTION:
        problem("suggestion", f"at most {MAX_SUGGESTION} characters")
    if problems:
        raise ExceptionInputError(problems)
    return ExceptionRequest(
        granted_outcome=granted,
        remedy_kind=kind,
        amount=float(amount) if amount is not None else None,
        reason_code=reason,
        justification=justification,
        follow_up_on=follow_up,
        suggestion=suggestion,
    )


def _justification_problems(text: str, reason: str, label: str | None) -> list[str]:
    """Why a justification does not justify: empty, too short or long, a copy of the reason."""
    if not text:
        return ["is required: say why this customer deserves an exception"]
    if len(text) > MAX_JUSTIFICATION:
        return [f"at most {MAX_JUSTIFICATION} characters"]
    words = _WORDS.sub(" ", text.lower()).strip()
    copies = {_WORDS.sub(" ", value.lower()).strip() for value in (reason, label or "") if value}
    if words in copies:
        return ["repeats the reason code: say what happened with this customer"]
    if len(text) < MIN_JUSTIFICATION:
        return [f"at least {MIN_JUSTIFICATION} characters: say what happened with this customer"]
    return []


def validate_note(note: str | None) -> str:
    """A supervisor's note on approving or rejecting: required, not blank, bounded."""
    text = (note or "").strip()
    if not text:
        raise ExceptionInputError([{"field": "note", "message": "is required"}])
    if len(text) > MAX_NOTE:
        raise ExceptionInputError([{"field": "note", "message": f"at most {MAX_NOTE} characters"}])
    return text


def grant_status(decision: Mapping[str, Any], role: str) -> Grant:
    """How an exception by `role` on the logged `decision` (its JSON) starts; GrantRefusedError when
    it cannot be made (409: nothing to except; 403: only a supervisor may)."""
    outcome = decision.get("outcome")
    if outcome != "refuse":
        what = "an allowed decision" if outcome == "allow" else f"a `{outcome}` decision"
        raise GrantRefusedError(409, "not_refused", f"{what} is not a refusal: nothing to except")
    supervisor = role in SUPERVISORS
    if not decision.get("rigid"):
        if supervisor:
            return Grant(Status.GRANTED, beyond_discretion=True)
        raise GrantRefusedError(
            403,
            "supervisor_required",
            "this refusal is not rigid (the policy gives no discretion here): "
            "only a supervisor may make an exception",
        )
    level = (decision.get("discretion") or {}).get("level", "agent")
    if supervisor or level == "agent":
        return Grant(Status.GRANTED, beyond_discretion=False)
    return Grant(Status.PENDING, beyond_discretion=False)


def parse_reason_codes(spec: str) -> dict[str, str]:
    """`code:label,code:label` (a label is optional) -> reason codes; ValueError if malformed."""
    codes: dict[str, str] = {}
    for item in spec.split(","):
        code, _, label = item.strip().partition(":")
        code = code.strip()
        if not code:
            continue
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
            raise ValueError(f"reason code `{code}` must be lowercase letters, digits and _")
        codes[code] = label.strip() or code.replace("_", " ")
    if not codes:
        raise ValueError("no reason codes given")
    return codes
