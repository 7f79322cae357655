"""The review page's session: a signed cookie, so a quality team signs in once with its key.

The token is `key_id.expiry.session.mac`: the key's short id, the Unix time it expires (8 hours
after sign-in), a random session id and an HMAC-SHA256 of the first three parts keyed with the
key's stored hash and the deployment's session secret (random, made once and kept in the store:
whoever reads the keys file alone cannot forge a session). Every API process (and every server on
one PostgreSQL) accepts the same cookie; removing a key ends its sessions, and its role is checked
on every request. Signing out revokes the session in the store (`revoke`), so that a copy of the
cookie is refused by every process until it would have expired.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable

from policycheck.service.keys import ApiKey
from policycheck.store import Store

COOKIE = "policycheck_review"
COOKIE_PATH = "/review"
LIFETIME_SECONDS = 8 * 3600
REVIEW_ROLES = frozenset({"quality", "admin"})
REVOKED = "review_session_revoked:"  # + session id, in the store's meta; the value: its expiry


def issue(key: ApiKey, secret: bytes, now: float | None = None) -> str:
    """A session token for `key`, valid for LIFETIME_SECONDS from `now`."""
    expiry = int(time.time() if now is None else now) + LIFETIME_SECONDS
    payload = f"{key.key_id}.{expiry}.{secrets.token_hex(16)}"
    return f"{payload}.{_mac(key, secret, payload)}"


def verify(
    token: str | None, keys: Iterable[ApiKey], secret: bytes, now: float | None = None
) -> ApiKey | None:
    """The reviewing key that signed `token`, or None (malformed, expired, forged, unknown key,
    or a key whose role may no longer review). Revocation is checked apart (`is_revoked`)."""
    parts = _parts(token)
    if parts is None:
        return None
    key_id, expiry, session, mac = parts
    if int(expiry) <= (time.time() if now is None else now):
        return None
    payload = f"{key_id}.{expiry}.{session}"
    found = None
    for key in keys:  # every key with that id is tried (ids are short), each in constant time
        if hmac.compare_digest(key.key_id, key_id) and hmac.compare_digest(
            _mac(key, secret, payload), mac
        ):
            found = key
    if found is None or found.role not in REVIEW_ROLES:
        return None
    return found


def revoke(store: Store, token: str) -> None:
    """End the session of `token` (already verified) for every process."""
    parts = _parts(token)
    if parts is not None:
        store.set_meta(REVOKED + parts[2], parts[1])


def is_revoked(store: Store, token: str) -> bool:
    """True when the session of `token` was signed out."""
    parts = _parts(token)
    return parts is None or store.get_meta(REVOKED + parts[2]) is not None


def _parts(token: str | None) -> tuple[str, str, str, str] | None:
    """(key id, expiry, session id, mac) of a well-formed token, else None."""
    if not token or len(token) > 200:
        return None
    parts = token.split(".")
    if len(parts) != 4:
        return None
    key_id, expiry, session, mac = parts
    if not (key_id and expiry.isascii() and expiry.isdigit() and len(session) == 32 and mac):
        return None
    if not all(c in "0123456789abcdef" for c in session):
        return None
    return key_id, expiry, session, mac


def _mac(key: ApiKey, secret: bytes, payload: str) -> str:
    signing_key = secret + key.digest.encode("ascii")
    return hmac.new(signing_key, payload.encode("utf-8"), hashlib.sha256).hexdigest()
