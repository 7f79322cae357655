"""Prometheus metrics: requests and latency by route, decisions by outcome and clause,
exceptions by clause and status, live workers.

With several workers (`policycheck serve --workers N`), every worker writes its values to files of
its own in the directory named by PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode,
chosen when prometheus_client is imported), and a scrape, whichever worker answers it, reads the
files of every worker. A dead worker's counts stay (a counter never goes back); its live gauges
are removed (`forget_dead_workers`)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's variable


def multiprocess_dir() -> Path | None:
    """The directory of the workers' metric files, None in a process serving alone."""
    directory = os.environ.get(MULTIPROCESS_ENV)
    if not directory:
        return None
    if not getattr(prometheus_values.ValueClass, "_multiprocess", False):
        # the mode is chosen when prometheus_client is imported: counts would stay per worker
        raise RuntimeError(f"{MULTIPROCESS_ENV} was set after prometheus_client was imported")
    return Path(directory)


def forget_dead_workers(directory: Path) -> None:
    """Remove the live gauges of workers no longer running (`mark_process_dead`); their
    counters and histograms stay, so totals never go back."""
    pids = {path.stem.rpartition("_")[2] for path in directory.glob("*_*.db")}
    for pid in (int(text) for text in pids if text.isdigit()):
        if pid != os.getpid() and not _running(pid):
            with contextlib.suppress(FileNotFoundError):  # another worker removed them first
                mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process now has the pid
        return True
    return True


class Metrics:
    """The metrics of one API process (of every worker on a scrape, in multiprocess mode)."""

    def __init__(self) -> None:
        self.directory = multiprocess_dir()
        if self.directory is not None:
            forget_dead_workers(self.directory)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "policycheck_http_requests",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "policycheck_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.decisions = Counter(
            "policycheck_decisions",
            "Decisions made",
            ["policy", "outcome", "clause"],
            registry=self.registry,
        )

        self.exceptions = Counter(
            "policycheck_exceptions",
            "Exceptions granted, requested, approved or rejected",
            ["policy", "clause", "status"],
            registry=self.registry,
        )
        self.workers = Gauge(
            "policycheck_workers",
            "API worker processes running",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.workers.set(1)

        # the labelled children, looked up once per label values (prometheus_client checks and
        # locks on every `labels` call); as many as prometheus_client itself keeps
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._decision_children: dict[tuple[str, str, str], Any] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count a request and time it, under its route template."""
        children = self._request_children.get((route, method, status))
        if children is None:
            children = self._request_children[(route, method, status)] = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def count_decision(self, policy: str, outcome: str, clause: str) -> None:
        """Count a decision by policy, outcome and clause (`""` when no clause decided)."""
        child = self._decision_children.get((policy, outcome, clause))
        if child is None:
            child = self._decision_children[(policy, outcome, clause)] = self.decisions.labels(
                policy, outcome, clause
            )
        child.inc()

    def text(self) -> bytes:
        """The Prometheus text exposition (of every worker in multiprocess mode)."""
        if self.directory is None:
            return bytes(generate_latest(self.registry))
        forget_dead_workers(self.directory)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(self.directory))  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))


class MetricsMiddleware:
    """Count and time every request under its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            seconds = time.perf_counter() - start
            self.metrics.observe_request(name, scope.get("method", ""), status, seconds)
