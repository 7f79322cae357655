"""What an amendment changes in the decision log: the facts of every logged decision of the old
version's policy, replayed against both versions, streamed batch by batch (by `seq`) over the
machine's cores, and tallied (tally.py).

A decision is replayed as of its own time: its facts are evaluated as they were logged (the
request's date is one of them; today's date enters nowhere), by the laws beneath the terms in
force on that date. It is replayed only if the old version was the one in force on its date (the
date that chooses the version: `request.date` unless the policy says `in force on`); the new
version is evaluated whatever its `effective` period says, as if it had been in force then (the
tally counts the days outside it). A decision whose facts were masked in the log (personal facts:
`***`) is not replayable, and never guessed.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from policycheck.calendar import CalendarError
from policycheck.evaluation.clock import gives_time
from policycheck.evaluation.decision import Decision
from policycheck.evaluation.evaluate import laws_shared
from policycheck.evaluation.facts import FactsError, PolicyError
from policycheck.evaluation.personal import MASK
from policycheck.evaluation.versions import chosen_day
from policycheck.language.check_versions import Period
from policycheck.language.source import Source
from policycheck.policy import Policy, load_source
from policycheck.review.exceptions import Status
from policycheck.store import reading
from policycheck.store.database import Store
from policycheck.toolkit.answers import Answer, changed_fields, declared_only
from policycheck.toolkit.footprint import decided_alike, rewritten
from policycheck.toolkit.tally import Replayed, Tally

BATCH = 10_000  # places in the log (`seq`) per batch: what a worker reads, replays and tallies
CACHE = 50_000  # distinct fact sets a worker remembers (then it starts again: constant memory)
_MASKED = f'"{MASK}"'
# called with the decisions replayed so far, and the share of the window's places in the log read
Progress = Callable[[int, float], None]


@dataclass(frozen=True)
class Replay:
    """What every worker needs: where the log is, which decisions, the two rule files."""

    url: str
    window: reading.Window
    old: Source
    new: Source
    ids: int = 5  # decision ids kept per group of the tally
    changes: bool = False  # keep every changed decision (the tally's `changes`)


def replay(
    spec: Replay,
    found: reading.Extent,
    workers: int = 1,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> Iterator[Tally]:
    """The tally of each batch of the window, in `seq` order, replayed by `workers` processes
    (each loads the two rule files once); one worker replays in this process."""
    cut = reading.batches(found, batch)
    workers = max(1, min(workers, len(cut)))
    done, places = 0, found.last_seq - found.first_seq + 1
    with _mapper(spec, workers) as run:
        for part, tally in zip(cut, run(_replay_batch, cut), strict=True):
            done += tally.read
            if progress is not None:
                progress(done, (part.last - found.first_seq + 1) / places)
            yield tally


@contextmanager
def _mapper(spec: Replay, workers: int) -> Iterator[Callable[..., Iterator[Any]]]:
    """How batches are replayed: in this process (one worker), or by a pool of `workers`
    processes, each started with the two rule files loaded."""
    if workers == 1:
        _start(spec)
        try:
            yield map
        finally:
            _stop()
        return
    with _context().Pool(workers, initializer=_start, initargs=(spec,)) as pool:
        yield pool.imap


def cores() -> int:
    """The cores this process may run on (the default number of workers)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _context() -> Any:
    """Fork (the rule files are loaded already, and nothing else runs) when this process has one
    thread and the platform forks; otherwise spawn: each worker starts afresh."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    return multiprocessing.get_context(
        "fork" if forks and threading.active_count() == 1 else "spawn"
    )


# -- replaying facts -------------------------------------------------------------------------


class Replayer:
    """Facts (as logged: JSON text) replayed against two versions, once per distinct text (the
    last CACHE texts are remembered: a request checked again is replayed once)."""

    def __init__(self, old: Policy, new: Policy, cache: int = CACHE) -> None:
        self.old, self.new, self.cache = old, new, cache
        self.old_period = Period.of(old.compiled.header)
        self.new_period = Period.of(new.compiled.header)
        same = old.compiled.schema.declared.keys() == new.compiled.schema.declared.keys()
        self.trim = not same  # a fact one version does not declare is left out for it
        self.rewritten = rewritten(old, new)  # footprint.py: the one shortcut, None: none
        self.seen: dict[str, Replayed] = {}
        self.kinds: dict[Replayed, Replayed] = {}  # one object per distinct outcome of a replay

    def replayed(self, facts_text: str) -> Replayed:
        """What replaying these facts gives (see the module's docstring)."""
        found = self.seen.get(facts_text)
        if found is None:
            if len(self.seen) >= self.cache:
                self.seen.clear()
            found = self._replay(facts_text)
            found = self.kinds.setdefault(found, found)
            self.seen[facts_text] = found
        return found

    def _replay(self, facts_text: str) -> Replayed:
        facts = orjson.loads(facts_text)
        if _MASKED in facts_text and _masked(facts):
            return Replayed("masked")
        new_answer: Answer | None
        with laws_shared():  # the law beneath both versions answers the request once
            old_answer, old_day, decision = self._answer(self.old, facts)
            if old_answer is None:
                return Replayed("invalid_old")
            if old_day is not None and not self.old_period.holds(old_day):
                return Replayed("other_version")
            if self._alike(facts, decision):  # footprint.py: decided alike, evaluated once
                new_answer, new_day = old_answer, chosen_day(self.new.compiled, facts)
            else:
                new_answer, new_day, _ = self._answer(self.new, facts)
        if new_answer is None:
            return Replayed("invalid_new")
        outside = new_day is not None and not self.new_period.holds(new_day)
        fields = changed_fields(old_answer, new_answer)
        return Replayed("changed" if fields else "same", old_answer, new_answer, fields, outside)

    def _answer(
        self, policy: Policy, facts: dict[str, Any]
    ) -> tuple[Answer | None, date | None, Decision | None]:
        """The version's answer, the day that chooses its version, its decision; Nones when the
        facts are invalid for it."""
        if self.trim:
            facts = declared_only(facts, policy.compiled.schema)
        try:
            day = chosen_day(policy.compiled, facts)
            decision = policy.evaluate(facts)
        except (FactsError, PolicyError, CalendarError):
            return None, None, None
        return Answer.of(decision), day, decision

    def _alike(self, facts: dict[str, Any], decision: Decision | None) -> bool:
        """Whether the new version must answer as the old one did (footprint.py); never when a
        date-time of the request could be read on several clocks (each reading has its trace)."""
        compiled = self.old.compiled
        if self.rewritten is None or decision is None or self.trim:
            return False
        if compiled.clock is not None and gives_time(compiled.schema, facts):
            return False
        return decided_alike(decision, self.rewritten)


def _masked(facts: Any) -> bool:
    """True when a value of the nested facts is the log's mask of a personal fact."""
    if isinstance(facts, dict):
        return any(_masked(value) for value in facts.values())
    return bool(facts == MASK)


# -- a worker: the log, and the two versions loaded once -------------------------------------


@dataclass
class _Worker:
    spec: Replay
    store: Store
    replayer: Replayer
    gc_threshold: tuple[int, int, int]


_worker: _Worker | None = None


_GC_THRESHOLD = 20_000  # allocations between young collections: an evaluation makes many


def _start(spec: Replay) -> None:
    global _worker
    replayer = Replayer(load_source(spec.old), load_source(spec.new))
    _worker = _Worker(spec, Store(spec.url), replayer, gc.get_threshold())
    # what is loaded lives as long as the worker: out of the collector's way (evaluations make
    # no cycles, only short-lived objects: fewer collections of them)
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, *_worker.gc_threshold[1:])


def _stop() -> None:
    global _worker
    if _worker is not None:
        _worker.store.close()
        gc.set_threshold(*_worker.gc_threshold)
        gc.unfreeze()
    _worker = None


def _replay_batch(batch: reading.Batch) -> Tally:
    """The tally of one batch (in a worker: `_start` ran before)."""
    worker = _worker
    assert worker is not None, "a worker replays after _start"
    spec, replayed = worker.spec, worker.replayer.replayed
    made = reading.exceptions(worker.store, spec.window, batch)
    tally = Tally(spec.ids, spec.changes)
    for row in reading.rows(worker.store, spec.window, batch):
        result = replayed(row.facts)
        tally.add(row, result)
        if made and result.new is not None and row.id in made:
            in_force = [e for e, status in made[row.id] if Status(status).in_force]
            tally.add_exceptions(row, result, in_force)
    return tally
