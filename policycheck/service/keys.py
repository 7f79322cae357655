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
# A key someone could guess is no key: at least this many characters, not one repeated pattern
# (a generated key has 32 random URL-safe characters after its `pc_<role>_` prefix).
MIN_KEY_LENGTH, MIN_DISTINCT_CHARACTERS = 24, 8


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
            _check_strength(role, stored)
            keys.append(ApiKey(role, digest(stored)))
    return keys


def _check_strength(role: str, key: str) -> None:
    """KeySpecError naming the role (never the key) when the key is short or repetitive."""
    if len(key) < MIN_KEY_LENGTH or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        raise KeySpecError(
            f"the key for role `{role}` is too weak: a key needs at least {MIN_KEY_LENGTH} "
            f"characters, at least {MIN_DISTINCT_CHARACTERS} of them different "
            "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`)"
        )


def load_keys(keys_file: Path | None) -> list[ApiKey]:
    """Keys from POLICYCHECK_API_KEYS, else from the keys file (if it exists)."""
    spec = os.environ.get(ENV_KEYS, "")
    if spec.strip():
        return parse_keys(spec)
    if keys_file is not None and keys_file.is_file():
        return parse_keys(keys_file.read_text(encoding="utf-8"))
    return []


def generate_keys(keys_file: Path) -> dict[str, str]:
    """One new key per role; their hashes are written to `keys_file` (created mode 0600)."""
    keys = {role: f"pc_{role}_{secrets.token_urlsafe(24)}" for role in ROLES}
    lines = ["# policycheck API keys: role:sha256:<hash>; the keys themselves are not kept"]
    lines += [f"{role}:sha256:{digest(key)}" for role, key in keys.items()]
    write_private(keys_file, "\n".join(lines) + "\n")
    return keys


def shown_keys_path(keys_file: Path) -> Path:
    """Where new keys are written for their operator when no terminal shows them."""
    return keys_file.with_name(keys_file.name + ".new")


def write_shown_keys(keys_file: Path, keys: dict[str, str]) -> Path:
    """The new keys themselves, once, in a file only their owner may read (mode 0600)."""
    path = shown_keys_path(keys_file)
    lines = [
        "# policycheck: the API keys created at first start, one per role (role:KEY).",
        f"# Only their hashes are kept (in {keys_file.name}): hand each key to whoever needs it,",
        "# then delete this file.",
    ]
    write_private(path, "\n".join(lines + [f"{role}:{key}" for role, key in keys.items()]) + "\n")
    return path


def write_private(path: Path, text: str) -> None:
    """Write `path` anew, created with mode 0600 (never readable by others, not even briefly)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)


def authenticate(presented: str, keys: list[ApiKey]) -> ApiKey | None:
    """The key matching `presented`, compared in constant time against every stored hash."""
    wanted = digest(presented)
    found = None
    for key in keys:
        if hmac.compare_digest(key.digest, wanted):
            found = key
    return found
