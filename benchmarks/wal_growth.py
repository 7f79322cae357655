"""SQLite's WAL under constant writes: how large it grows before it starts again.

One writer logs batches of 10 decisions without pausing for `--seconds`, on a fresh SQLite file,
with the store's checkpoint thread; the WAL file's size is read at each third of the run (a WAL
that starts again stays at its largest size so far). Each round runs twice, interleaved: the
store as it is (the thread copies the bulk, the next writer finishes the checkpoint under the
write lock, `Checkpointer.complete`, and the write after starts the WAL again), and without the
writer's part (the thread's checkpoint never reaches the end of the WAL beside a writer: the WAL
grows until SQLite's own checkpoint, SQLITE_AUTOCHECKPOINT_PAGES, runs in some writer's commit).
How often the thread runs depends on the CPU it gets: this is a measurement, not a test
(tests/store/test_write_lock.py drives the checkpointer in a set order instead).

    .venv/bin/python benchmarks/wal_growth.py [--seconds 6] [--rounds 3] [--checkpoint-seconds S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.store.test_store.make_record, beside the package

from common import interleaved  # noqa: E402  (beside this file)

from policycheck.store import Store, default_url  # noqa: E402
from policycheck.store import sqlite as sqlite_module  # noqa: E402
from tests.store.test_store import make_record  # noqa: E402


def one_run(folder: Path, seconds: float, writer_finishes: bool) -> tuple[int, list[int], int]:
    """(decisions written, WAL bytes at each third, database bytes) after `seconds` of
    constant writes."""
    complete = sqlite_module.Checkpointer.complete
    if not writer_finishes:
        sqlite_module.Checkpointer.complete = lambda self, connection: None  # type: ignore[method-assign]
    store = Store(default_url(folder / "log.db"))
    try:
        store.migrate()
        written, wal = 0, []
        began = time.monotonic()
        for third in (1, 2, 3):
            while time.monotonic() < began + seconds * third / 3:
                store.log_decisions([make_record() for _ in range(10)])
                written += 10
            wal.append((folder / "log.db-wal").stat().st_size)
        db = (folder / "log.db").stat().st_size
    finally:
        store.close()
        sqlite_module.Checkpointer.complete = complete  # type: ignore[method-assign]
    return written, wal, db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--checkpoint-seconds", type=float, default=sqlite_module.CHECKPOINT_SECONDS,
        help=f"the thread's delay after a write (default {sqlite_module.CHECKPOINT_SECONDS})",
    )  # fmt: skip
    args = parser.parse_args()
    sqlite_module.CHECKPOINT_SECONDS = args.checkpoint_seconds
    who = {"thread + writer": True, "thread alone": False}

    def one(name: str, index: int) -> None:
        with tempfile.TemporaryDirectory(prefix="pc-wal-growth-") as tmp:
            written, wal, db = one_run(Path(tmp), args.seconds, who[name])
        sizes = ", ".join(f"{size / 1e6:.0f}" for size in wal)
        print(f"round {index + 1} {name:<15}: {written:,} decisions, WAL {sizes} MB at each "
              f"third, database {db / 1e6:.0f} MB at the end")  # fmt: skip

    interleaved(list(who), args.rounds, one)


if __name__ == "__main__":
    main()
