"""policycheck: check customer requests against a merchant's terms of sale."""

from __future__ import annotations

from policycheck.decision import Decision
from policycheck.diagnostics import Diagnostic
from policycheck.facts import FactsError, PolicyError
from policycheck.policy import Policy, RuleFileError, load_policy

__version__ = "0.1.0"

__all__ = [
    "Decision",
    "Diagnostic",
    "FactsError",
    "Policy",
    "PolicyError",
    "RuleFileError",
    "__version__",
    "load_policy",
]
