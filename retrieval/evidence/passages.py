"""Passages for dense retrieval: entity long texts (简介, 病因, 预防, 用法用量, 症状详情, CareGPT
适应证 …) chunked on sentence boundaries, each chunk keeping its entity id and property name.

Which properties are prose is decided by length, not by a closed list of keys (sources add
keys over time): a string longer than `MIN_PROSE_CHARS`, or the sentence-like items of a list,
minus a short skip list of names and codes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kg.schema import Entity
from kg.stores.base import GraphStore
from kg.text import split_sentences as sentences_of
from retrieval.evidence import property_source

MIN_PROSE_CHARS = 30
TARGET_CHARS = 250
MAX_CHARS = 300
OVERLAP_MAX_CHARS = 60

#: property keys whose values are names, codes or categories, never prose
SKIP_KEYS = frozenset({
    "英文名", "英文名称", "别名", "通用名", "商品名", "化学名", "拼音", "ICD10", "ICD-10", "ICD编码",
    "CAS号", "分子式", "药品类型", "常用药物_截断", "url", "link", "image", "汉语拼音", "英文别名", "外文名",
    "药品监管分级", "治疗费用", "患病比例", "治愈率",  # costs and rates: boilerplate, never an answer's prose
})

_CLAUSE_END = re.compile(r"(?<=[，,、：:])")
_PUNCT = re.compile(r"[，。；：,;:]")
_SPACES = re.compile(r"[ \t\u3000]+")


@dataclass(frozen=True, slots=True)
class Passage:
    id: str
    entity_id: str
    entity_name: str
    entity_type: str
    field: str
    text: str
    source: str  # the datasets that wrote the property, as an Evidence.source (retrieval.evidence.property_source)
    ordinal: int = 0  # chunk number within (entity, field)

    @property
    def datasets(self) -> list[str]:
        """`source` as the dataset list an Evidence carries."""
        return [d for d in self.source.split(",") if d]

    @property
    def embed_text(self) -> str:
        """What is embedded: the chunk with its entity and field, so 'X的病因' finds X's 病因 chunks."""
        return f"{self.entity_name}（{self.field}）：{self.text}"


def passage_id(entity_id: str, field: str, text: str) -> str:
    """Stable across builds for an unchanged chunk, so its embedding can be reused."""
    digest = hashlib.blake2b(f"{entity_id}\x1f{field}\x1f{text}".encode(), digest_size=10).hexdigest()
    return "p" + digest


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？；(or ASCII !?;) or a newline; pieces over MAX_CHARS split further."""
    out: list[str] = []
    for sent in sentences_of(text):
        sent = sent.strip()
        if not sent:
            continue
        if len(sent) <= MAX_CHARS:
            out.append(sent)
            continue
        buf = ""
        for clause in _CLAUSE_END.split(sent):
            if len(buf) + len(clause) > MAX_CHARS and buf:
                out.append(buf)
                buf = ""
            while len(clause) > MAX_CHARS:  # no punctuation at all: hard cut
                out.append(clause[:MAX_CHARS])
                clause = clause[MAX_CHARS:]
            buf += clause
        if buf.strip():
            out.append(buf.strip())
    return out


def chunk_text(text: str) -> list[str]:
    """Chunks of about TARGET_CHARS (never over MAX_CHARS) on sentence boundaries; a chunk after
    the first starts with the previous chunk's last sentence when that one is short (overlap)."""
    text = _SPACES.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    sents = split_sentences(text)
    chunks: list[str] = []
    cur: list[str] = []
    size = 0
    fresh = 0  # sentences in `cur` that are not overlap
    for sent in sents:
        if cur and size + len(sent) > TARGET_CHARS and (size >= TARGET_CHARS // 2 or size + len(sent) > MAX_CHARS):
            chunks.append(_join(cur))
            last = cur[-1]
            cur, size, fresh = ([last], len(last), 0) if len(last) <= OVERLAP_MAX_CHARS else ([], 0, 0)
            if size + len(sent) > MAX_CHARS:
                cur, size = [], 0
        cur.append(sent)
        size += len(sent)
        fresh += 1
    if cur and fresh:
        chunks.append(_join(cur))
    return chunks


def _join(sents: list[str]) -> str:
    out = ""
    for s in sents:
        if out and not out.endswith(("\n", "。", "！", "？", "；", "!", "?", ";")):
            out += "\n"
        out += s
    return out.strip()


def prose_of(value: str | list[str]) -> str | None:
    """The prose in a property value, or None: long strings, and the long or sentence-like items
    of a list (short term lists such as 推荐食谱 are not prose)."""
    if isinstance(value, str):
        value = value.strip()
        return value if len(value) > MIN_PROSE_CHARS else None
    items = [v.strip() for v in value if isinstance(v, str) and v.strip()]
    items = [v for v in items if len(v) > MIN_PROSE_CHARS or _PUNCT.search(v)]
    joined = "\n".join(items)
    return joined if len(joined) > MIN_PROSE_CHARS else None


def entity_passages(entity: Entity) -> Iterator[Passage]:
    seen: set[str] = set()
    for field in sorted(entity.properties):
        if field in SKIP_KEYS or field.startswith("_"):
            continue
        prose = prose_of(entity.properties[field])
        if prose is None:
            continue
        source = property_source(entity, field)  # read from the property's provenance, as KG evidence is
        for i, chunk in enumerate(chunk_text(prose)):
            pid = passage_id(entity.id, field, chunk)
            if pid in seen or len(chunk) < 4:
                continue
            seen.add(pid)
            yield Passage(id=pid, entity_id=entity.id, entity_name=entity.name, entity_type=str(entity.type),
                          field=field, text=chunk, source=source, ordinal=i)


def passages_from(entities: Iterable[Entity]) -> Iterator[Passage]:
    for entity in entities:
        yield from entity_passages(entity)


def build_passages(store: GraphStore, batch_size: int = 10_000) -> Iterator[Passage]:
    """Every passage of every entity in the store, in the store's entity order."""
    for batch in store.iter_entities(batch_size=batch_size):
        yield from passages_from(batch)
