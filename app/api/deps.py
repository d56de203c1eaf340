"""Dependencies injected into the routes: settings, the warmed QA service, pools, audit log, metrics, auth.

Everything lives on `app.state.runtime`, built once per worker process by the lifespan. The
dependencies are `async def` although they do no I/O: FastAPI runs plain `def` dependencies in its
thread pool, one hop each per request, which dominated the latency of a fast answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from app.api.cache import AnswerCache
from app.api.errors import ApiError
from app.api.executor import Pools
from app.api.guards import key_matches
from app.api.monitor import ServiceMonitor
from app.api.ratelimit import TokenBucketLimiter
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
    pools: Pools
    monitor: ServiceMonitor
    answers: AnswerCache
    feedback_limiter: TokenBucketLimiter

    def require_graph(self) -> None:
        """503 at once while the graph is down or still loading (no request waits on a connect)."""
        if not self.monitor.graph_ready:
            code = "graph_unavailable" if self.monitor.state.graph == "unavailable" else "graph_starting"
            raise ApiError(503, code, {"Retry-After": "2"})


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:  # the lifespan has not run (or failed)
        raise ApiError(503, "starting", {"Retry-After": "2"})
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
    """401 unless the key matches `QIZHEN_API_KEY` (when set). `ApiKeyMiddleware` already refused such
    requests before their body was read; this declares the header in the OpenAPI schema and guards
    the route should the middleware ever be left out."""
    if settings.api_key is None or not settings.api_key.get_secret_value():
        return
    offered = x_api_key
    if offered is None and authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            offered = token.strip()
    if not key_matches(offered, settings.api_key.get_secret_value()):
        raise ApiError(401, "unauthorized", {"WWW-Authenticate": "Bearer"})
