"""Static analysis of a compiled policy, proved with an SMT solver (z3): gaps, overlaps
(`outcomes`), unreachable clauses and conditions (`reachable`) — each shown with a request the
analysis has evaluated and seen reproduce it — and unused declarations (`unused`).

Every question is asked of the solver over all requests (`encode`, `verdicts`); periods and
local days are checked against the real calendar as the solver goes (`solve`, `periods`). An
answer is a request that shows the finding, a proof that there is none (said in
`Analysis.proved`), or `unknown` when the solver's time limit runs out: a note (PC412), never a
guess. Past the analysis's total budget the questions left are skipped and a note (PC413) says
which.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from policycheck.analysis.outcomes import gaps, overlaps
from policycheck.analysis.reachable import dead_conditions, unreachable
from policycheck.analysis.session import (
    ANALYSIS_BUDGET_S,
    SOLVER_TIMEOUT_MS,
    Analysis,
    BudgetError,
    Session,
    Settings,
)
from policycheck.analysis.unused import unused
from policycheck.evaluation.compile import CompiledPolicy
from policycheck.language import nodes
from policycheck.language.diagnostics import Diagnostic

__all__ = ["ANALYSIS_BUDGET_S", "SOLVER_TIMEOUT_MS", "Analysis", "Settings", "analyse"]

# the analyses that ask the solver, in the order they run (the cheapest findings first)
STEPS: tuple[tuple[str, Callable[[Session], None]], ...] = (
    ("gaps", gaps),
    ("overlaps", overlaps),
    ("clauses that never apply", unreachable),
    ("conditions that never or always hold", dead_conditions),
)


def analyse(
    policy: CompiledPolicy, rule_file: nodes.RuleFile, settings: Settings | None = None
) -> Analysis:
    """Every gap, overlap, unreachable clause or condition and unused declaration."""
    started = time.monotonic()
    session = Session(policy, rule_file, settings or Settings())
    if policy.clock is not None and any(f.type.kind == "datetime" for f in rule_file.facts):
        # the solver reads them in one zone; each customer's may differ
        session.result.assuming = "date-times read on the policy's own clock"
    unused(session)
    skipped = _solved(session)
    if skipped:
        session.note(
            "PC413",
            f"analysis skipped: {', '.join(skipped)}",
            rule_file.header.span,
            note=f"the analysis's budget of {session.settings.budget_s:g} s ran out",
            help="names and types are checked in full; give it longer with "
            "`check --analysis-budget SECONDS`, or split the rule file",
        )
    found = session.result
    found.diagnostics.sort(key=Diagnostic.sort_key)
    found.seconds = time.monotonic() - started
    return found


def _solved(session: Session) -> list[str]:
    """Run the solver's analyses; the names of those the budget left out (or cut short)."""
    try:
        session.start_solver()
    except RecursionError:  # too deep for the solver's terms (nesting is bounded: PC106)
        return [name for name, _ in STEPS]
    skipped: list[str] = []
    for name, step in STEPS:
        if skipped:
            skipped.append(name)
            continue
        asked = session.prover.questions
        try:
            step(session)
        except BudgetError:  # what it found so far is reported; the rest is not searched
            started = session.prover.questions > asked + 1
            skipped.append(f"{name} (in part)" if started else name)
    session.result.questions = session.prover.questions
    return skipped
