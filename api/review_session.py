"""The review page's session: a signed cookie, so a quality team signs in once with its key.

The token is `key_id.expiry.mac`: the key's short id, the Unix time it expires (8 hours after
sign-in) and an HMAC-SHA256 of the first two parts keyed with the key's stored hash and the
deployment's session secret (random, made once and kept in the store: whoever reads the keys file
alone cannot forge a session). Nothing else is kept, so every API process (and every server on one
PostgreSQL) accepts the same cookie; removing a key ends its sessions, and its role is checked on
every request.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

from policycheck.keys import ApiKey

COOKIE = "policycheck_review"
COOKIE_PATH = "/review"
LIFETIME_SECONDS = 8 * 3600
REVIEW_ROLES = frozenset({"quality", "admin"})


def issue(key: ApiKey, secret: bytes, now: float | None = None) -> str:
    """A session token for `key`, valid for LIFETIME_SECONDS from `now`."""
    expiry = int(time.time() if now is None else now) + LIFETIME_SECONDS
    payload = f"{key.key_id}.{expiry}"
    return f"{payload}.{_mac(key, secret, payload)}"


def verify(
    token: str | None, keys: Iterable[ApiKey], secret: bytes, now: float | None = None
) -> ApiKey | None:
    """The reviewing key that signed `token`, or None (malformed, expired, forged, unknown key,
    or a key whose role may no longer review)."""
    if not token or len(token) > 200:
        return None
    key_id, _, rest = token.partition(".")
    expiry_text, _, mac = rest.partition(".")
    if not (key_id and expiry_text.isdigit() and mac):
        return None
    if int(expiry_text) <= (time.time() if now is None else now):
        return None
    payload = f"{key_id}.{expiry_text}"
    found = None
    for key in keys:  # every key with that id is tried (ids are short), each in constant time
        if hmac.compare_digest(key.key_id, key_id) and hmac.compare_digest(
            _mac(key, secret, payload), mac
        ):
            found = key
    if found is None or found.role not in REVIEW_ROLES:
        return None
    return found


def _mac(key: ApiKey, secret: bytes, payload: str) -> str:
    signing_key = secret + key.digest.encode("ascii")
    return hmac.new(signing_key, payload.encode("utf-8"), hashlib.sha256).hexdigest()
