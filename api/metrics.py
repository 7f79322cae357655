"""Prometheus metrics: requests and latency by route, decisions by outcome and clause,
exceptions by clause and status."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """The metrics of one API process."""

    def __init__(self) -> None:
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
        """The Prometheus text exposition."""
        return bytes(generate_latest(self.registry))


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
