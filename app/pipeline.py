"""QAService: the one object every front end (CLI, REST, UI) asks questions through.

Stateless per request: the conversation history arrives with each call, so any number of
workers can serve. Heavy state (linker, index, generator) loads once in `warm_up()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from app.settings import Settings
from kg.schema import Entity, EntityCard
from kg.stores import open_store
from kg.stores.base import GraphStore, StoreUnavailable
from models.citations import verify
from models.comparison import comparison_from
from models.generators.base import GenerationRequest, Generator, Turn
from models.types import Answer, EntityRef
from retrieval.intents import BY_NAME
from retrieval.retriever import LINK_THRESHOLD, Retriever, RetrieverConfig, main_entity
from retrieval.types import RetrievalResult

log = logging.getLogger("qizhen.pipeline")

NO_ENTITY = "抱歉，知识库中没有找到与这个问题相关的药品或疾病，无法给出有依据的回答。请换一种说法，或直接写出药品/疾病的名称。"
NO_FACTS = "知识库中没有找到{name}的{label}信息，无法给出有依据的回答。"
NOT_SUPPORTED = "生成的回答未能得到知识库证据的支持，已不予采用。"


class StreamEvent(BaseModel):
    event: Literal["evidence", "token", "citations", "done"]
    data: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    graph: str
    index: str
    generator: str
    snapshot: str = ""


def _turns(history: Sequence[Turn | str | dict[str, Any]]) -> list[Turn]:
    out: list[Turn] = []
    for t in history:
        if isinstance(t, Turn):
            out.append(t)
        elif isinstance(t, str):
            out.append(Turn(role="user", content=t))
        else:
            out.append(Turn.model_validate(t))
    return out


class QAService:
    def __init__(self, settings: Settings, store: GraphStore | None = None,
                 generator: Generator | None = None) -> None:
        self.settings = settings
        self._store = store
        self._default_generator = generator
        self._generators: dict[str, Generator] = {}
        self._retriever: Retriever | None = None
        self._index_status = "not loaded"
        self._lock = threading.Lock()

    # -- construction ----------------------------------------------------------------------
    @property
    def store(self) -> GraphStore:
        if self._store is None:
            s = self.settings
            self._store = open_store(s.graph, path=s.graph_path, uri=s.neo4j_uri, user=s.neo4j_user,
                                     password=s.neo4j_password.get_secret_value(), database=s.neo4j_database,
                                     timeout_s=s.store_timeout_s, read_only=True)
        return self._store

    def warm_up(self, *, full: bool = True) -> None:
        """Build the linker, load the index and the default generator, once. `full=False` (one-shot
        CLI calls) leaves the embedding model to load only if a question needs it."""
        with self._lock:
            if self._retriever is None:
                embedder, index = self._load_dense()
                retriever = Retriever(self.store, embedder=embedder, index=index,
                                      config=RetrieverConfig(top_k=self.settings.top_k),
                                      cache_dir=self.settings.home_dir / "cache")
                retriever.warm_up()
                self._retriever = retriever
        if full:
            self._retriever.intents.warm_up()
        self.generator(None).warm_up()

    def _load_dense(self) -> tuple[object | None, object | None]:
        """The embedder (intent fallback, dense passages) and the FAISS index when usable."""
        try:
            from retrieval.embedders import make_embedder
            from retrieval.index import PassageIndex
        except ImportError as exc:  # the dense extra is optional
            self._index_status = f"unavailable ({exc})"
            return None, None
        s = self.settings
        embedder = make_embedder(s.embedding_model, s.models_root, backend=s.embedding_backend)
        # without an index the model only embeds a question now and then (intent fallback): the
        # plain torch path starts in seconds, where "auto" would first export an ONNX model
        light = make_embedder(s.embedding_model, s.models_root, backend="torch") \
            if s.embedding_backend == "auto" else embedder
        if not s.dense:
            self._index_status = "disabled"
            return light, None
        if not (s.index_dir / "manifest.json").exists():
            self._index_status = "missing (run `qizhen index build`)"
            return light, None
        try:
            index = PassageIndex.open(s.index_dir, embedder, snapshot=self.store.snapshot())
        except Exception as exc:  # stale / corrupt: report it, answer from the KG alone
            self._index_status = f"not used: {exc}"
            log.warning("dense index not used: %s", exc)
            return light, None
        self._index_status = "ok"
        return embedder, index

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self.warm_up(full=False)
        assert self._retriever is not None
        return self._retriever

    def generator(self, name: str | None) -> Generator:
        name = name or self.settings.generator
        if self._default_generator is not None and name in (None, self._default_generator.name):
            return self._default_generator
        with self._lock:
            if name not in self._generators:
                from models.generators import make_generator

                self._generators[name] = make_generator(name, self.settings)
            return self._generators[name]

    # -- asking ----------------------------------------------------------------------------
    def retrieve(self, question: str, history: Sequence[Turn | str] = (), top_k: int | None = None) -> RetrievalResult:
        turns = _turns(history)
        earlier = [t.content for t in turns if t.role == "user"] or [t.content for t in turns]
        return self.retriever.retrieve(question, earlier, top_k=top_k)

    def ask(self, question: str, history: Sequence[Turn | str] = (), *, generator: str | None = None,
            top_k: int | None = None) -> Answer:
        final: Answer | None = None
        for event in self.ask_stream(question, history, generator=generator, top_k=top_k):
            if event.event == "done":
                final = Answer.model_validate(event.data)
        assert final is not None
        return final

    def ask_stream(self, question: str, history: Sequence[Turn | str] = (), *, generator: str | None = None,
                   top_k: int | None = None) -> Iterator[StreamEvent]:
        """Retrieval runs before this returns (so store failures raise here, not mid-stream)."""
        t0 = time.perf_counter()
        gen = self.generator(generator)
        result = self.retrieve(question, history, top_k=top_k)
        return self._stream(question, history, gen, result, t0)

    def _stream(self, question: str, history: Sequence[Turn | str], gen: Generator, result: RetrievalResult,
                t0: float) -> Iterator[StreamEvent]:
        yield StreamEvent(event="evidence", data={"evidence": [e.model_dump() for e in result.evidence]})
        entities = _entity_refs(result)
        base = {"intent": result.intent.name, "entities": entities, "snapshot": result.snapshot,
                "generator": gen.name}
        abstain = self._abstention(result)
        if abstain is not None:
            yield StreamEvent(event="token", data={"text": abstain})
            yield StreamEvent(event="citations", data={"citations": []})
            answer = Answer(answer=abstain, grounded=False, citations=[], **base,
                            timings_ms={**result.timings_ms, "total_ms": _ms(t0)})
            yield StreamEvent(event="done", data=answer.model_dump())
            return
        t1 = time.perf_counter()
        request = GenerationRequest(question=question, history=_turns(history), evidence=result.evidence,
                                    intent=result.intent, entities=result.entities,
                                    max_new_tokens=self.settings.max_new_tokens)
        pieces: list[str] = []
        for piece in gen.stream(request):
            if piece:
                pieces.append(piece)
                yield StreamEvent(event="token", data={"text": piece})
        gen_ms = _ms(t1)
        report = verify("".join(pieces), result.evidence)
        grounded = bool(report.citations)
        text = report.text if grounded else NOT_SUPPORTED
        yield StreamEvent(event="citations", data={"citations": [c.model_dump() for c in report.citations]})
        answer = Answer(answer=text, grounded=grounded, citations=report.citations, unsupported=report.unsupported,
                        removed_markers=report.removed_markers, comparison=comparison_from(result.evidence) if grounded
                        else None, **base,
                        timings_ms={**result.timings_ms, "generate_ms": gen_ms, "total_ms": _ms(t0)})
        yield StreamEvent(event="done", data=answer.model_dump())

    @staticmethod
    def _abstention(result: RetrievalResult) -> str | None:
        main = main_entity(result.entities)
        if main is None:
            return NO_ENTITY
        if not result.evidence and result.intent.method == "default":
            return NO_ENTITY
        if not result.evidence:
            return NO_FACTS.format(name=main.name, label=BY_NAME[result.intent.name].label)
        return None

    # -- entities and health -----------------------------------------------------------------
    def entity_card(self, entity_id: str) -> EntityCard | None:
        return self.store.card(entity_id)

    def find_entities(self, name: str) -> list[Entity]:
        found = self.store.find_by_name(name)
        if found:
            return found
        linked = self.retriever.linker.link(name)
        ids = [e.id for e in linked if e.score >= LINK_THRESHOLD]
        return self.store.get_entities(ids[:5]) if ids else []

    def health(self) -> Health:
        graph, snapshot = "ok", ""
        try:
            self.store.ping(self.settings.store_timeout_s)
            snapshot = self.store.snapshot()
        except StoreUnavailable as exc:
            graph = f"unavailable: {exc}"
        try:
            gen = self.generator(None).status()
        except Exception as exc:  # a missing model must not break /health
            gen = f"unavailable: {exc}"
        ok = graph == "ok" and gen == "ok"
        return Health(status="ok" if ok else "degraded", graph=graph, index=self._index_status, generator=gen,
                      snapshot=snapshot)


def _entity_refs(result: RetrievalResult) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for e in result.entities:
        if e.score >= LINK_THRESHOLD and all(r["id"] != e.id for r in out):
            out.append(EntityRef(id=e.id, name=e.name, type=e.type).model_dump())
    return out


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 3)
