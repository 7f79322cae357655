"""API keys with roles: read from the environment or a keys file, kept and compared as hashes.

A key is never stored or logged: only its SHA-256 and a short id derived from it (the first 8
hex digits), which is what decision logs record.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROLES = ("agent", "supervisor", "legal", "quality", "admin")
ENV_KEYS = "POLICYCHECK_API_KEYS"


class KeySpecError(ValueError):
    """A malformed key specification (unknown role, empty key)."""


@dataclass(frozen=True)
class ApiKey:
    """A key's role and its hash (never the key itself)."""

    role: str
    digest: str  # hex SHA-256 of the key

    @property
    def key_id(self) -> str:
        """A short, stable, non-secret name for the key (the first 8 hex digits of its hash)."""
        return self.digest[:8]


def digest(key: str) -> str:
    """Hex SHA-256 of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_keys(spec: str) -> list[ApiKey]:
    """`agent:KEY1,quality:KEY2` (or `role:sha256:<hex>` for a stored hash) -> keys."""
    keys = []
    for item in spec.replace("\n", ",").split(","):
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        role, _, secret = item.partition(":")
        role = role.strip()
        if role not in ROLES:
            raise KeySpecError(f"unknown role `{role}` in API keys; roles: {', '.join(ROLES)}")
        if not secret.strip():
            raise KeySpecError(f"empty key for role `{role}`")
        stored = secret.strip()
        if stored.startswith("sha256:"):
            keys.append(ApiKey(role, stored.removeprefix("sha256:")))
        else:
            keys.append(ApiKey(role, digest(stored)))
    return keys


def load_keys(keys_file: Path | None) -> list[ApiKey]:
    """Keys from POLICYCHECK_API_KEYS, else from the keys file (if it exists)."""
    spec = os.environ.get(ENV_KEYS, "")
    if spec.strip():
        return parse_keys(spec)
    if keys_file is not None and keys_file.is_file():
        return parse_keys(keys_file.read_text(encoding="utf-8"))
    return []


def generate_keys(keys_file: Path) -> dict[str, str]:
    """One new key per role; their hashes are written to `keys_file` (mode 0600)."""
    keys = {role: f"pc_{role}_{secrets.token_urlsafe(24)}" for role in ROLES}
    lines = ["# policycheck API keys: role:sha256:<hash>; the keys themselves are not kept"]
    lines += [f"{role}:sha256:{digest(key)}" for role, key in keys.items()]
    keys_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    keys_file.chmod(0o600)
    return keys


def authenticate(presented: str, keys: list[ApiKey]) -> ApiKey | None:
    """The key matching `presented`, compared in constant time against every stored hash."""
    wanted = digest(presented)
    found = None
    for key in keys:
        if hmac.compare_digest(key.digest, wanted):
            found = key
    return found
