"""GET /health — graph, index and generator status and the KG snapshot (never requires the key)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from app.api.deps import ServiceDep, SettingsDep
from app.api.errors import error_responses
from app.pipeline import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=error_responses(500),
            summary="ok when graph, index and generator are ready; degraded otherwise (always HTTP 200)")
async def health(service: ServiceDep, settings: SettingsDep) -> Health:
    # the service pings the store with its own timeout; this bound only guards against a hung driver
    with anyio.move_on_after(settings.store_timeout_s + 0.5) as scope:
        return await run_in_threadpool(service.health)
    assert scope.cancelled_caught
    return Health(status="degraded", graph=f"no answer within {settings.store_timeout_s:g} s", index="unknown",
                  generator="unknown", snapshot="")
