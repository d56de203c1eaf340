"""Dependencies injected into the routes: settings, the warmed QA service, audit log, metrics, auth.

Everything lives on `app.state.runtime`, built once per worker process by the lifespan. The
dependencies are `async def` although they do no I/O: FastAPI runs plain `def` dependencies in its
thread pool, one hop each per request, which dominated the latency of a fast answer.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from app.api.errors import ApiError
from app.api.telemetry import Metrics
from app.audit import AuditLog
from app.pipeline import QAService
from app.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    service: QAService
    audit: AuditLog
    metrics: Metrics
    generators: list[str]


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:  # the lifespan has not run (or failed)
        raise ApiError(503, "starting", "the service is starting; retry shortly", {"Retry-After": "2"})
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_service(runtime: RuntimeDep) -> QAService:
    return runtime.service


async def get_audit(runtime: RuntimeDep) -> AuditLog:
    return runtime.audit


async def get_metrics(runtime: RuntimeDep) -> Metrics:
    return runtime.metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[QAService, Depends(get_service)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


async def require_api_key(
    settings: SettingsDep,
    x_api_key: Annotated[str | None, Header(description="the API key (or send Authorization: Bearer …)")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """401 unless the key matches `QIZHEN_API_KEY` (when set); constant-time comparison."""
    if settings.api_key is None or not settings.api_key.get_secret_value():
        return
    expected = settings.api_key.get_secret_value().encode("utf-8")
    offered = x_api_key
    if offered is None and authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            offered = token.strip()
    if offered is None or not hmac.compare_digest(offered.encode("utf-8"), expected):
        raise ApiError(401, "unauthorized", "a valid API key is required (X-API-Key or Authorization: Bearer)",
                       {"WWW-Authenticate": "Bearer"})
