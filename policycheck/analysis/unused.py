"""Declarations nothing reads (PC410): facts, groups and calendars, read from the rule file
alone (no solver): every condition, amount, law mapping, clock and tolerance of the file."""

from __future__ import annotations

from policycheck.analysis.session import Session
from policycheck.analysis.walk import every_expr, parts
from policycheck.language import nodes
from policycheck.language.nesting import refs
from policycheck.language.symbols import KIND_FACT


def unused(session: Session) -> None:
    """PC410 for each fact, group or calendar of the file that nothing reads."""
    policy, rule_file = session.policy, session.file
    read: set[str] = {KIND_FACT} if any(c.kinds is not None for c in policy.clauses) else set()
    exprs = every_expr(rule_file)
    read.update(ref.name for expr in exprs for ref in refs(expr))
    # what a law beneath the terms is told (`where`) is read too
    read.update(f for law in policy.laws for answer in law.answers for f in answer.facts)
    if rule_file.header.in_force_on is not None:  # it chooses the version in force
        read.add(rule_file.header.in_force_on.name)
    if rule_file.header.customer_zone is not None:  # it reads every date-time given
        read.add(rule_file.header.customer_zone.region_fact.name)
    used_calendars = {
        unit
        for expr in exprs
        for part in parts(expr)
        if isinstance(part, nodes.Within | nodes.OnOrBefore)
        for unit in nodes.period_units(part)
    }
    used_calendars |= {
        d.unit
        for c in rule_file.clauses
        for d in c.discretions
        if d.reason == "near_miss" and d.unit is not None
    }
    for calendar in rule_file.calendars:
        if calendar.name not in used_calendars:
            session.warn(
                "PC410",
                f"calendar `{calendar.name}` is never used",
                calendar.span,
                note="no `within`, `on or before` or near-miss tolerance counts in it",
                help="remove it or use it",
            )
        elif calendar.region_fact is not None:
            read.add(calendar.region_fact.name)
    for group in rule_file.groups:
        if group.name not in read:  # a group never names itself (PC404)
            session.warn(
                "PC410",
                f"group `{group.name}` is never used",
                group.span,
                note="no clause or group refers to it",
                help="remove it or use it",
            )
    for fact in rule_file.facts:
        if fact.name not in read:
            session.warn(
                "PC410",
                f"fact `{fact.name}` is never read",
                fact.span,
                note="no clause, group or calendar reads it",
                help="remove it, or use it in the clause it was meant for",
            )
