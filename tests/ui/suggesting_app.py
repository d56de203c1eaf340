"""The real API over a service that also offers a near miss when nothing was linked — a fake bound to
QAService's interface, standing in for the linker's suggestions so the browser test can click one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi import FastAPI

from app.api.main import create_app
from app.pipeline import QAService, StreamEvent
from app.settings import get_settings
from models.generators.base import Turn
from models.types import Suggestion
from tests.app.api_graph import DRUG, entity_id_of


class SuggestingService(QAService):
    def ask_stream(self, question: str, history: Sequence[Turn | str] = (), *, generator: str | None = None,
                   top_k: int | None = None) -> Iterator[StreamEvent]:
        events = super().ask_stream(question, history, generator=generator, top_k=top_k)
        return (self._suggest(ev) for ev in events)

    @staticmethod
    def _suggest(ev: StreamEvent) -> StreamEvent:
        if ev.event == "done" and not ev.data.get("entities"):
            near = Suggestion(id=entity_id_of(DRUG), name=DRUG, type="Drug", why="拼写相近")
            ev = StreamEvent(event="done", data={**ev.data, "suggestions": [near.model_dump()]})
        return ev


def create_suggesting_app() -> FastAPI:
    settings = get_settings()
    return create_app(settings, service=SuggestingService(settings))
