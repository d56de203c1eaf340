"""Canonical JSONL format for your own data (`qizhen kg ingest --source jsonl FILE…`).

One JSON object per line (UTF-8; blank lines and lines starting with `#` are skipped).
Two kinds of line:

Entity::

    {"kind": "entity", "name": "利可君片", "type": "Drug",
     "aliases": ["利可君"], "properties": {"适应证": "用于预防、治疗白细胞减少症…"}}

- `name` (required), `type` (one of Drug, Disease, Symptom, Check, Department, Ingredient, Food,
  Category, Cause, Concept; default Concept), `aliases` (list of strings), `properties`
  (object whose values are strings or lists of strings). The entity is *described* by this
  dataset (its type beats guesses made from mentions).

Relation::

    {"kind": "relation", "source": "利可君片", "type": "INDICATED_FOR", "target": "白细胞减少症",
     "source_type": "Drug", "target_type": "Disease", "dataset": "my-hospital", "predicate": "适应证"}

- `source`, `type` (a relationship type: INDICATED_FOR, ADVERSE_REACTION, CONTRAINDICATED,
  INTERACTS_WITH, HAS_INGREDIENT, IN_CATEGORY, HAS_SYMPTOM, NEEDS_CHECK, TREATED_BY,
  IN_DEPARTMENT, COMPLICATION, HAS_CAUSE, GOOD_FOOD, AVOID_FOOD, RELATED_TO) and `target` are
  required. `source_type` / `target_type` (default Concept) are guesses used only when that name
  is not described anywhere; `dataset` defaults to the source's name ("jsonl" unless
  `--source jsonl:NAME`); `predicate` is free text (default: the type).

Nodes are identified by normalized name, so a relation may name an entity defined on another
line, in another file, or by another dataset. A line that is not valid JSON or does not fit
the schema is rejected with its file and line number; the other lines are still ingested. Names
and aliases must be at most 200 characters without control characters (a line break in a name is
rejected, see `kg.normalize.name_problem`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from kg.normalize import name_problem
from kg.schema import Entity, NodeType, Relation, RelType
from kg.sources.base import EntityCache, KnownNames, Reject, Source, SourceRecord, expand_paths, usable_name

DATASET = "jsonl"


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("name", "source", "target", check_fields=False)
    @classmethod
    def _named(cls, v: str) -> str:
        if usable_name(v) is None:
            raise ValueError("must be a non-empty name")
        problem = name_problem(v.strip())
        if problem is not None:
            raise ValueError(problem)
        return v.strip()

    @field_validator("aliases", check_fields=False)
    @classmethod
    def _aliases(cls, v: list[str]) -> list[str]:
        # an unusable alias is dropped alone by the ingest's NameScreen (a rejects line naming it and
        # this line), never the whole entity line
        return [a.strip() for a in v if a.strip()]


class EntityLine(_Line):
    kind: Literal["entity"]
    name: str
    type: NodeType = NodeType.CONCEPT
    aliases: list[str] = []
    properties: dict[str, str | list[str]] = {}


class RelationLine(_Line):
    kind: Literal["relation"]
    source: str
    type: RelType
    target: str
    source_type: NodeType = NodeType.CONCEPT
    target_type: NodeType = NodeType.CONCEPT
    dataset: str | None = None
    predicate: str | None = None


Line = Annotated[EntityLine | RelationLine, Field(discriminator="kind")]
_LINE = TypeAdapter(Line)


class JsonlSource(Source):
    name = DATASET

    def __init__(self, paths: Sequence[str | Path], dataset: str = DATASET) -> None:
        self.paths = list(paths)
        self.name = dataset

    def files(self) -> list[Path]:
        return expand_paths(self.paths, "*.jsonl")

    def total(self) -> int | None:
        n = 0
        for f in self.files():
            with open(f, "rb") as fh:
                n += sum(1 for line in fh if line.strip() and not line.lstrip().startswith(b"#"))
        return n

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        cache = EntityCache(self.name)
        for path in self.files():
            with open(path, "rb") as fh:
                for lineno, raw in enumerate(fh, start=1):
                    if not raw.strip() or raw.lstrip().startswith(b"#"):
                        continue
                    yield self._line(path, lineno, raw, cache)

    def _line(self, path: Path, lineno: int, raw: bytes, cache: EntityCache) -> SourceRecord | Reject:
        text = raw.decode("utf-8", errors="replace").strip()
        try:
            line = _LINE.validate_json(raw)
        except ValidationError as exc:
            errs = exc.errors()
            if errs and errs[0]["type"] == "json_invalid":
                reason = f"invalid JSON: {errs[0]['msg']}"
            else:
                reason = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in errs[:3])
            return Reject.of(self.name, path, lineno, reason, text)
        if isinstance(line, EntityLine):
            ent = Entity(id=cache.id(line.name), type=line.type, name=line.name,
                         aliases=[a for a in dict.fromkeys(x.strip() for x in line.aliases) if a and a != line.name],
                         properties=dict(line.properties), sources=[self.name], described=True)
            return SourceRecord(entities=[ent]).at(path, lineno)
        dataset = line.dataset or self.name
        entities: list[Entity] = []
        sid = cache.weak(line.source, line.source_type, entities)
        tid = cache.weak(line.target, line.target_type, entities)
        rel = Relation(sid, line.type, tid, dataset, line.predicate or line.type.value)
        return SourceRecord(entities=entities, relations=[rel]).at(path, lineno)
