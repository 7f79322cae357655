"""Seals: an HMAC-SHA256 of each log entry's hash, with a key kept outside the database.

A hash chain proves that entries were not edited, deleted or moved, but anyone who can write the
database can append entries with correct plain SHA-256 hashes. A seal needs the key, which lives
in a 0600 file beside the API keys (`policycheck.seal`, created by the first `serve`) or in
POLICYCHECK_SEAL_KEYS: database access alone cannot seal a forged entry.

Rotation: the file holds one `KEY_ID:HEX` line per key, the last one seals new entries and every
one verifies; each seal names its key (`KEY_ID:HMAC`). `policycheck audit new-seal-key` appends
a new key; old keys stay for verification.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ENV_SEAL_KEYS = "POLICYCHECK_SEAL_KEYS"
ENV_SEAL_FILE = "POLICYCHECK_SEAL_FILE"  # set by `serve` for its workers
DEFAULT_SEAL_FILE = "policycheck.seal"
HEADER = "# policycheck seal keys (KEY_ID:HEX), one a line: the last one seals new log entries"


class SealKeyError(ValueError):
    """A seal key file or variable that cannot be read (malformed line, no key)."""


@dataclass(frozen=True)
class SealKeys:
    """The seal keys by id; `current` seals, all of them verify."""

    keys: dict[str, bytes]
    current: str

    def seal(self, log: str, entry_hash: str) -> str:
        """`KEY_ID:HEX` of the HMAC of an entry's hash in `log` ("decisions", "exceptions")."""
        return f"{self.current}:{_mac(self.keys[self.current], log, entry_hash)}"

    def problem(self, log: str, entry_hash: str, seal: str | None) -> str | None:
        """Why `seal` is not a valid seal of the entry, or None when it is."""
        if not seal:
            return "not sealed (appended without the seal key?)"
        key_id, _, mac = str(seal).partition(":")
        key = self.keys.get(key_id)
        if key is None:
            return f"sealed with an unknown key `{key_id}` (forged, or a key missing here?)"
        if not hmac.compare_digest(mac, _mac(key, log, entry_hash)):
            return "seal does not match (forged, or edited and hashed again?)"
        return None


def _mac(key: bytes, log: str, entry_hash: str) -> str:
    return hmac.digest(key, f"{log}\n{entry_hash}".encode(), "sha256").hex()


def key_id(key: bytes) -> str:
    """A key's short public name: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def parse_seal_keys(text: str) -> SealKeys:
    """Keys from `KEY_ID:HEX` lines (or comma-separated); the last one is current."""
    keys: dict[str, bytes] = {}
    current = ""
    lines = (line.strip() for line in text.splitlines())
    items = [item.strip() for line in lines if not line.startswith("#") for item in line.split(",")]
    for item in filter(None, items):
        name, _, value = item.partition(":")
        try:
            key = bytes.fromhex(value.strip())
        except ValueError:
            raise SealKeyError(f"seal key `{name.strip()}` is not hexadecimal") from None
        if not name.strip() or len(key) < 16:
            raise SealKeyError("a seal key is `KEY_ID:HEX` with at least 16 bytes of key")
        keys[name.strip()] = key
        current = name.strip()
    if not keys:
        raise SealKeyError("no seal key found")
    return SealKeys(keys, current)


def load_seal_keys(seal_file: Path | None) -> SealKeys | None:
    """Keys from POLICYCHECK_SEAL_KEYS, else from the seal file (None if neither exists)."""
    spec = os.environ.get(ENV_SEAL_KEYS, "")
    if spec.strip():
        return parse_seal_keys(spec)
    if seal_file is not None and seal_file.is_file():
        return parse_seal_keys(seal_file.read_text(encoding="utf-8"))
    return None


def seal_file_beside(keys_file: Path) -> Path:
    """Where the seal keys live beside a keys file: `policycheck.keys` -> `policycheck.seal`."""
    return keys_file.with_name(keys_file.stem + ".seal")


def add_seal_key(seal_file: Path) -> str:
    """Append a new random key to `seal_file` (created 0600 if absent); return its id."""
    key = secrets.token_bytes(32)
    fd = os.open(seal_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        if out.tell() == 0:
            out.write(HEADER + "\n")
        out.write(f"{key_id(key)}:{key.hex()}\n")
    seal_file.chmod(0o600)
    return key_id(key)


def ensure_seal_keys(seal_file: Path) -> SealKeys:
    """The seal keys (environment, else file), creating the file with one key if neither
    exists (a new deployment always seals). Processes starting at once agree on one file: it
    appears whole, by a hard link that fails if another process made it first."""
    keys = load_seal_keys(seal_file)
    if keys is not None:
        return keys
    draft = seal_file.with_name(f".{seal_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        add_seal_key(draft)
        with contextlib.suppress(FileExistsError):  # another process made it: use theirs
            os.link(draft, seal_file)
    finally:
        draft.unlink(missing_ok=True)
    made = load_seal_keys(seal_file)
    assert made is not None
    return made
