"""QAService: the one object every front end (CLI, REST, UI) asks questions through.

Stateless per request: the conversation history arrives with each call, so any number of
workers can serve. Heavy state (linker, index, generator) loads once in `warm_up()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.dense import DenseLoader
from app.settings import Settings
from kg.errors import InvalidInput
from kg.normalize import normalize_name, strip_format
from kg.redaction import has_credentials, redact
from kg.schema import Entity, EntityCard, NodeType
from kg.stores import open_store
from kg.stores.base import GraphStore, StoreUnavailable
from models.citations import verify
from models.comparison import comparison_from
from models.generators.base import Cancellation, GenerationRequest, Generator, Turn
from models.types import Answer, EntityRef, Suggestion
from retrieval.intents import BY_NAME
from retrieval.retriever import LINK_THRESHOLD, SAME_INGREDIENT_LABEL, Retriever, RetrieverConfig, main_entity
from retrieval.types import IntentMethod, LinkMethod, Refusal, RetrievalResult

log = logging.getLogger("qizhen.pipeline")

NO_ENTITY = "抱歉，知识库中没有找到与这个问题相关的药品或疾病，无法给出有依据的回答。请换一种说法，或直接写出药品/疾病的名称。"
NO_FACTS = "知识库中没有找到{name}的{label}信息，无法给出有依据的回答。"
NOT_SUPPORTED = "生成的回答未能得到知识库证据的支持，已不予采用。"
NOT_ASKED = ("知识库中有“{name}”，但没有这个问题所问的信息，无法给出有依据的回答。知识库收录的是适应症、用法用量、"
             "不良反应、禁忌、相互作用，以及症状、检查、治疗药物、病因、预防等。")
NEAR_MISS = "知识库中没有“{name}”这一条目，无法给出有依据的回答（不会用名称相近的其他条目代替回答）。"
HISTORY_NEAR_MISS = "上文问到的“{name}”不在知识库中，无法给出有依据的回答。"
SUGGEST = "名称中包含或拼写相近的已知条目：{names}。如需了解，请选择其一再问。"
NOT_FOLLOW_UP = "这个问题没有提到药品或疾病，也不是对上文药品或疾病的医学追问，无法给出有依据的回答。"
NOT_SUPPORTED_TYPE = "已在知识库中找到{names}，但暂不支持回答这一类问题，无法给出有依据的回答。可以分别询问其中每一项的适应症、不良反应、禁忌等。"
COMPONENTS = "知识库中没有“{name}”这一复方制剂本身的条目；以下分别是其成分{parts}的信息。"
SAME_INGREDIENT = "知识库中没有{name}本身的{label}信息；以下是同成分药品的{label}信息。"
#: entity types whose question the graph could have answered (a 太阳 in "太阳系有几颗行星" is not one)
ASKABLE_TYPES = frozenset({NodeType.DRUG, NodeType.DISEASE, NodeType.INGREDIENT})
#: how the answered entity was matched, said after the answer (rule: say what happened)
MATCH_NOTES: dict[LinkMethod, str] = {
    LinkMethod.TYPO: "注：问题中的“{mention}”按拼写相近的“{name}”回答；如不是您要问的，请核对名称。",
    LinkMethod.VARIANT: "注：问题中的“{mention}”按知识库条目“{name}”回答（剂型或盐名的写法不同）。",
    LinkMethod.ALIAS: "注：“{mention}”是知识库条目“{name}”的别名。",
    LinkMethod.HISTORY: "注：本轮问题没有写出药品或疾病名称，按上文的“{name}”回答。",
}
#: a follow-up that named a symptom of the patient (孩子咳嗽能用吗) about the drug before it
CONDITION_NOTE = "注：本轮问题中的“{condition}”是用药的情况，按上文的“{name}”回答。"
#: a follow-up whose phase names the earlier disease's own entry (急性期 after 胰腺炎)
REFINED_NOTE = "注：本轮问题没有写出疾病名称，按上文的“{earlier}”和本轮的“{word}”，回答“{name}”。"
#: the snapshot of an empty embedded graph (kg.stores.ladybug: the empty hash-chain state)
EMPTY_SNAPSHOT = "0" * 16


class StreamEvent(BaseModel):
    event: Literal["evidence", "token", "citations", "done"]
    data: dict[str, Any]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    graph: str = Field(description="ok | unavailable | starting | stale (a newer snapshot is being loaded) | "
                                   "slow (did not answer the last check in time)")
    index: str
    generator: str = Field(description="ok | unavailable | busy | … (the configured generator, checked apart "
                                       "from the graph)")
    snapshot: str = ""
    checked_s_ago: float | None = Field(default=None, description="age of the checks (the API checks in the "
                                        "background, so /health never waits on the graph or the generator)")


@dataclass(frozen=True)
class Reload:
    """What `QAService.reload_if_changed` did."""

    swapped: bool
    #: the graph on disk is empty (a `--reset` ingest is under way): the old one is still served
    waiting: bool = False
    #: the store the swap replaced; close it once no request can still be reading it
    retired: GraphStore | None = None


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


def check_settings(settings: Settings) -> None:
    """Configuration errors that must stop the start rather than surface at the first request."""
    if has_credentials(settings.openai_base_url):
        # not a silent Basic header in place of the bearer key at the first call
        raise InvalidInput(f"QIZHEN_OPENAI_BASE_URL carries credentials ({redact(settings.openai_base_url)}): "
                           "put the key in QIZHEN_OPENAI_API_KEY, not in the URL")


class QAService:
    def __init__(self, settings: Settings, store: GraphStore | None = None,
                 generator: Generator | None = None) -> None:
        check_settings(settings)
        self.settings = settings
        self._store = store
        self._default_generator = generator
        self._generators: dict[str, Generator] = {}
        self._retriever: Retriever | None = None
        self._dense = DenseLoader(settings)
        self._lock = threading.Lock()  # the generator table; held only briefly
        # builds (warm-up, reload) take seconds; request paths never wait on this lock
        self._build_lock = threading.Lock()

    # -- construction ----------------------------------------------------------------------
    def open_store(self) -> GraphStore:
        """A new read-only handle on the configured graph (not yet connected)."""
        return open_store(self.settings, read_only=True)

    @property
    def store(self) -> GraphStore:
        if self._store is None:
            self._store = self.open_store()
        return self._store

    @property
    def ready(self) -> bool:
        """True once the linker is built (a request will not start a multi-second build)."""
        return self._retriever is not None

    def warm_up(self, *, full: bool = True) -> None:
        """Build the linker, load the index and the default generator, once. `full=False` (one-shot
        CLI calls) leaves the embedding model to load only if a question needs it."""
        with self._build_lock:
            if self._retriever is None:
                self._retriever = self.build_retriever(self.store, full=False)
        if full:
            self._retriever.intents.warm_up()
            self._retriever.prevalence  # noqa: B018 - computed now, not in the first request
        self.generator(None).warm_up()

    def build_retriever(self, store: GraphStore, *, full: bool = True,
                        previous: Retriever | None = None) -> Retriever:
        """A warmed retriever over `store` (seconds on a large graph). `previous` lends its intent
        classifier, which does not depend on the graph, so a reload does not embed the examples again."""
        embedder, index = self._dense.load(store)
        retriever = Retriever(store, embedder=embedder, index=index,
                              config=RetrieverConfig(top_k=self.settings.top_k),
                              cache_dir=self.settings.home_dir / "cache")
        if previous is not None and previous.embedder is embedder:
            retriever.intents = previous.intents
        retriever.warm_up()
        if full:
            retriever.intents.warm_up()
            retriever.prevalence  # noqa: B018 - computed now, not in the first request
        return retriever

    def reload(self, store: GraphStore | None = None) -> bool:
        """Rebuild the linker over a new graph snapshot and swap it in; False when the snapshot is
        the one already served. Requests keep the old store and linker until the swap; the old
        store is closed by the caller (`retire`) once no request can still be using it."""
        with self._build_lock:
            current = self._retriever
            store = store or self.store
            if current is not None and store.snapshot() == current.snapshot:
                return False
            retriever = self.build_retriever(store, previous=current)
            self._store, self._retriever = store, retriever
            return True

    def reload_if_changed(self, *, reopen: bool = True) -> Reload:
        """Serve the configured graph's current snapshot when it differs from the one served.
        `reopen`: open a fresh read-only handle first (an embedded graph's handle sees the data as of
        its open); without it the store in use is asked (a live server such as Neo4j). Raises when
        the new graph cannot be loaded yet; the old one keeps serving."""
        if not reopen:
            return Reload(swapped=self.reload())
        old = self.store
        fresh = self.open_store()
        try:
            if fresh.snapshot() == EMPTY_SNAPSHOT != old.snapshot():  # mid `--reset`: never trade data for nothing
                fresh.close()
                return Reload(swapped=False, waiting=True)
            swapped = self.reload(fresh)
        except BaseException:
            fresh.close()
            raise
        if not swapped:
            fresh.close()
            return Reload(swapped=False)
        return Reload(swapped=True, retired=old)

    def close(self) -> None:
        """Close the served store (at shutdown; requests have ended)."""
        with self._build_lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

    @property
    def snapshot(self) -> str:
        """The snapshot answers come from now (building the linker if it is not built yet)."""
        return self.retriever.snapshot

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

    def is_local(self, generator: str | None) -> bool:
        """Whether `generator` answers in-process in about a millisecond, deterministically
        (`Generator.local`): such answers share the CPU pool and may be cached."""
        return self.generator(generator).local

    def answer_key(self, question: str, history: Sequence[Turn | str] = (), *, generator: str | None = None,
                   top_k: int | None = None) -> Hashable | None:
        """The key under which this question's answer may be cached, or None when its generator's
        answers must not be (not `local`): a local answer depends only on these and the snapshot."""
        name = generator or self.settings.generator
        if not self.is_local(name):
            return None
        turns = tuple((t.role, t.content) for t in _turns(history))
        return self.snapshot, question, turns, name, top_k

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
                   top_k: int | None = None, cancel: Cancellation | None = None) -> Iterator[StreamEvent]:
        """Retrieval runs before this returns (so store failures raise here, not mid-stream). Setting
        `cancel` (from any thread) stops the generator's work: the events end without an answer."""
        t0 = time.perf_counter()
        gen = self.generator(generator)
        question = strip_format(question)  # what retrieval matched is what the generator reads
        result = self.retrieve(question, history, top_k=top_k)
        return self._stream(question, history, gen, result, t0, cancel)

    def _stream(self, question: str, history: Sequence[Turn | str], gen: Generator, result: RetrievalResult,
                t0: float, cancel: Cancellation | None = None) -> Iterator[StreamEvent]:
        yield StreamEvent(event="evidence", data={"evidence": [e.model_dump() for e in result.evidence]})
        entities = _entity_refs(result)
        base = {"intent": result.intent.name, "entities": entities, "snapshot": result.snapshot,
                "generator": gen.name}
        abstain = self._abstention(result)
        if abstain is not None:
            yield StreamEvent(event="token", data={"text": abstain})
            yield StreamEvent(event="citations", data={"citations": []})
            answer = Answer(answer=abstain, grounded=False, citations=[], suggestions=_suggestions(result), **base,
                            timings_ms={**result.timings_ms, "total_ms": _ms(t0)})
            yield StreamEvent(event="done", data=answer.model_dump())
            return
        t1 = time.perf_counter()
        request = GenerationRequest(question=question, history=_turns(history), evidence=result.evidence,
                                    intent=result.intent, entities=result.entities,
                                    max_new_tokens=self.settings.max_new_tokens, cancel=cancel)
        pieces: list[str] = []
        note = _lead_note(result)
        if note:  # what happened comes first: a combination answered per component, a generic fallback
            pieces.append(note)
            yield StreamEvent(event="token", data={"text": note})
        if cancel is not None and cancel.cancelled:  # given up before generation started: no call at all
            return
        for piece in gen.stream(request):
            if piece:
                pieces.append(piece)
                yield StreamEvent(event="token", data={"text": piece})
        if cancel is not None and cancel.cancelled:
            return
        gen_ms = _ms(t1)
        report = verify("".join(pieces), result.evidence)
        grounded = bool(report.citations)
        text = report.text if grounded else NOT_SUPPORTED
        match = _match_note(result) if grounded else ""
        if match:  # after the answer (the answering fact stays first); not a claim to verify
            text += match
            yield StreamEvent(event="token", data={"text": match})
        yield StreamEvent(event="citations", data={"citations": [c.model_dump() for c in report.citations]})
        answer = Answer(answer=text, grounded=grounded, citations=report.citations, unsupported=report.unsupported,
                        removed_markers=report.removed_markers, comparison=comparison_from(result.evidence) if grounded
                        else None, **base,
                        timings_ms={**result.timings_ms, "generate_ms": gen_ms, "total_ms": _ms(t0)})
        yield StreamEvent(event="done", data=answer.model_dump())

    @staticmethod
    def _abstention(result: RetrievalResult) -> str | None:
        """The message that says what happened, or None when there is evidence to answer from."""
        if result.near_misses:
            miss = result.near_misses[0]
            template = HISTORY_NEAR_MISS if result.refusal == Refusal.HISTORY_NEAR_MISS else NEAR_MISS
            text = template.format(name=miss.mention)
            names = [s.name for m in result.near_misses for s in m.suggestions]
            return text + (SUGGEST.format(names="、".join(dict.fromkeys(names))) if names else "")
        main = main_entity(result.entities)
        if main is None:
            return NOT_FOLLOW_UP if result.refusal == Refusal.NOT_FOLLOW_UP else NO_ENTITY
        if not result.evidence:
            several = _linked_names(result)
            if len(several) >= 2:  # e.g. a comparison of two drugs: found, but not a supported question type
                return NOT_SUPPORTED_TYPE.format(names="、".join(several))
            if result.intent.method == IntentMethod.DEFAULT:
                # a drug or disease was named, but what was asked (生产厂家, 保质期 …) is not in the graph
                asked_about = main.type in ASKABLE_TYPES and main.method != LinkMethod.HISTORY
                return NOT_ASKED.format(name=main.name) if asked_about else NO_ENTITY
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

    def graph_health(self) -> tuple[str, str]:
        """('ok' | 'unavailable', snapshot). Says what failed without paths or URIs (those may hold
        credentials or describe the host); the full reason goes to the server log."""
        try:
            self.store.ping(self.settings.store_timeout_s)
            return "ok", self.store.snapshot()
        except StoreUnavailable as exc:
            log.warning("graph check failed: %s", redact(str(exc)))
            return "unavailable", ""

    def generator_health(self, name: str | None = None) -> str:
        try:
            return self.generator(name).status()
        except Exception as exc:  # a missing model must not break /health
            log.warning("generator check failed: %s", redact(str(exc)))
            return "unavailable"

    @property
    def index_status(self) -> str:
        return self._dense.status

    def health(self) -> Health:
        graph, snapshot = self.graph_health()
        gen = self.generator_health()
        ok = graph == "ok" and gen == "ok"
        return Health(status="ok" if ok else "degraded", graph=graph, index=self.index_status, generator=gen,
                      snapshot=snapshot)


