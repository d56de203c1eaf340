"""GET /entities/{id}, GET /entities?name=… and POST /entities/resolve — the entity card a clinician
opens (app.cards layout: summary table, then sections in clinical order with ranked lists).

Graph reads run in the app's cpu pool under the request deadline (never on the event loop, never
in anyio's shared pool that a slow generator could fill)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from app.api.deps import Runtime, RuntimeDep, require_api_key
from app.api.errors import ApiError, error_responses
from app.api.executor import Busy, Deadline, DeadlineExceeded
from app.cards import EntityCardOut, build_card, load_card, resolve_names
from app.case_summary import CaseSummaryIn, CaseSummaryOut, find_in_summary
from app.pipeline import QAService
from kg.stores.base import StoreUnavailable
from models.types import EntityRef

router = APIRouter(tags=["entities"], dependencies=[Depends(require_api_key)])
ERRORS = error_responses(401, 404, 422, 500, 503, 504)
T = TypeVar("T")


class ResolveIn(BaseModel):
    names: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(max_length=200)


def _card_by_name(service: QAService, name: str) -> EntityCardOut | None:
    found = service.find_entities(name)
    card = load_card(service.store, found[0].id) if found else None
    return build_card(card, service.retriever.prevalence) if card is not None else None


def _card_by_id(service: QAService, entity_id: str) -> EntityCardOut | None:
    card = load_card(service.store, entity_id)
    return build_card(card, service.retriever.prevalence) if card is not None else None


async def _run(runtime: Runtime, fn: Callable[[], T]) -> T:
    """`fn` (graph reads only) within the store budget `QIZHEN_STORE_TIMEOUT_S`, not the request
    deadline: a hung graph server is a 503 after that budget (the Neo4j store also gives each read
    that timeout), and the health monitor is told at once. A call that never got a thread is `busy`."""
    runtime.require_graph()
    settings = runtime.settings
    started = threading.Event()

    def call() -> T:
        started.set()
        return fn()

    try:
        return await runtime.pools.cpu.run(call, Deadline(min(settings.store_timeout_s, settings.request_timeout_s)))
    except StoreUnavailable:
        runtime.monitor.poke()
        raise
    except DeadlineExceeded as exc:
        if not started.is_set():
            raise Busy(runtime.pools.cpu.name) from None
        runtime.monitor.poke()
        raise StoreUnavailable(f"the graph did not answer within {exc.seconds:g} s") from None


async def _card(runtime: Runtime, fn: Callable[[], EntityCardOut | None]) -> EntityCardOut:
    out = await _run(runtime, fn)
    if out is None:
        raise ApiError(404, "entity_not_found")
    return out


@router.post("/entities/resolve", response_model=list[EntityRef], responses=ERRORS,
             summary="Which of these names are entities of the graph (exact, normalized match): for answer links")
async def resolve(body: ResolveIn, runtime: RuntimeDep) -> list[EntityRef]:
    return await _run(runtime, partial(resolve_names, runtime.service.store, body.names))


@router.post("/entities/in-text", response_model=CaseSummaryOut, responses=ERRORS,
             summary="The drugs and diseases a case summary names (≤2,000 characters), with questions to pick")
async def in_text(body: CaseSummaryIn, runtime: RuntimeDep) -> CaseSummaryOut:
    return await _run(runtime, partial(find_in_summary, runtime.service, body.text))


@router.get("/entities/{entity_id}", response_model=EntityCardOut, responses=ERRORS,
            summary="The card of one entity: summary table, then sections in clinical order (ranked lists)")
async def entity_by_id(entity_id: Annotated[str, PathParam(max_length=128)], runtime: RuntimeDep) -> EntityCardOut:
    return await _card(runtime, partial(_card_by_id, runtime.service, entity_id))


@router.get("/entities", response_model=EntityCardOut, responses=ERRORS,
            summary="The card of the entity with this name or alias (exact, normalized match)")
async def entity_by_name(name: Annotated[str, Query(min_length=1, max_length=200)],
                         runtime: RuntimeDep) -> EntityCardOut:
    return await _card(runtime, partial(_card_by_name, runtime.service, name))
