"""GET /entities/{id} and GET /entities?name=… — the entity card a clinician opens (app.cards layout)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.api.deps import ServiceDep, require_api_key
from app.api.errors import ApiError, error_responses
from app.cards import EntityCardOut, build_card, load_card, resolve_names
from models.types import EntityRef

router = APIRouter(tags=["entities"], dependencies=[Depends(require_api_key)])


class ResolveIn(BaseModel):
    names: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(max_length=200)


@router.post("/entities/resolve", response_model=list[EntityRef], responses=error_responses(401, 422, 500, 503),
             summary="Which of these names are entities of the graph (exact, normalized match): for answer links")
async def resolve(body: ResolveIn, service: ServiceDep) -> list[EntityRef]:
    return await run_in_threadpool(resolve_names, service.store, body.names)


@router.get("/entities/{entity_id}", response_model=EntityCardOut, responses=error_responses(401, 404, 422, 500, 503),
            summary="The card of one entity: summary table, then sections in clinical order (ranked lists)")
def entity_by_id(entity_id: Annotated[str, PathParam(max_length=128)], service: ServiceDep) -> EntityCardOut:
    card = load_card(service.store, entity_id)
    if card is None:
        raise ApiError(404, "entity_not_found", f"no entity with id {entity_id!r}")
    return build_card(card)


@router.get("/entities", response_model=EntityCardOut, responses=error_responses(401, 404, 422, 500, 503),
            summary="The card of the entity with this name or alias (exact, normalized match)")
def entity_by_name(name: Annotated[str, Query(min_length=1, max_length=200)], service: ServiceDep) -> EntityCardOut:
    found = service.find_entities(name)
    card = load_card(service.store, found[0].id) if found else None
    if card is None:
        raise ApiError(404, "entity_not_found", f"no entity named {name!r}")
    return build_card(card)
