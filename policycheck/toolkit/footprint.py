"""Where two versions of a policy differ: the clauses an amendment rewrote, when the rest of the
rule file is the same, so that a replay knows which requests both versions must decide alike.

The one shortcut of the replay (replay.py), behind this door: a request that none of the
rewritten clauses applies to (their scope, the same in both versions, was false for it) is
decided by the same clauses, the same calendars, groups, facts and laws in both: the new
version's answer is the old one's, and is not evaluated again. Everything else the two rule
files hold must be equal, source spans aside (an amendment moves text); only the version's name,
its period, title and document may differ, which no answer reads. When anything else differs,
or a rewritten clause's scope, there is no shortcut. tests/toolkit/test_replay.py checks the
answers against evaluating both versions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from policycheck.evaluation.decision import Decision
from policycheck.evaluation.layers import BoundLaw
from policycheck.language import nodes
from policycheck.policy import Policy

# What a header may change without changing any answer (Answer reads none of them).
UNREAD = ("version", "effective_from", "effective_until", "title", "document")


def rewritten(old: Policy, new: Policy) -> frozenset[str] | None:
    """The ids of the clauses `new` rewrote, when that is all it changed (and none of their
    scopes); None when the versions differ otherwise (then every request is evaluated twice)."""
    before, after = old.compiled.rule_file, new.compiled.rule_file
    if _frame(before) != _frame(after) or _laws(old.laws) != _laws(new.laws):
        return None
    if [c.id for c in before.clauses] != [c.id for c in after.clauses]:
        return None
    changed = set()
    for was, now in zip(before.clauses, after.clauses, strict=True):
        if _shape(was) != _shape(now):
            if _shape(was.scope) != _shape(now.scope):
                return None
            changed.add(was.id)
    return frozenset(changed)


def decided_alike(decision: Decision, changed: frozenset[str]) -> bool:
    """True when none of the `changed` clauses applied to the request `decision` answers (its
    own trace says each one's scope was false)."""
    out_of_scope = {
        step.clause
        for step in decision.trace
        if step.step == "scope" and step.value is False and step.law_facts is None
    }
    return changed <= out_of_scope


def _frame(rule_file: nodes.RuleFile) -> Any:
    """Everything of a rule file but its clauses, its examples and what no answer reads."""
    rest = dataclasses.replace(rule_file, clauses=(), examples=())
    return (_shape(rule_file.header, skip=UNREAD), _shape(rest, skip=("header",)))


def _laws(laws: Iterable[BoundLaw]) -> tuple[Any, ...]:
    return tuple((law.law.hash, law.personal, _laws(law.beneath)) for law in laws)


def _shape(value: Any, skip: tuple[str, ...] = ()) -> Any:
    """A node as nested tuples, without its source spans (two texts of one clause compare
    equal when only their places in the file differ), nor the fields named in `skip`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (field.name, _shape(getattr(value, field.name)))
                for field in dataclasses.fields(value)
                if field.name != "span"
                and not field.name.endswith("_span")
                and field.name not in skip
            ),
        )
    if isinstance(value, tuple | list):
        return tuple(_shape(item) for item in value)
    return value
