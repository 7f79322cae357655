"""What a version says about a request, in the terms a comparison needs: the outcome, the clause,
the deadline, who may waive a refusal, the obligations, the remedy and the fees; which of them two
versions' answers differ in, and whether the difference goes for or against the customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.evaluation.decision import Decision
from policycheck.evaluation.facts import FactSchema

FIELDS = ("outcome", "clause", "deadline", "discretion", "obligations", "remedy", "fees")
# who may waive a refusal, easiest first: losing a step is harder for the customer
WAIVERS = {"agent": 2, "supervisor": 1, None: 0}


@dataclass(frozen=True, slots=True)
class Answer:
    """What one version decides for one request (or why it cannot: `invalid facts (...)`).

    `discretion` is who may waive the refusal (`agent`, `supervisor`), None when nobody may
    (or nothing is refused); `remedy` is (kind, amount), `fees` (label, amount) pairs, an
    amount as `199.00 EUR` or None when the clause says it without computing it."""

    outcome: str
    clause: str | None = None
    deadline: str | None = None
    discretion: str | None = None
    obligations: tuple[str, ...] = ()
    remedy: tuple[str, str | None] | None = None
    fees: tuple[tuple[str, str | None], ...] = ()

    @classmethod
    def of(cls, decision: Decision) -> Answer:
        """The answer a decision gives."""
        remedy = decision.remedy
        return cls(
            decision.outcome.value,
            decision.clause.id if decision.clause else None,
            decision.deadline.isoformat() if decision.deadline else None,
            decision.discretion[0] if decision.rigid and decision.discretion else None,
            decision.obligations,
            (remedy.kind, _amount(remedy.amount)) if remedy else None,
            tuple((fee.label, _amount(fee.amount)) for fee in decision.fees),
        )

    def words(self, detail: tuple[str, ...] = ()) -> str:
        """`refuse under a, deadline 2012-04-21, an agent may waive it`, followed by the
        obligations, the remedy and the fees when `detail` names them."""
        text = self.outcome + (f" under {self.clause}" if self.clause else "")
        text += f", deadline {self.deadline}" if self.deadline else ""
        if self.discretion:
            article = "an" if self.discretion[0] in "aeiou" else "a"
            text += f", {article} {self.discretion} may waive it"
        if "remedy" in detail:
            text += "; remedy: " + (" ".join(filter(None, self.remedy)) if self.remedy else "none")
        if "fees" in detail:
            text += "; fees: " + (", ".join(" ".join(filter(None, f)) for f in self.fees) or "none")
        if "obligations" in detail:
            text += "; obligations: " + ("; ".join(self.obligations) or "none")
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the fields, the remedy as `{"kind", "amount"}`, fees `{"label", "amount"}`."""
        return {
            "outcome": self.outcome,
            "clause": self.clause,
            "deadline": self.deadline,
            "discretion": self.discretion,
            "obligations": list(self.obligations),
            "remedy": {"kind": self.remedy[0], "amount": self.remedy[1]} if self.remedy else None,
            "fees": [{"label": label, "amount": amount} for label, amount in self.fees],
        }


def _amount(amount: object) -> str | None:
    return None if amount is None else str(amount)


def changed_fields(old: Answer, new: Answer) -> tuple[str, ...]:
    """Which of FIELDS differ between two answers, in FIELDS' order. Who may waive, the
    obligations, the remedy and the fees count only between answers of the same outcome: when
    the outcome changes they follow from it (an allowed request has a remedy, a refusal none)."""
    names = FIELDS if old.outcome == new.outcome else FIELDS[:3]
    return tuple(name for name in names if getattr(old, name) != getattr(new, name))


def direction(old: Answer, new: Answer) -> int:
    """-1 when the new answer goes against the customer (an allowed request no longer allowed,
    a request refused that was not, or a refusal harder to waive), +1 when it goes for them (the
    mirror image), 0 otherwise. Remedies, fees and obligations are not weighed here."""
    if old.outcome != new.outcome:
        if old.outcome == "allow" or new.outcome == "refuse":
            return -1
        return 1 if new.outcome == "allow" or old.outcome == "refuse" else 0
    if old.outcome == "refuse" and old.discretion != new.discretion:  # both refuse
        return 1 if WAIVERS[new.discretion] > WAIVERS[old.discretion] else -1
    return 0


def declared_only(facts: Mapping[str, Any], schema: FactSchema) -> dict[str, Any]:
    """The nested `facts` without those the schema does not declare (an unknown fact to this
    version is left out, as if the request had not said it); values are not checked here."""
    return _keep(facts, schema.tree)


def _keep(given: Mapping[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in given.items():
        node = tree.get(key)
        if node is None:
            continue
        kept[key] = (
            _keep(value, node) if type(node) is dict and isinstance(value, Mapping) else value
        )
    return kept
