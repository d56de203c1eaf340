"""Lexical matching with jieba over the linked entity's own long texts.

jieba gets a user dictionary of KG names so that drug and disease names stay whole tokens;
the entity's prose properties are split into sentences and ranked by how many of the
question's content words they contain.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from kg.schema import Entity
from kg.text import split_sentences
from retrieval.evidence import property_datasets
from retrieval.rendering import prose_sentences
from retrieval.types import Evidence

_STOP = set("的 了 是 吗 呢 吧 啊 什么 怎么 哪些 如何 可以 能 会 有 和 与 我 你 他 她 它 这个 那个 请问 一下 要 应该 需要 为什么".split())


#: in the cached dictionary's file name: files written before names were screened are not reused
_DICT_FORMAT = "v2"


def _dictionary_safe(word: str) -> bool:
    """2–20 printable characters with no whitespace: jieba splits its dictionary lines on "\n"
    and " ", so a newline or space in a name would break the file (and the service start)."""
    return 2 <= len(word) <= 20 and word.isprintable() and not any(ch.isspace() for ch in word)


class LexicalMatcher:
    """`cache_dir` (with a `key` naming the graph snapshot) keeps jieba's dictionary with the KG
    names on disk, so later processes load it in about a second instead of rebuilding it."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._tokenizer = None
        self._pending: list[str] = []
        self._cache_dir = cache_dir
        self._key = ""
        self._lock = threading.Lock()

    def add_words(self, words: Iterable[str], key: str = "") -> None:
        """Names to keep whole; applied when the tokenizer is first needed. Only words that are
        safe as one entry of jieba's dictionary file ("word freq tag" per line) are kept: the
        ingest rejects names with line breaks, but a store may predate that check."""
        self._pending.extend(w for w in words if _dictionary_safe(w))
        self._key = key

    def _build(self):  # noqa: ANN202 - jieba has no types
        import jieba

        if self._cache_dir is None or not self._key:
            tok = jieba.Tokenizer()
            tok.initialize()
            for w in self._pending:
                tok.add_word(w, freq=2000)
            return tok
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        path = self._cache_dir / f"jieba-{_DICT_FORMAT}-{self._key}.txt"
        if not path.exists():
            base = Path(jieba.get_dict_file().name).read_text(encoding="utf-8")
            # a name of this process and thread: uvicorn workers start together and each may build it
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(base.rstrip("\n") + "\n" + "".join(f"{w} 2000 nz\n" for w in set(self._pending)),
                           encoding="utf-8")
            tmp.replace(path)
        tok = jieba.Tokenizer(dictionary=str(path))
        tok.tmp_dir = str(self._cache_dir)
        tok.initialize()
        return tok

    def warm_up(self) -> None:
        """Load jieba and the KG names now rather than on the first question."""
        self._cut("预热")

    def _cut(self, text: str) -> list[str]:
        with self._lock:
            if self._tokenizer is None:
                self._tokenizer = self._build()
                self._pending = []
        return [t for t in self._tokenizer.lcut(text) if t.strip() and t not in _STOP]

    def match(self, question: str, entity: Entity, exclude: str = "", limit: int = 5) -> list[Evidence]:
        terms = {t for t in self._cut(question) if t != exclude and len(t) >= 2 and t not in entity.name}
        if not terms:
            return []
        scored: list[tuple[int, int, str, str]] = []
        for prop, value in entity.properties.items():
            if prop.startswith("_"):
                continue
            texts = [value] if isinstance(value, str) else list(value)
            for text in texts:
                if len(text) < 30:
                    continue
                for pos, piece in enumerate(split_sentences(text)):
                    sentence = piece.strip()
                    hits = sum(1 for t in terms if t in sentence)
                    if hits:
                        scored.append((-hits, pos, prop, sentence))
        scored.sort()
        return [Evidence(index=0, entity_id=entity.id, entity_name=entity.name, entity_type=entity.type.value,
                         field=prop, heading=f"{entity.name}的{prop}",
                         sentences=prose_sentences(sentence, property_datasets(entity, prop)),
                         datasets=property_datasets(entity, prop), score=float(-neg), origin="lexical")
                for neg, _, prop, sentence in scored[:limit]]
