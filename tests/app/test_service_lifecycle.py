"""QAService owns its lifecycle: the API asks it for cache keys, reloads and shutdown, nothing more."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.pipeline import QAService
from kg.stores.ladybug import LadybugStore
from models.generators.base import GenerationRequest, Generator
from tests.app.api_graph import settings_for

os.environ.setdefault("HF_HUB_OFFLINE", "1")
QUESTION = "非布司他片的适应症是什么？"


class CountingStore(LadybugStore):
    """The real embedded store, counting its closes."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        super().__init__(path, read_only=read_only)
        self.closes = 0

    def close(self) -> None:
        self.closes += 1
        super().close()


class RemoteLike(Generator):
    """A generator that is not local (as a model or a server is): its answers are never cached."""

    name = "remote-like"

    def generate(self, request: GenerationRequest) -> str:
        return ""


def test_the_store_is_closed_at_shutdown(graph_home: Path) -> None:
    settings = settings_for(graph_home)
    store = CountingStore(settings.graph_path, read_only=True)
    service = QAService(settings, store=store)
    with TestClient(create_app(settings, service=service)) as client:
        assert client.post("/ask", json={"question": QUESTION}).status_code == 200
        assert store.closes == 0
    assert store.closes == 1


def test_answer_key_only_for_local_generators(graph_home: Path) -> None:
    service = QAService(settings_for(graph_home), store=CountingStore(settings_for(graph_home).graph_path, True))
    try:
        key = service.answer_key(QUESTION, ["痛风吃什么药"])
        assert key is not None and key == service.answer_key(QUESTION, ["痛风吃什么药"], generator="extractive")
        assert service.snapshot in key  # type: ignore[operator]  # new data retires every cached answer
        assert key != service.answer_key(QUESTION, ["别的问题"]) and key != service.answer_key(QUESTION, top_k=3)
        assert service.is_local("extractive")
        service._generators[RemoteLike.name] = RemoteLike()
        assert not service.is_local(RemoteLike.name)
        assert service.answer_key(QUESTION, generator=RemoteLike.name) is None
    finally:
        service.close()


def test_reload_if_changed_keeps_an_unchanged_graph(graph_home: Path) -> None:
    service = QAService(settings_for(graph_home))
    try:
        served = service.store
        service.warm_up(full=False)
        for reopen in (True, False):
            done = service.reload_if_changed(reopen=reopen)
            assert not done.swapped and not done.waiting and done.retired is None
            assert service.store is served  # the fresh handle was closed, not swapped in
    finally:
        service.close()
