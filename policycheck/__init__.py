"""policycheck: check customer requests against a merchant's terms of sale."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
