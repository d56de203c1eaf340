"""The FastAPI app. Run with `qizhen serve` or `uvicorn --factory app.api.main:create_app`.

The QA service is built and warmed once per worker process in the lifespan (never per request).
With several workers each process opens the embedded graph read-only, so they can share it.
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

from app.api.deps import Runtime
from app.api.errors import install_error_handlers
from app.api.routes import ask, entities, feedback, health, metrics
from app.api.routes.ask import HISTORY_CHARS_FACTOR
from app.api.telemetry import Metrics
from app.audit import AuditLog
from app.pipeline import QAService
from app.settings import Settings, get_settings
from kg.stores.base import StoreUnavailable
from models.generators.base import GeneratorError

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
    enabled = list(dict.fromkeys(generators or [resolved.generator]))
    app_metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = resolved
        svc = service or build_service(s)
        try:
            await run_in_threadpool(svc.warm_up)
        except (StoreUnavailable, GeneratorError) as exc:  # start anyway: /health degraded, /ask 503
            log.warning("starting degraded: %s", exc)
        audit = AuditLog(s.audit_path)
        app.state.runtime = Runtime(settings=s, service=svc, audit=audit, metrics=app_metrics,
                                    generators=enabled)
        try:
            yield
        finally:
            app.state.runtime = None
            audit.close()
            close = getattr(svc, "close", None)
            if callable(close):
                close()

    app = FastAPI(
        title="QiZhen grounded medical QA",
        version="0.1.0",
        description="Answers Chinese medical questions from a knowledge graph and cites every fact.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for router in (ask.router, entities.router, feedback.router, health.router, metrics.router):
        app.include_router(router)
    if resolved.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=resolved.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization", "X-API-Key"])
    app.add_middleware(MetricsMiddleware, metrics=app_metrics)
    _declare_deployment_limits(app, enabled, resolved)
    return app


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
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
