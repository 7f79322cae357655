"""Time-ordered ids: UUID version 7 (RFC 9562) as 32 lowercase hex digits.

A version 7 UUID starts with the Unix time in milliseconds, then 74 random bits: ids made one
after another sort (nearly) in the order they were made, so each new decision's primary key
lands at the end of the log's index instead of at a random place in it. A transaction of a
busy moment then writes one or two index pages, not one per decision (measured: the SQLite
write-ahead log grew by about 40% less, and so did the work of checkpointing it). Two ids of
the same millisecond differ in their random bits; the time an id carries is also in its record.

The random bits are drawn from os.urandom 256 ids at a time: os.urandom lets go of the GIL for
its system call, and taking the GIL back under load costs far more than the bytes.
"""

from __future__ import annotations

import itertools
import os
import threading
import time

BATCH = 256
# Everything but the 48 bits of time: version 7 in bits 76-79, variant 0b10 in bits 62-63.
_RANDOM_BITS = ~(((1 << 48) - 1) << 80) & ~(0xF << 76) & ~(0b11 << 62) & ((1 << 128) - 1)
_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)


class _RandomParts:
    """The random parts of ids, with version and variant set, drawn in batches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: list[int] = []

    def forget(self) -> None:
        """Drop the parts drawn (in a forked child: it draws its own)."""
        self._lock = threading.Lock()
        self._parts = []

    def next(self) -> int:
        with self._lock:
            if not self._parts:
                raw = os.urandom(16 * BATCH)
                self._parts = [
                    int.from_bytes(raw[start : start + 16]) & _RANDOM_BITS | _VERSION_AND_VARIANT
                    for start in range(0, len(raw), 16)
                ]
            return self._parts.pop()


_PARTS = _RandomParts()


def new_id() -> str:
    """A new UUID version 7 as 32 lowercase hex digits (like `uuid.UUID(...).hex`)."""
    return f"{_PARTS.next() | (time.time_ns() // 1_000_000) << 80:032x}"


class _RequestIds:
    """Request ids: a random prefix drawn once per process, then a counter (a request id need
    not be unpredictable, only unique across the processes of a deployment)."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Draw a new prefix and count from 0 (in a forked child: a prefix of its own)."""
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


_REQUEST_IDS = _RequestIds()
# A forked child (uvicorn's workers) must not repeat its parent's ids: it forgets what it
# inherited. Checked once at the fork, not with a getpid() system call on every id.
os.register_at_fork(after_in_child=_PARTS.forget)
os.register_at_fork(after_in_child=_REQUEST_IDS.forget)


def new_request_id() -> str:
    """A new request id, 32 lowercase hex digits, unique across processes."""
    return _REQUEST_IDS.next()
