"""The Source interface: one module per dataset yields typed records or rejects.

A source never writes to a store. It yields, in file order:

- `SourceRecord`: the entities and relations one input record produces. Every relation's two
  endpoints are either entities of the same record or were yielded earlier by the same source
  (or already exist in the graph, for sources that resolve names against it); a mentioned
  object is yielded as a *weak* entity (`described=False`, guessed type) so that the ingest
  never has to invent a node from an id.
- `Reject`: a record that could not be used, with where it was and why (the ingest writes it to
  the rejects file and carries on).

Sources that resolve names against what is already in the graph (39health's truncated drug
names, CareGPT's matching) receive a `KnownNames` snapshot built by the ingest before they run.
"""

from __future__ import annotations

import bisect
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from kg.normalize import FORMAT_CHARS, name_problem, normalize_name, strip_format
from kg.schema import Entity, NodeType, Relation, entity_id

RAW_LIMIT = 500


@dataclass(slots=True)
class SourceRecord:
    """What one input record contributes to the graph."""

    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    #: where the record came from (file, line number or record key), for rejects raised after reading
    file: str = ""
    record: str = ""

    def at(self, file: str | Path, record: object) -> SourceRecord:
        """Set where this record came from; returns self (`yield self._record(…).at(path, line)`)."""
        self.file, self.record = str(file), str(record)
        return self


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that was not ingested; `record` is a line number or a record key."""

    source: str
    file: str
    record: str
    reason: str
    raw: str = ""

    @classmethod
    def of(cls, source: str, file: str | Path, record: object, reason: str, raw: object = "") -> Reject:
        text = raw if isinstance(raw, str) else repr(raw)
        return cls(source, str(file), str(record), reason, text[:RAW_LIMIT])


Item = SourceRecord | Reject


#: How a rejects-file line says a name was changed (kept), not dropped.
NAME_CHANGED = "name changed:"


class NameScreen:
    """Applied by the ingest to every record of one source: names and aliases that cannot be
    stored (`kg.normalize.name_problem`: control characters, over-long) are dropped with a
    `Reject` naming the record's file and line/key and the reason — an entity with its relations,
    an alias alone — and the rest of the record is kept. A dropped id stays dropped for the source's
    later records (sources emit a mentioned entity only the first time) until a record brings a
    good spelling of it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._bad_ids: set[str] = set()

    def __call__(self, rec: SourceRecord) -> tuple[SourceRecord, list[Reject]]:
        rejects: list[Reject] = []
        if any(FORMAT_CHARS.search(e.name) or any(FORMAT_CHARS.search(a) for a in e.aliases) for e in rec.entities):
            rec = SourceRecord([self._visible(e, rec, rejects) for e in rec.entities], rec.relations, rec.file,
                               rec.record)
        entities = rec.entities
        if any(name_problem(e.name) or any(name_problem(a) for a in e.aliases) for e in entities):
            entities = []
            for e in rec.entities:
                problem = name_problem(e.name)
                if problem is not None:
                    self._bad_ids.add(e.id)
                    rejects.append(self._reject(rec, f"{problem}: {e.type.value} entity dropped with its "
                                                     "relations", e.name))
                    continue
                bad = [a for a in e.aliases if name_problem(a)]
                for a in bad:
                    rejects.append(self._reject(rec, f"alias of {e.name!r}: {name_problem(a)}: alias dropped", a))
                entities.append(replace(e, aliases=[a for a in e.aliases if a not in bad]) if bad else e)
        relations = rec.relations
        if self._bad_ids:
            self._bad_ids.difference_update(e.id for e in entities)  # a good spelling of the same node
            relations = [r for r in rec.relations if r.source_id not in self._bad_ids
                         and r.target_id not in self._bad_ids]
            if len(relations) != len(rec.relations):
                dropped = len(rec.relations) - len(relations)
                rejects.append(self._reject(rec, f"{dropped} relation(s) to an entity whose name was rejected "
                                                 "dropped", ""))
        if not rejects:
            return rec, []
        return SourceRecord(entities, relations, rec.file, rec.record), rejects

    def _visible(self, e: Entity, rec: SourceRecord, notes: list[Reject]) -> Entity:
        """The entity with invisible format characters removed from its name and aliases: its id
        already comes from the normalized name, so a look-alike spelling merges into the real node.
        Each change is written to the rejects file (``name changed: …``; `kg audit` lists them)."""
        name = strip_format(e.name)
        aliases = list(dict.fromkeys(a2 for a in e.aliases if (a2 := strip_format(a)) and a2 != name))
        for raw in (e.name, *e.aliases):
            if FORMAT_CHARS.search(raw):
                codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in FORMAT_CHARS.findall(raw)}))
                notes.append(self._reject(rec, f"{NAME_CHANGED} format characters {codes} removed, stored as "
                                               f"{strip_format(raw)!r}", raw))
        return replace(e, name=name, aliases=aliases)

    def _reject(self, rec: SourceRecord, reason: str, raw: str) -> Reject:
        return Reject.of(self.source, rec.file, rec.record or "?", reason, ascii(raw[:RAW_LIMIT]))


@dataclass(frozen=True, slots=True)
class NameEntry:
    id: str
    type: NodeType
    name: str
    aliases: tuple[str, ...] = ()


