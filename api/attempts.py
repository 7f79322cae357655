"""Failed API keys and review sign-ins, limited per client: after MAX_FAILURES within WINDOW
seconds a client is refused (429 `too_many_attempts`, with Retry-After) until its oldest failure
is WINDOW seconds old, whatever key it then presents, so that guessing gains nothing.

The count is kept by each API process (no database round trip on any request): with N worker
processes a client gets at most N x MAX_FAILURES failures per window, and each worker refuses it
once its own count is reached. Keys have at least 24 characters (service.keys), so the limit
is against noise and for the log, not what keeps a key from being guessed. Every failure is
logged with the client's address, never the key."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from api.errors import ApiError

LOG = logging.getLogger("policycheck.auth")
MAX_FAILURES = 10
WINDOW = 300.0  # seconds
MAX_CLIENTS = 10_000  # clients remembered at once; the oldest are forgotten past it


class FailedAttempts:
    """Recent authentication failures per client address, with their times (`now`, seconds)."""

    def __init__(
        self,
        limit: int = MAX_FAILURES,
        window: float = WINDOW,
        now: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.limit, self.window, self.now, self.max_clients = limit, window, now, max_clients
        self._failures: dict[str, deque[float]] = {}

    def __bool__(self) -> bool:
        """False while no client has failed recently: the common case costs one test."""
        return bool(self._failures)

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may now."""
        times = self._recent(client)
        if times is None or len(times) < self.limit:
            return None
        return max(1, math.ceil(times[-self.limit] + self.window - self.now()))

    def failed(self, client: str, what: str) -> None:
        """Count a failure of `client` (`what` failed: `API key`, `sign-in`) and log it."""
        times = self._recent(client)
        if times is None:
            while len(self._failures) >= self.max_clients:
                del self._failures[next(iter(self._failures))]
            times = self._failures[client] = deque(maxlen=self.limit)
        times.append(self.now())
        LOG.warning(
            "failed %s from %s (%d in the last %d s; refused after %d)",
            what, client, len(times), self.window, self.limit,
        )  # fmt: skip
        wait = self.retry_after(client)
        if wait is not None:  # logged once, not on each refused request (bounded log)
            LOG.warning("refusing %s for %d s: too many failed keys or sign-ins", client, wait)

    def check(self, client: str) -> None:
        """ApiError 429 `too_many_attempts` (Retry-After) when `client` failed too often."""
        wait = self.retry_after(client)
        if wait is not None:
            raise too_many_attempts(wait)

    def _recent(self, client: str) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        horizon = self.now() - self.window
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times


def too_many_attempts(retry_after: int) -> ApiError:
    """The 429 error of a client refused for `retry_after` seconds."""
    return ApiError(
        429,
        "too_many_attempts",
        f"too many failed API keys or sign-ins from this client: try again in {retry_after} s",
        [{"field": "authorization", "message": f"retry after {retry_after} seconds"}],
        headers={"Retry-After": str(retry_after)},
    )


def client_of(scope: Mapping[str, Any]) -> str:
    """The client's address as the server saw it (behind a proxy, what it forwarded)."""
    client = scope.get("client")
    return str(client[0]) if isinstance(client, tuple | list) and client else "unknown"
