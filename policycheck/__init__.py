"""policycheck: check customer requests against a merchant's terms of sale."""

from __future__ import annotations

from policycheck.evaluation.decision import Decision
from policycheck.evaluation.facts import FactsError, PolicyError
from policycheck.evaluation.versions import NoVersionInForceError, PolicyVersions
from policycheck.language.diagnostics import Diagnostic
from policycheck.policy import Policy, RuleFileError, load_policy

__version__ = "0.1.0"

__all__ = [
    "Decision",
    "Diagnostic",
    "FactsError",
    "NoVersionInForceError",
    "Policy",
    "PolicyError",
    "PolicyVersions",
    "RuleFileError",
    "__version__",
    "load_policy",
]
