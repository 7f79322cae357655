"""Settings of the API, read from arguments or the environment (what `policycheck serve` sets)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policycheck.review.exceptions import ENV_REASONS, REASON_CODES, parse_reason_codes
from policycheck.service.keys import ApiKey, load_keys
from policycheck.store import default_url
from policycheck.store.seal import ENV_SEAL_FILE, SealKeys, load_seal_keys, seal_file_beside

ENV_RULES, ENV_DB, ENV_KEYS_FILE = "POLICYCHECK_RULES", "POLICYCHECK_DB", "POLICYCHECK_KEYS_FILE"
ENV_OPENTELEMETRY = "POLICYCHECK_OPENTELEMETRY"
DEFAULT_KEYS_FILE = "policycheck.keys"


@dataclass(frozen=True)
class Settings:
    """Where the rules and the store are, the API keys, and the limits."""

    rules_dir: Path = Path("rules")
    db_url: str = field(default_factory=lambda: default_url("policycheck.db"))
    keys: tuple[ApiKey, ...] = ()
    max_body_bytes: int = 64 * 1024
    refresh_seconds: float = 1.0
    reason_codes: dict[str, str] = field(default_factory=lambda: dict(REASON_CODES))
    # FastAPI's native OpenTelemetry (spans, metrics and logs through the global providers of
    # an OpenTelemetry SDK the process configures). Off by default: even with no SDK it asks
    # for the providers on every request, about 7% of a decision's CPU time.
    opentelemetry: bool = False
    seal: SealKeys | None = None  # seals what the logs append (None: unsealed entries)

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from POLICYCHECK_RULES, POLICYCHECK_DB, POLICYCHECK_API_KEYS/_KEYS_FILE,
        POLICYCHECK_REASON_CODES (`code:label,...`; the default list otherwise) and
        POLICYCHECK_OPENTELEMETRY (`on` to have FastAPI's native OpenTelemetry), and the seal
        keys (POLICYCHECK_SEAL_KEYS, else POLICYCHECK_SEAL_FILE or the file beside the keys
        file, which `serve` creates)."""
        keys_file = Path(os.environ.get(ENV_KEYS_FILE, DEFAULT_KEYS_FILE))
        reasons = os.environ.get(ENV_REASONS, "").strip()
        seal_file = os.environ.get(ENV_SEAL_FILE) or seal_file_beside(keys_file)
        return cls(
            rules_dir=Path(os.environ.get(ENV_RULES, "rules")),
            db_url=os.environ.get(ENV_DB) or default_url("policycheck.db"),
            keys=tuple(load_keys(keys_file)),
            reason_codes=parse_reason_codes(reasons) if reasons else dict(REASON_CODES),
            opentelemetry=os.environ.get(ENV_OPENTELEMETRY, "").strip().lower()
            in ("on", "1", "true", "yes"),
            seal=load_seal_keys(Path(seal_file)),
        )
