"""Instruction data built from the knowledge graph — the data-construction code QiZhen never released.

One record per (entity, topic) with that topic's facts grouped into one fluent Chinese answer,
asked with `templates_per_fact` different question templates. `grounded=True` puts the facts into
`input` as numbered evidence (models.prompts' grounded instruction and evidence lines, so training
renders exactly the prompt inference builds; a few distractor facts of the same entity mixed in)
and writes the answer citing them ("…痛风[1]、高尿酸血症[2]…").

The validation split is chosen per *entity* (a stable hash of its id), so no entity's questions
leak between train and validation.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InvalidInput
from kg.normalize import normalize_name
from kg.schema import Entity, Fact
from kg.stores.base import GraphStore
from models.finetune.questions import SUBJECT_TYPES, Topic, join_items, select_topics
from models.finetune.records import InstructionRecord, write_jsonl
from models.prompts import grounded_input, grounded_instruction
from retrieval.evidence import property_source
from retrieval.rendering import prose_sentences
from retrieval.types import Evidence


@dataclass(slots=True)
class BuildStats:
    entities_seen: int = 0
    subjects: int = 0
    held_out_entities: int = 0
    held_out_facts: int = 0
    duplicates: int = 0
    per_topic: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(slots=True)
class BuiltData:
    train: list[InstructionRecord]
    val: list[InstructionRecord]
    stats: BuildStats


class Holdout:
    """Held-out entity names: matched on normalized names and aliases, as substrings of any text.

    Names are expanded with the aliases of the entities they name in the store, so holding out
    "非布司他片" also keeps out "非布司他" and its brand names wherever they appear.
    """

    MIN_ALIAS_CHARS = 2  # one-character aliases would match almost any text

    def __init__(self, names: Iterable[str], store: GraphStore | None = None) -> None:
        import ahocorasick

        self.ids: set[str] = set()
        terms: set[str] = set()
        for raw in names:
            name = normalize_name(raw)
            if not name:
                continue
            terms.add(name)
            for ent in store.find_by_name(raw) if store is not None else []:
                self.ids.add(ent.id)
                terms.update(t for t in map(normalize_name, [ent.name, *ent.aliases])
                             if len(t) >= self.MIN_ALIAS_CHARS)
        self.terms = frozenset(terms)
        self._auto = ahocorasick.Automaton()
        for t in sorted(self.terms):
            self._auto.add_word(t, t)
        if self.terms:
            self._auto.make_automaton()

    def __bool__(self) -> bool:
        return bool(self.terms)

    def mentions(self, text: str) -> bool:
        if not self.terms:
            return False
        return next(self._auto.iter(normalize_name(text)), None) is not None

    def blocks_entity(self, ent: Entity) -> bool:
        return ent.id in self.ids or any(self.mentions(n) for n in (ent.name, *ent.aliases))

    @classmethod
    def from_file(cls, path: Path, store: GraphStore | None = None) -> Holdout:
        """One entity name per line; blank lines and lines starting with # are ignored."""
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls([ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")], store)


@dataclass(slots=True)
class _Item:
    """One fact value about a subject under a topic (a target name or a property text)."""

    text: str
    source: str
    target_id: str | None = None
    target_type: str | None = None


class InstructionBuilder:
    """Streams subjects out of a GraphStore and turns their facts into instruction records."""

    def __init__(
        self,
        store: GraphStore,
        *,
        rel_types: list[str] | None = None,
        templates_per_fact: int = 2,
        holdout: Holdout | Iterable[str] = (),
        seed: int = 0,
        limit: int | None = None,
        grounded: bool = False,
        val_ratio: float = 0.02,
        max_items: int = 12,
        max_text_chars: int = 400,
        distractors: int = 3,
        batch_size: int = 2_000,
    ) -> None:
        if templates_per_fact < 1:
            raise InvalidInput("templates_per_fact must be ≥ 1")
        if not 0.0 <= val_ratio < 1.0:
            raise InvalidInput("val_ratio must be in [0, 1)")
        if limit is not None and limit < 1:
            raise InvalidInput("limit must be ≥ 1")
        self.store = store
        self.topics = select_topics(rel_types)
        self.templates_per_fact = templates_per_fact
        self.holdout = holdout if isinstance(holdout, Holdout) else Holdout(holdout, store)
        self.seed = seed
        self.limit = limit
        self.grounded = grounded
        self.val_ratio = val_ratio
        self.max_items = max_items
        self.max_text_chars = max_text_chars
        self.distractors = distractors
        self.batch_size = batch_size
        self._rels = sorted({t.rel for t in self.topics if t.rel is not None}, key=str)
        if grounded and distractors:  # distractor facts come from every topic of the subject
            self._rels = sorted({t.rel for t in select_topics(None) if t.rel is not None}, key=str)

    # -- streaming -------------------------------------------------------------------------
    def _facts(self, ids: list[str]) -> dict[str, list[Fact]]:
        """Outgoing facts of a batch of subjects (one query each: the slow path)."""
        return {i: self.store.facts(i, rel_types=self._rels) for i in ids}

    def _all_facts(self) -> dict[str, list[Fact]] | None:
        """Every fact of the wanted types through the store's bulk read, `GraphStore.all_facts` (one
        scan per type in the embedded and Neo4j stores); None for a store that disabled it (the slow
        path then reads per entity). Sorted as `facts()` sorts them so the output does not depend on it."""
        bulk = getattr(self.store, "all_facts", None)
        if not callable(bulk) or not self._rels:
            return None
        index: dict[str, list[Fact]] = {}
        for batch in bulk(self._rels):
            for f in batch:
                index.setdefault(f.entity_id, []).append(f)
        for lst in index.values():
            lst.sort(key=lambda f: (f.relation.value, f.target_name, f.target_id, f.dataset))
        return index

    def _items(self, ent: Entity, topic: Topic, facts: list[Fact], stats: BuildStats) -> list[_Item]:
        items: list[_Item] = []
        seen = {normalize_name(ent.name)}
        if topic.rel is not None:
            for f in facts:
                if f.relation != topic.rel:
                    continue
                key = normalize_name(f.target_name)
                if not key or key in seen:
                    continue
                if f.target_id in self.holdout.ids or self.holdout.mentions(f.target_name):
                    stats.held_out_facts += 1
                    continue
                seen.add(key)
                items.append(_Item(f.target_name.strip(), f.dataset, f.target_id, f.target_type.value))
        else:
            for pk in topic.prop_keys:
                value = ent.properties.get(pk)
                texts = [value] if isinstance(value, str) else list(value or [])
                for raw in texts:
                    text = _clip(raw.strip(), self.max_text_chars)
                    if not text or normalize_name(text) in seen:
                        continue
                    if self.holdout.mentions(text):
                        stats.held_out_facts += 1
                        continue
                    seen.add(normalize_name(text))
                    items.append(_Item(text, property_source(ent, pk) or "kg"))
                if items:
                    break
        return items[: self.max_items]

    def _records(self, ent: Entity, facts: list[Fact], stats: BuildStats) -> list[InstructionRecord]:
        by_topic: list[tuple[Topic, list[_Item]]] = []
        for topic in self.topics:
            if ent.type in topic.subject_types:
                items = self._items(ent, topic, facts, stats)
                if items:
                    by_topic.append((topic, items))
        others: dict[str, list[tuple[Topic, _Item]]] = {}
        if self.grounded and self.distractors:
            for topic in select_topics(None):
                if ent.type in topic.subject_types and topic.rel is not None:
                    for it in self._items(ent, topic, facts, stats):
                        others.setdefault(topic.key, []).append((topic, it))
        out: list[InstructionRecord] = []
        for topic, items in by_topic:
            rng = random.Random(f"{self.seed}|{ent.id}|{topic.key}")
            questions = rng.sample(topic.questions, min(self.templates_per_fact, len(topic.questions)))
            if self.grounded:
                pool = [p for k, lst in sorted(others.items()) if k != topic.key for p in lst]
                extra = rng.sample(pool, min(self.distractors, len(pool)))
                evidence_input, answer = self._grounded(ent, topic, items, extra, rng)
            else:
                evidence_input, answer = "", _answer(ent.name, topic, [it.text for it in items])
            for q in questions:
                question = q.format(name=ent.name)
                instruction = grounded_instruction(question) if self.grounded else question
                out.append(InstructionRecord(instruction, answer, evidence_input, source="kg"))
            stats.per_topic[topic.key] = stats.per_topic.get(topic.key, 0) + len(questions)
        return out

    def _grounded(self, ent: Entity, topic: Topic, items: list[_Item],
                  extra: list[tuple[Topic, _Item]], rng: random.Random) -> tuple[str, str]:
        slots: list[tuple[Topic, _Item, bool]] = [(topic, it, True) for it in items]
        slots += [(t, it, False) for t, it in extra]
        rng.shuffle(slots)
        evidence: list[Evidence] = []
        number: dict[int, int] = {}  # id(item) → its evidence index
        for i, (t, it, relevant) in enumerate(slots, start=1):
            datasets = [d for d in it.source.split(",") if d]
            evidence.append(Evidence(  # a target is a one-name list, a property text prose; no heading
                index=i, entity_id=ent.id, entity_name=ent.name, entity_type=ent.type.value, field=t.key,
                names=[it.text] if it.target_id else [],
                sentences=[] if it.target_id else prose_sentences(it.text, datasets), datasets=datasets,
                target_id=it.target_id, target_name=it.text if it.target_id else None,
                target_type=it.target_type,
            ))
            if relevant:
                number[id(it)] = i
        cited = [f"{it.text}[{number[id(it)]}]" for it in items]  # answer keeps the KG's fact order
        return grounded_input(evidence), _answer(ent.name, topic, cited)

    # -- driver ----------------------------------------------------------------------------
    def _in_val(self, entity_id: str) -> bool:
        h = int.from_bytes(hashlib.blake2b(entity_id.encode(), digest_size=8).digest(), "big")
        return h / 2**64 < self.val_ratio

    def build(self) -> BuiltData:
        t0 = time.perf_counter()
        stats = BuildStats()
        pairs: list[tuple[bool, InstructionRecord]] = []
        seen: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
        done = False
        index = self._all_facts() if self.limit is None else None  # with a limit, only read what is used
        for batch in self.store.iter_entities(self.batch_size):
            stats.entities_seen += len(batch)
            subjects: list[Entity] = []
            for ent in batch:
                if ent.type not in SUBJECT_TYPES:
                    continue
                if self.holdout and self.holdout.blocks_entity(ent):
                    stats.held_out_entities += 1
                    continue
                subjects.append(ent)
            subjects.sort(key=lambda e: e.id)
            if index is not None:
                facts = index
            else:
                facts = self._facts([e.id for e in subjects]) if self._rels else {}
            for ent in subjects:
                recs = self._records(ent, facts.get(ent.id, []), stats)
                if recs:
                    stats.subjects += 1
                val = self._in_val(ent.id)
                for rec in recs:
                    if rec.key in seen:
                        stats.duplicates += 1
                        continue
                    if self.holdout and self.holdout.mentions(rec.instruction + rec.input + rec.output):
                        stats.held_out_facts += 1
                        continue
                    seen.add(rec.key)
                    pairs.append((val, rec))
                if self.limit is not None and len(pairs) >= self.limit:
                    done = True
                    break
            if done:
                break
        # iteration order is the backend's; sort first so the seeded shuffle alone decides the order
        pairs.sort(key=lambda p: (p[1].instruction, p[1].input, p[1].output))
        random.Random(self.seed).shuffle(pairs)
        if self.limit is not None:
            pairs = pairs[: self.limit]
        stats.seconds = time.perf_counter() - t0
        return BuiltData([r for v, r in pairs if not v], [r for v, r in pairs if v], stats)


def _clip(text: str, max_chars: int) -> str:
    """Cut long property prose at the last sentence end before `max_chars`."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    cut = max(head.rfind("。"), head.rfind("；"), head.rfind(";"))
    return head[: cut + 1] if cut > max_chars // 3 else head + "…"


def _answer(name: str, topic: Topic, items: list[str]) -> str:
    if topic.is_relation:
        return topic.answer.format(name=name, items=join_items(items))
    return topic.answer.format(name=name, text="".join(items) if len(items) == 1 else "；".join(items))


def build_instructions(
    store: GraphStore,
    *,
    rel_types: list[str] | None = None,
    templates_per_fact: int = 2,
    holdout: Iterable[str] | Holdout = (),
    seed: int = 0,
    limit: int | None = None,
    grounded: bool = False,
    val_ratio: float = 0.02,
) -> tuple[list[InstructionRecord], list[InstructionRecord]]:
    """(train, val) alpaca records generated from the KG; deterministic for a seed."""
    built = InstructionBuilder(store, rel_types=rel_types, templates_per_fact=templates_per_fact,
                               holdout=holdout, seed=seed, limit=limit, grounded=grounded,
                               val_ratio=val_ratio).build()
    return built.train, built.val


@dataclass(frozen=True, slots=True)
class BuildDataResult:
    out: Path
    val_out: Path | None
    train_rows: int
    val_rows: int
    stats: BuildStats


def build_data_files(
    store: GraphStore,
    out: Path,
    *,
    val_out: Path | None = None,
    holdout_file: Path | None = None,
    **options: object,
) -> BuildDataResult:
    """The `qizhen finetune build-data` job: build, then write train (and validation) JSONL."""
    with store:
        holdout = Holdout.from_file(holdout_file, store) if holdout_file else Holdout([], store)
        built = InstructionBuilder(store, holdout=holdout, **options).build()  # type: ignore[arg-type]
    if built.val and val_out is None:
        val_out = out.with_name(out.stem + ".val" + out.suffix)
    n_train = write_jsonl(built.train, out)
    n_val = write_jsonl(built.val, val_out) if val_out is not None else 0
    return BuildDataResult(out, val_out if n_val else None, n_train, n_val, built.stats)
