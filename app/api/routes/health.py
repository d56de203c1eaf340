"""GET /health — graph, index and generator status and the KG snapshot (never requires the key).

Answered from the background checks of `ServiceMonitor` (with their age in `checked_s_ago`): it
never waits on the graph, the generator or a thread, so no request can delay it."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import RuntimeDep
from app.api.errors import error_responses
from app.pipeline import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=error_responses(500),
            summary="ok when graph and generator are ready; degraded otherwise (always HTTP 200)")
async def health(runtime: RuntimeDep) -> Health:
    return runtime.monitor.health()
