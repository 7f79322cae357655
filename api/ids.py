"""Random ids (uuid4 hex strings) drawn from os.urandom 256 at a time.

os.urandom lets go of the GIL for its system call; taking the GIL back from the decision log's
writer thread then costs far more than the random bytes (about 55 µs a call under load, once
or twice per request). The ids are as random as uuid.uuid4()'s.
"""

from __future__ import annotations

import os
import threading
import uuid

BATCH = 256


class _Ids:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._pid = os.getpid()

    def next(self) -> str:
        with self._lock:
            if not self._ids or self._pid != os.getpid():  # a forked child draws its own
                self._pid = os.getpid()
                raw = os.urandom(16 * BATCH)
                self._ids = [
                    uuid.UUID(bytes=raw[start : start + 16], version=4).hex
                    for start in range(0, len(raw), 16)
                ]
            return self._ids.pop()


_IDS = _Ids()


def new_id() -> str:
    """A new uuid4 as 32 lowercase hex digits, like `uuid.uuid4().hex`."""
    return _IDS.next()
