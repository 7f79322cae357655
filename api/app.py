"""The FastAPI application: `create_app(settings)`; `app_from_env()` for uvicorn workers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from api import docs_pages, errors, openapi
from api.deps import AppState
from api.fast_path import install as install_fast_path
from api.metrics import Metrics, MetricsMiddleware
from api.middleware import RequestIdAndLimit
from api.routes import decisions, exceptions, health, policies, review, review_page
from api.schemas import CheckIn, DecisionIn, ExceptionIn, NoteIn
from api.settings import Settings
from policycheck import __version__
from policycheck.review.log import ExceptionLog
from policycheck.service.registry import PolicyRegistry
from policycheck.store import Store
from policycheck.store.group_commit import decision_log

LOG = logging.getLogger("policycheck.api")
# FastAPI's native OpenTelemetry switched off (Settings.opentelemetry turns it on)
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
DESCRIPTION = """Checks customer requests against a merchant's terms of sale.

Send `Authorization: Bearer KEY`. Roles: agent and supervisor decide and grant exceptions to
refusals; supervisors approve or reject pending ones; legal checks and reloads rule files;
quality reads decisions and reviews exceptions; admin does everything."""


def create_app(settings: Settings, *, freeze_gc: bool = False, fast_path: bool = True) -> FastAPI:
    """The API over the rule files and the store named by `settings`. With `freeze_gc` (a
    server process of its own), what is loaded at start is left out of the cyclic garbage
    collector's full passes, which would otherwise pause a worker for tens of milliseconds.
    Without `fast_path`, FastAPI serves POST /v1/decisions as any route (api.fast_path: the
    same answers, more CPU; for the tests and the benchmarks)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_url, seal=settings.seal)
        store.migrate()
        registry = PolicyRegistry(settings.rules_dir, store, settings.refresh_seconds)
        registry.start()
        log = decision_log(store)
        exception_log = ExceptionLog(store)
        secret = store.meta_once("review_session_secret", secrets.token_hex(32))
        app.state.policycheck = AppState(
            settings, store, registry, metrics, log, exception_log, bytes.fromhex(secret)
        )
        # SIGHUP publishes the rule files again (not possible outside the main thread: tests)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, lambda: _publish_on_hup(registry))
        if freeze_gc:
            gc.collect()
            gc.freeze()  # rules, libraries, settings: they live as long as the process
        try:
            yield
        finally:
            log.close()
            store.close()

    metrics = Metrics()
    app = FastAPI(
        title="policycheck",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry=None if settings.opentelemetry else NO_TELEMETRY,
        docs_url=None,  # /docs and /redoc by api.docs_pages: no CDN
        redoc_url=None,
    )
    errors.install(app)
    app.include_router(decisions.router)
    app.include_router(exceptions.decision_router)
    app.include_router(exceptions.router)
    app.include_router(review.router)
    app.include_router(review_page.router)
    app.include_router(policies.router)
    app.include_router(health.router)
    docs_pages.install(app)
    if fast_path:  # innermost: inside the request id, the body limit and the metrics
        install_fast_path(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestIdAndLimit, max_body_bytes=settings.max_body_bytes)
    openapi.install(app, DecisionIn, ExceptionIn, NoteIn, CheckIn)
    return app


def _publish_on_hup(registry: PolicyRegistry) -> None:
    publication = registry.publish()
    if publication.generation is None:
        LOG.error(
            "SIGHUP: rule files have errors or failing examples, the previous version keeps serving"
        )
    else:
        LOG.info("SIGHUP: published %s", publication.generation)


def app_from_env() -> FastAPI:
    """The app configured from the environment (what `policycheck serve` sets for workers)."""
    return create_app(Settings.from_env(), freeze_gc=True)
