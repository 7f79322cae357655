"""Why a clause decided: the atoms an outcome rests on, and whether each reason for a refusal
may be waived (rigid) or not (firm)."""

from __future__ import annotations

from policycheck.evaluation.runtime import UNSET, Ctx, Node, WithinResult
from policycheck.evaluation.tolerances import Tolerance
from policycheck.language.nodes import Discretion

LEVELS = {"agent": 0, "supervisor": 1}


def why(node: Node, value: bool | None, ctx: Ctx) -> list[Node]:
    """The atoms that give `node` its `value`: for `a and b` false, the false ones, etc."""
    if node.op == "atom":
        return [node]
    if node.op == "not":
        child = node.children[0]
        return why(child, None if value is None else not value, ctx)
    decisive = (node.op == "and" and value is False) or (node.op == "or" and value is True)
    atoms: list[Node] = []
    for child in node.children:
        found = ctx.values[child.index]
        if found is UNSET:
            continue
        if (decisive and found is value) or (not decisive and (value is not None or found is None)):
            atoms += why(child, found, ctx)
    return atoms


def open_atoms(node: Node, ctx: Ctx) -> list[Node]:
    """Unknown atoms beside the decisive ones: once known, they could be reasons too."""
    value = ctx.values[node.index]
    if node.op == "atom" or value is None or value is UNSET:
        return []
    if node.op == "not":
        return open_atoms(node.children[0], ctx)
    decisive = (node.op == "and" and value is False) or (node.op == "or" and value is True)
    atoms: list[Node] = []
    for child in node.children:
        found = ctx.values[child.index]
        if decisive and found is None:
            atoms += why(child, None, ctx)
        elif found is value or not decisive:
            atoms += open_atoms(child, ctx)
    return atoms


def waivable(
    discretions: tuple[Discretion, ...],
    reasons: list[tuple[Node, str]],
    ctx: Ctx,
    tolerances: tuple[Tolerance | None, ...] = (),
) -> tuple[bool, tuple[str, str] | None]:
    """Rigid when every reason for a refusal (atom, "rule"|"formal"|"open") can be waived under
    the clause's `discretions`; who may waive it, and why. `tolerances[i]` is the compiled
    `late by at most` of `discretions[i]`: it covers any late `within` of the clause."""
    paired = list(zip(discretions, (*tolerances, *[None] * len(discretions)), strict=False))
    if not reasons:  # refused by `otherwise` alone: only `discretion ...` always waives
        always = [(LEVELS[d.level], d.level, d.reason) for d in discretions if d.reason == "always"]
        return (True, min(always)[1:]) if always else (False, None)
    needed: list[tuple[int, str, str]] = []
    for atom, kind in reasons:
        result = ctx.withins.get(atom.index) if atom.within and kind != "open" else None
        waivers = [
            (LEVELS[d.level], d.level, d.reason)
            for d, tolerance in paired
            if d.reason == "always"
            or (d.reason == "formal" and kind == "formal")
            or (d.reason == "near_miss" and result is not None and _covers(tolerance, result, ctx))
        ]
        if kind == "formal":
            waivers.append((LEVELS["agent"], "agent", "formal"))
        if not waivers:
            return False, None
        needed.append(min(waivers))
    _, level, reason = max(needed)
    return True, (level, reason)


def _covers(tolerance: Tolerance | None, result: WithinResult, ctx: Ctx) -> bool:
    return tolerance is not None and tolerance.covers(result, ctx)
