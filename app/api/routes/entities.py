"""GET /entities/{id} and GET /entities?name=… — the entity card a clinician opens (app.cards layout)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam

from app.api.deps import ServiceDep, require_api_key
from app.api.errors import ApiError, error_responses
from app.cards import EntityCardOut, build_card, load_card

router = APIRouter(tags=["entities"], dependencies=[Depends(require_api_key)])


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
