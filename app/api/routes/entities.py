"""GET /entities/{id} and GET /entities?name=… — the entity card a clinician opens.

Graph reads run in the app's cpu pool under the request deadline (never on the event loop, never
in anyio's shared pool that a slow generator could fill)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam

from app.api.deps import Runtime, RuntimeDep, require_api_key
from app.api.errors import ApiError, error_responses
from app.api.executor import Deadline
from app.api.schemas import EntityCardOut, card_out
from app.pipeline import QAService
from kg.stores.base import StoreUnavailable

router = APIRouter(tags=["entities"], dependencies=[Depends(require_api_key)])
ERRORS = error_responses(401, 404, 422, 500, 503, 504)


def _card_by_name(service: QAService, name: str) -> EntityCardOut | None:
    found = service.find_entities(name)
    card = service.entity_card(found[0].id) if found else None
    return card_out(card) if card is not None else None


def _card_by_id(service: QAService, entity_id: str) -> EntityCardOut | None:
    card = service.entity_card(entity_id)
    return card_out(card) if card is not None else None


async def _read(runtime: Runtime, fn: partial[EntityCardOut | None]) -> EntityCardOut:
    runtime.require_graph()
    try:
        out = await runtime.pools.cpu.run(fn, Deadline(runtime.settings.request_timeout_s))
    except StoreUnavailable:
        runtime.monitor.poke()
        raise
    if out is None:
        raise ApiError(404, "entity_not_found")
    return out


@router.get("/entities/{entity_id}", response_model=EntityCardOut, responses=ERRORS,
            summary="The card of one entity: properties, aliases, sources and facts grouped by relationship")
async def entity_by_id(entity_id: Annotated[str, PathParam(max_length=128)], runtime: RuntimeDep) -> EntityCardOut:
    return await _read(runtime, partial(_card_by_id, runtime.service, entity_id))


@router.get("/entities", response_model=EntityCardOut, responses=ERRORS,
            summary="The card of the entity with this name or alias (exact, normalized match)")
async def entity_by_name(name: Annotated[str, Query(min_length=1, max_length=200)],
                         runtime: RuntimeDep) -> EntityCardOut:
    return await _read(runtime, partial(_card_by_name, runtime.service, name))
