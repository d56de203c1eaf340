"""The FastAPI app. Run with `qizhen serve` or `uvicorn --factory app.api.main:create_app`.

The QA service is built and warmed once per worker process in the lifespan (never per request).
With several workers each process opens the embedded graph read-only, so they can share it.

Request path, outermost first: metrics -> CORS -> API key (401 from the headers alone) -> body
limit (413 before the body is read) -> FastAPI. Answering work runs in bounded pools under a
per-request deadline (app.api.executor); /health answers from background checks (app.api.monitor).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.cache import AnswerCache
from app.api.deps import Runtime
from app.api.errors import install_error_handlers
from app.api.executor import Pools
from app.api.guards import ApiKeyMiddleware, BodyLimitMiddleware, BodyTimeoutMiddleware
from app.api.monitor import ServiceMonitor, freeze_heap, thaw_heap
from app.api.ratelimit import TokenBucketLimiter
from app.api.routes import ask, entities, feedback, health, metrics
from app.api.routes.ask import HISTORY_CHARS_FACTOR
from app.api.telemetry import Metrics
from app.audit import AuditLog
from app.pipeline import QAService, check_settings
from app.settings import Settings, get_settings
from kg.redaction import redact

log = logging.getLogger("qizhen.api")


def build_service(settings: Settings) -> QAService:
    """The service opens the graph read-only (the API never writes), so several workers can share it."""
    return QAService(settings)


class MetricsMiddleware:
    """Counts every request by its route template (not the raw path) and times it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe_request(template, scope["method"], status, time.perf_counter() - started)


def create_app(settings: Settings | None = None, service: QAService | None = None,
               generators: Sequence[str] | None = None) -> FastAPI:
    """Build the app (called per worker by the factory form); the service is built at startup when not given.

    `generators`: which generators clients may request per question (default: only the configured one,
    so a request can never make the server load a model it was not set up for).
    """
    resolved = settings or get_settings()
    check_settings(resolved)  # a configuration error stops the start, before any worker serves
    enabled = list(dict.fromkeys(generators or [resolved.generator]))
    app_metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = resolved
        svc = service or build_service(s)
        monitor = ServiceMonitor(svc, interval_s=s.health_check_s, reload=s.reload_graph,
                                 grace_s=s.request_timeout_s + 5)
        files = monitor.files()
        try:
            await run_in_threadpool(svc.warm_up)
        except Exception as exc:  # noqa: BLE001 - start anyway: /health degraded, /ask 503, retried in the background
            log.warning("starting degraded: %s", redact(str(exc)))
        monitor.loaded(files)
        await run_in_threadpool(monitor.check)
        freeze_heap()  # before the first request: no full collection ever walks the warm service
        monitor.start()
        pools = Pools(s.worker_threads, s.queue_limit, s.generator_threads)
        audit = AuditLog.from_settings(s)
        app.state.runtime = Runtime(settings=s, service=svc, audit=audit, metrics=app_metrics,
                                    generators=enabled, pools=pools, monitor=monitor,
                                    answers=AnswerCache(s.answer_cache_size),
                                    feedback_limiter=TokenBucketLimiter(s.feedback_rate_per_min / 60, s.feedback_burst))
        try:
            yield
        finally:
            app.state.runtime = None
            thaw_heap()  # an app built in a longer-lived process (tests, an embedding app) leaves nothing pinned
            monitor.stop()
            pools.shutdown()
            audit.close()
            svc.close()

    app = FastAPI(
        title="QiZhen grounded medical QA",
        version="0.1.0",
        description="Answers Chinese medical questions from a knowledge graph and cites every fact.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for router in (ask.router, entities.router, feedback.router, health.router, metrics.router):
        app.include_router(router)
    # added innermost first
    app.add_middleware(BodyLimitMiddleware, max_bytes=resolved.max_body_bytes)
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=resolved.body_timeout_s)
    key = resolved.api_key.get_secret_value() if resolved.api_key is not None else ""
    if key:
        app.add_middleware(ApiKeyMiddleware, key=key, public=public_paths(resolved))
    if resolved.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=resolved.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization", "X-API-Key"])
    app.add_middleware(MetricsMiddleware, metrics=app_metrics)
    _declare_deployment_limits(app, enabled, resolved)
    return app


DOC_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})


def public_paths(settings: Settings) -> frozenset[str]:
    """Paths served without the key when one is set: /health (probes), and the docs and metrics only
    when QIZHEN_PUBLIC_DOCS / QIZHEN_PUBLIC_METRICS say so (they describe the deployment)."""
    public = {"/health"}
    if settings.public_docs:
        public |= DOC_PATHS
    if settings.public_metrics:
        public.add("/metrics")
    return frozenset(public)


def _declare_deployment_limits(app: FastAPI, enabled: list[str], settings: Settings) -> None:
    """The OpenAPI schema states this deployment's limits: the generators that may be requested and
    the question / history lengths (longer ones are answered with 413)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        models = schema["components"]["schemas"]
        models["AskRequest"]["properties"]["generator"]["anyOf"] = [{"type": "string", "enum": enabled},
                                                                   {"type": "null"}]
        models["AskRequest"]["properties"]["question"]["maxLength"] = settings.max_question_chars
        models["Turn"]["properties"]["content"]["maxLength"] = settings.max_question_chars * HISTORY_CHARS_FACTOR
        models["AskRequest"]["properties"]["history"]["maxItems"] = min(
            settings.max_history_turns, models["AskRequest"]["properties"]["history"].get("maxItems", 10**6))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
