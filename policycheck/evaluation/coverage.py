"""Coverage of a policy by its examples: scopes reached, conditions seen true and false,
requirements, discretion branches — and what no example reaches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policycheck.evaluation.runtime import UNSET, Ctx, Node

if TYPE_CHECKING:
    from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
    from policycheck.evaluation.decision import Decision

_WORDS = {True: "true", False: "false"}


@dataclass
class Coverage:
    """What a set of examples reached in one compiled policy."""

    policy: CompiledPolicy
    example: str = ""  # the example being run, set by the caller
    scopes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    values: dict[int, set[bool | None]] = field(default_factory=lambda: defaultdict(set))
    waived: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    remedies: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def record(self, ctx: Ctx, decision: Decision) -> None:
        """Add what one evaluation reached."""
        for step in decision.trace:
            if step.step == "scope" and step.value is True:
                self.scopes[step.clause].append(self.example)
        for index, value in enumerate(ctx.values):
            if value is not UNSET:
                self.values[index].add(value)
        if decision.rigid and decision.clause and decision.discretion:
            self.waived[decision.clause.id].add(decision.discretion)
        if decision.clause and decision.remedy_branch >= 0:
            self.remedies[decision.clause.id].add(decision.remedy_branch)

    def items(self) -> list[CoverageItem]:
        """Every branch of the policy, reached or not, in rule-file order."""
        found: list[CoverageItem] = []
        for clause in self.policy.clauses:
            found += self._clause_items(clause)
        return found

    def _clause_items(self, clause: CompiledClause) -> list[CoverageItem]:
        cid = clause.decl.id
        examples = self.scopes.get(cid, [])
        items = [CoverageItem(cid, "scope", clause.scope_text or "(every request)",
                              {"reached": bool(examples)}, examples)]  # fmt: skip
        for rule in clause.rules:
            items += self._condition_items(cid, "condition", rule.node, 0)
        for requirement in clause.requirements:
            items += self._condition_items(cid, "requirement", requirement, 0)
        for fee in clause.fees:
            if fee.when is not None:
                items += self._condition_items(cid, "fee", fee.when, 0)
        conditional = any(remedy.when is not None for remedy in clause.remedies)
        for index, remedy in enumerate(clause.remedies if conditional else ()):
            given = index in self.remedies.get(cid, set())
            text = remedy.kind + (f" when {remedy.when.text}" if remedy.when else " otherwise")
            items.append(CoverageItem(cid, "remedy", text, {"given": given}))
        for discretion in clause.decl.discretions:
            used = (discretion.level, discretion.reason) in self.waived.get(cid, set())
            text = f"{discretion.level} ({discretion.reason.replace('_', ' ')})"
            items.append(CoverageItem(cid, "discretion", text, {"used": used}))
        return items

    def _condition_items(self, cid: str, kind: str, node: Node, depth: int) -> list[CoverageItem]:
        seen = self.values.get(node.index, set())
        items = [CoverageItem(cid, kind, node.text, {w: v in seen for v, w in _WORDS.items()},
                              depth=depth)]  # fmt: skip
        if node.op != "atom":
            for child in _operands(node):
                items += self._condition_items(cid, kind, child, depth + 1)
        return items


@dataclass(frozen=True)
class CoverageItem:
    """One branch: what must be seen (`true`/`false`, `reached`, `used`) and whether it was."""

    clause: str
    kind: str
    text: str
    seen: dict[str, bool]
    examples: list[str] = field(default_factory=list)
    depth: int = 0

    @property
    def complete(self) -> bool:
        """True when every branch of this item was reached by some example."""
        return all(self.seen.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"clause": self.clause, "kind": self.kind, "text": self.text, "seen": self.seen}


def _operands(node: Node) -> list[Node]:
    """The operands worth reporting: `not x` is reported as `x` (both values matter the same)."""
    return [child.children[0] if child.op == "not" else child for child in node.children]


def render_coverage(name: str, coverage: Coverage) -> str:
    """The coverage report of one rule file, as text."""
    items = coverage.items()
    lines = [f"{name}: coverage"]
    for item in items:
        marks = "  ".join(f"{word} {'✓' if seen else '✗'}" for word, seen in item.seen.items())
        indent = "  " if item.kind == "scope" else "    " + "  " * item.depth
        head = f"clause {item.clause}: " if item.kind == "scope" else ""
        lines.append(f"{indent}{head}{item.kind} `{item.text}`: {marks}")
        if item.kind == "scope" and item.examples:
            names = ", ".join(repr(name) for name in item.examples[:3])
            more = len(item.examples) - 3
            lines.append(
                f"{indent}  reached by {names}" + (f" and {more} more" if more > 0 else "")
            )
    missing = [i for i in items if not i.complete]
    branches = sum(len(i.seen) for i in items)
    reached = sum(sum(i.seen.values()) for i in items)
    lines.append(f"  {reached}/{branches} branches reached")
    for item in missing:
        absent = ", ".join(word for word, seen in item.seen.items() if not seen)
        lines.append(f"  not reached: clause {item.clause} {item.kind} `{item.text}`: {absent}")
    return "\n".join(lines)