class KnownNames:
    """A read-only snapshot of (id, type, name, aliases) of the graph, for name resolution."""

    def __init__(self, entries: Iterable[NameEntry] = ()) -> None:
        self.entries: list[NameEntry] = list(entries)

    @classmethod
    def from_index(cls, rows: Iterable[tuple[str, str, str, Sequence[str]]]) -> KnownNames:
        """From `GraphStore.name_index()` rows."""
        out = []
        for id_, type_, name, aliases in rows:
            out.append(NameEntry(id_, NodeType.parse(type_), name, tuple(aliases or ())))
        return cls(out)

    def of_types(self, *types: NodeType) -> list[NameEntry]:
        wanted = set(types)
        return [e for e in self.entries if e.type in wanted]

    def __len__(self) -> int:
        return len(self.entries)


class Source(ABC):
    """A dataset reader. Construction is cheap; files are opened in `read()`."""

    #: dataset name written to Relation.dataset and Entity.sources
    name: str = ""
    #: whether `read()` uses `known` (the ingest then snapshots the graph's names first)
    uses_known_names: bool = False

    @abstractmethod
    def total(self) -> int | None:
        """How many items `read()` will yield, when cheaply known (progress bars)."""

    @abstractmethod
    def read(self, known: KnownNames | None = None) -> Iterator[Item]:
        """Yield one `SourceRecord` or `Reject` per input record, in input order."""


# -- small text helpers shared by the dataset modules ----------------------------------------

_DETAIL = "[详细]"
_LIST_SPLIT = re.compile(r"[\s,，、;；]+")


def strip_detail(text: str) -> str:
    """'头痛 发热 [详细]' → '头痛 发热' (39health list cells)."""
    text = text.strip()  # str methods, not `\s*\[详细\]\s*$`: that regex is quadratic on long blank runs
    return text[: -len(_DETAIL)].strip() if text.endswith(_DETAIL) else text


def split_terms(text: str, pattern: re.Pattern[str] = _LIST_SPLIT) -> list[str]:
    """Split a list cell into distinct non-empty terms, keeping first-seen order."""
    seen: dict[str, None] = {}
    for part in pattern.split(text):
        part = part.strip()
        if part and part not in seen:
            seen[part] = None
    return list(seen)


def expand_paths(paths: Sequence[str | Path], pattern: str) -> list[Path]:
    """Files as given, directories expanded to their `pattern` matches (sorted naturally)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.glob(pattern), key=_natural_key))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or directory: {p}")
    return out


def _natural_key(p: Path) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


_entity_id = lru_cache(maxsize=1 << 18)(entity_id)
#: normalize_name memoized: sources see the same object names many times
cached_normalize = lru_cache(maxsize=1 << 18)(normalize_name)


class EntityCache:
    """Builds entities once per (normalized name, type): sources use it to avoid emitting the same
    weak object node thousands of times (the first spelling seen is kept, as Entity.merge would)."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self._ids: dict[str, str] = {}
        self._emitted: set[tuple[str, NodeType]] = set()

    def id(self, name: str) -> str:
        found = self._ids.get(name)
        if found is None:
            found = self._ids[name] = _entity_id(name)
        return found

    def weak(self, name: str, type: NodeType, out: list[Entity]) -> str:
        """Append a weak entity for `name` to `out` unless already emitted; return its id."""
        id_ = self._ids.get(name) or self.id(name)
        key = (id_, type)
        if key not in self._emitted:
            self._emitted.add(key)
            out.append(Entity(id=id_, type=type, name=name, sources=[self.dataset]))
        return id_


_ELLIPSIS = ("...", "…", "。。。")


def cut_text(term: str) -> str | None:
    """The text before the ellipsis when `term` was cut off, else None."""
    for e in _ELLIPSIS:
        if term.endswith(e):
            return term[: -len(e)].strip()
    return None


class PrefixIndex:
    """Resolve a cut name to the one node whose name or alias starts with it."""

    def __init__(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """`entries`: (name or alias, node id, node name)."""
        rows: set[tuple[str, str, str]] = set()
        for text, id_, name in entries:
            key = normalize_name(text)
            if key and cut_text(name) is None:  # never resolve to a node named by a cut text
                rows.add((key, id_, name))
        self._rows = sorted(rows)

    @classmethod
    def of_type(cls, known: KnownNames | None, type_: NodeType, extra_names: Iterable[str] = ()) -> PrefixIndex:
        entries = [(n, e.id, e.name) for e in (known.of_types(type_) if known else []) for n in (e.name, *e.aliases)]
        entries += [(n, entity_id(n), n) for n in extra_names]
        return cls(entries)

    def resolve(self, prefix: str) -> tuple[str, str] | None:
        """(id, name) of the single node the cut text `prefix` can be, else None."""
        p = normalize_name(prefix)
        if len(p) < 2:
            return None
        i = bisect.bisect_left(self._rows, (p, "", ""))
        found: dict[str, str] = {}
        while i < len(self._rows) and self._rows[i][0].startswith(p):
            found.setdefault(self._rows[i][1], self._rows[i][2])
            if len(found) > 1:
                return None
            i += 1
        return next(iter(found.items())) if found else None


def usable_name(name: object) -> str | None:
    """A stripped name that normalizes to something, or None. Scraped lists carry page furniture
    (">>", "应该如何用药？用什么药？"): a name has a letter, digit or CJK character and asks nothing."""
    if not isinstance(name, str):
        return None
    name = name.strip()
    if not name or "？" in name or "?" in name or not any(ch.isalnum() for ch in name):
        return None
    return name if cached_normalize(name) else None
