"""Settings of the API, read from arguments or the environment (what `policycheck serve` sets)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policycheck.keys import ApiKey, load_keys
from policycheck.store import default_url

ENV_RULES, ENV_DB, ENV_KEYS_FILE = "POLICYCHECK_RULES", "POLICYCHECK_DB", "POLICYCHECK_KEYS_FILE"
DEFAULT_KEYS_FILE = "policycheck.keys"


@dataclass(frozen=True)
class Settings:
    """Where the rules and the store are, the API keys, and the limits."""

    rules_dir: Path = Path("rules")
    db_url: str = field(default_factory=lambda: default_url("policycheck.db"))
    keys: tuple[ApiKey, ...] = ()
    max_body_bytes: int = 64 * 1024
    refresh_seconds: float = 1.0

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from POLICYCHECK_RULES, POLICYCHECK_DB, POLICYCHECK_API_KEYS/_KEYS_FILE."""
        keys_file = Path(os.environ.get(ENV_KEYS_FILE, DEFAULT_KEYS_FILE))
        return cls(
            rules_dir=Path(os.environ.get(ENV_RULES, "rules")),
            db_url=os.environ.get(ENV_DB) or default_url("policycheck.db"),
            keys=tuple(load_keys(keys_file)),
        )