def _entity_refs(result: RetrievalResult) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for e in result.entities:
        if e.score >= LINK_THRESHOLD and all(r["id"] != e.id for r in out):
            out.append(EntityRef(id=e.id, name=e.name, type=e.type, match=str(e.method)).model_dump())
    return out


def _linked_names(result: RetrievalResult) -> list[str]:
    """Distinct drug/disease entities linked in the question itself (not inherited)."""
    names = [e.name for e in result.entities
             if e.score >= LINK_THRESHOLD and e.method != LinkMethod.HISTORY and e.type in (NodeType.DRUG, NodeType.DISEASE)]
    return list(dict.fromkeys(names))


def _suggestions(result: RetrievalResult) -> list[Suggestion]:
    out: dict[str, Suggestion] = {}
    for miss in result.near_misses:
        for s in miss.suggestions:
            out.setdefault(s.id, Suggestion(id=s.id, name=s.name, type=s.type, why=s.why))
    return list(out.values())


def _lead_note(result: RetrievalResult) -> str:
    """A first sentence when the answer is not simply about the asked entity's own facts."""
    parts = [e for e in result.entities if e.method == LinkMethod.COMPONENTS]
    if parts:
        names = "、".join(dict.fromkeys(e.name for e in parts))
        return COMPONENTS.format(name=parts[0].mention, parts=names)
    main = main_entity(result.entities)
    kg = [e for e in result.evidence if e.origin == "kg"]
    # the product's own facts come first; when the first item is another entry's, it had none
    if main is not None and kg and kg[0].entity_id != main.id and SAME_INGREDIENT_LABEL in kg[0].text:
        return SAME_INGREDIENT.format(name=main.name, label=BY_NAME[result.intent.name].label)
    return ""


def _match_note(result: RetrievalResult) -> str:
    """How the answered entity was found when the question did not name it exactly."""
    main = main_entity(result.entities)
    if main is None or main.method not in MATCH_NOTES:
        return ""
    if main.method in (LinkMethod.VARIANT, LinkMethod.ALIAS) and normalize_name(main.mention) == normalize_name(main.name):
        return ""
    if main.method == LinkMethod.HISTORY and result.qualifiers.condition:
        return CONDITION_NOTE.format(condition=result.qualifiers.condition, name=main.name)
    if main.method == LinkMethod.HISTORY and result.qualifiers.refined_from:
        q = result.qualifiers
        return REFINED_NOTE.format(earlier=q.refined_from, word=q.words[0] if q.words else "", name=main.name)
    return MATCH_NOTES[main.method].format(mention=main.mention.strip(), name=main.name)


def _ms(t: float) -> float:
    return round((time.perf_counter() - t) * 1000, 3)
