"""xywy (寻医问药) diseases: files `medical_N.json`, each one JSON object `{"<n>": record}`.

One described Disease per record. Property keys (all optional, empty values skipped):

=================  ===========================  =========
key                xywy field                   value
=================  ===========================  =========
简介               gaishu_info.desc             text
病因               cause_info                   text
预防               prevent_info                 text
护理               nursing_info                 text
症状详情           symptom_data.symptom_detail  list
医保               gaishu_info.medical_insurance text
患病比例           gaishu_info.disease_ratio     text
易感人群           gaishu_info.susceptible_people text
传播途径           gaishu_info.transmission_way  text
治疗方式           gaishu_info.treat_way         list
治疗周期           gaishu_info.treat_cycle       text
治愈率             gaishu_info.cure_prob         text
治疗费用           gaishu_info.treat_cost        text
宜食               food_info.good_diet_text      text
忌食               food_info.avoid_diet_text     text
推荐食谱           food_info.recommand_recipes   list
=================  ===========================  =========

Relations (dataset "xywy", predicate = the xywy field name): HAS_SYMPTOM→Symptom (symptoms),
NEEDS_CHECK→Check (inspect_info), TREATED_BY→Drug (common_drug), IN_DEPARTMENT→Department
(belongs_to_department), COMPLICATION→Disease (has_complication), GOOD_FOOD/AVOID_FOOD→Food
(good_food / avoid_food).

A list item cut off with "..." never becomes a node: it is resolved to the one node of the
relation's target type in the graph (`KnownNames`) whose name starts with the cut text, or else
kept as a list property: 症状_截断, 检查_截断, 常用药物_截断, 科室_截断, 并发症_截断, 宜吃食物_截断,
忌吃食物_截断.

A record without a name or with a field of the wrong type is rejected whole (file + record
key); a file that is not valid JSON is rejected whole and the other files are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from kg.schema import Entity, NodeType, Relation, RelType, provenance
from kg.sources.base import (
    EntityCache,
    KnownNames,
    PrefixIndex,
    Reject,
    Source,
    SourceRecord,
    cut_text,
    expand_paths,
    usable_name,
)
from kg.text import clean_property

DATASET = "xywy"
FILE_PATTERN = "medical_*.json"


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Gaishu(_Model):
    name: str | None = None
    desc: str = ""
    medical_insurance: str = ""
    disease_ratio: str = ""
    susceptible_people: str = ""
    transmission_way: str = ""
    has_complication: list[str] = []
    belongs_to_department: list[str] = []
    treat_way: list[str] = []
    treat_cycle: str = ""
    cure_prob: str = ""
    common_drug: list[str] = []
    treat_cost: str = ""


class SymptomData(_Model):
    symptoms: list[str] = []
    symptom_detail: list[str] = []


class FoodInfo(_Model):
    good_diet_text: str = ""
    avoid_diet_text: str = ""
    recommand_recipes: list[str] = []
    good_food: list[str] = []
    avoid_food: list[str] = []


class XywyRecord(_Model):
    gaishu_info: Gaishu = Gaishu()
    cause_info: str = ""
    prevent_info: str = ""
    nursing_info: str = ""
    symptom_data: SymptomData = SymptomData()
    inspect_info: list[str] = []
    food_info: FoodInfo = FoodInfo()


def _properties(r: XywyRecord) -> dict[str, str | list[str]]:
    g, f = r.gaishu_info, r.food_info
    pairs: list[tuple[str, str | list[str]]] = [
        ("简介", g.desc), ("病因", r.cause_info), ("预防", r.prevent_info), ("护理", r.nursing_info),
        ("症状详情", r.symptom_data.symptom_detail), ("医保", g.medical_insurance),
        ("患病比例", g.disease_ratio), ("易感人群", g.susceptible_people), ("传播途径", g.transmission_way),
        ("治疗方式", g.treat_way), ("治疗周期", g.treat_cycle), ("治愈率", g.cure_prob),
        ("治疗费用", g.treat_cost), ("宜食", f.good_diet_text), ("忌食", f.avoid_diet_text),
        ("推荐食谱", f.recommand_recipes),
    ]
    out: dict[str, str | list[str]] = {}
    for key, value in pairs:  # scraped texts are cleaned of join artefacts (kg.text)
        if isinstance(value, str):
            if value.strip():
                out[key] = clean_property(key, value)
        else:
            items = [clean_property(key, v) for v in value if v.strip()]
            if items:
                out[key] = list(dict.fromkeys(items))
    return out


def _relations(r: XywyRecord) -> list[tuple[str, RelType, NodeType, list[str]]]:
    g, f = r.gaishu_info, r.food_info
    return [
        ("symptoms", RelType.HAS_SYMPTOM, NodeType.SYMPTOM, r.symptom_data.symptoms),
        ("inspect_info", RelType.NEEDS_CHECK, NodeType.CHECK, r.inspect_info),
        ("common_drug", RelType.TREATED_BY, NodeType.DRUG, g.common_drug),
        ("belongs_to_department", RelType.IN_DEPARTMENT, NodeType.DEPARTMENT, g.belongs_to_department),
        ("has_complication", RelType.COMPLICATION, NodeType.DISEASE, g.has_complication),
        ("good_food", RelType.GOOD_FOOD, NodeType.FOOD, f.good_food),
        ("avoid_food", RelType.AVOID_FOOD, NodeType.FOOD, f.avoid_food),
    ]


#: property key → the xywy field it comes from (recorded as provenance at ingest)
PROPERTY_FIELDS = {
    "简介": "gaishu_info.desc", "病因": "cause_info", "预防": "prevent_info", "护理": "nursing_info",
    "症状详情": "symptom_data.symptom_detail", "医保": "gaishu_info.medical_insurance",
    "患病比例": "gaishu_info.disease_ratio", "易感人群": "gaishu_info.susceptible_people",
    "传播途径": "gaishu_info.transmission_way", "治疗方式": "gaishu_info.treat_way",
    "治疗周期": "gaishu_info.treat_cycle", "治愈率": "gaishu_info.cure_prob", "治疗费用": "gaishu_info.treat_cost",
    "宜食": "food_info.good_diet_text", "忌食": "food_info.avoid_diet_text",
    "推荐食谱": "food_info.recommand_recipes", "症状_截断": "symptom_data.symptoms", "检查_截断": "inspect_info",
    "常用药物_截断": "gaishu_info.common_drug", "科室_截断": "gaishu_info.belongs_to_department",
    "并发症_截断": "gaishu_info.has_complication", "宜吃食物_截断": "food_info.good_food",
    "忌吃食物_截断": "food_info.avoid_food",
}

TRUNCATED_KEYS = {"symptoms": "症状_截断", "inspect_info": "检查_截断", "common_drug": "常用药物_截断",
                  "belongs_to_department": "科室_截断", "has_complication": "并发症_截断",
                  "good_food": "宜吃食物_截断", "avoid_food": "忌吃食物_截断"}


class XywySource(Source):
    name = DATASET
    uses_known_names = True

    def __init__(self, paths: Sequence[str | Path], dataset: str = DATASET) -> None:
        self.paths = list(paths)
        self.name = dataset
        self._files: list[Path] | None = None

    def files(self) -> list[Path]:
        if self._files is None:
            self._files = expand_paths(self.paths, FILE_PATTERN)
        return self._files

    def total(self) -> int | None:
        self.files()  # a missing path fails here, before anything is written
        return None  # counting needs parsing every file; progress is per record

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        cache = EntityCache(self.name)
        prefixes = {t: PrefixIndex.of_type(known, t) for t in
                    (NodeType.SYMPTOM, NodeType.CHECK, NodeType.DRUG, NodeType.DEPARTMENT, NodeType.DISEASE,
                     NodeType.FOOD)}
        for path in self.files():
            try:
                data = json.loads(path.read_bytes())
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield Reject.of(self.name, path, "*", f"file is not valid JSON: {exc}")
                continue
            if not isinstance(data, dict):
                yield Reject.of(self.name, path, "*", f"expected an object of records, got {type(data).__name__}")
                continue
            for key, raw in data.items():
                yield self._record(path, key, raw, cache, prefixes)

    def _record(self, path: Path, key: str, raw: object, cache: EntityCache,
                prefixes: dict[NodeType, PrefixIndex]) -> SourceRecord | Reject:
        try:
            rec = XywyRecord.model_validate(raw)
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
            return Reject.of(self.name, path, key, f"wrong types: {reason}", _raw(raw))
        name = usable_name(rec.gaishu_info.name)
        if name is None:
            return Reject.of(self.name, path, key, "record has no disease name (gaishu_info.name)", _raw(raw))
        sid = cache.id(name)
        props = _properties(rec)
        entities = [Entity(id=sid, type=NodeType.DISEASE, name=name, properties=props,
                           sources=[self.name], described=True)]
        relations: list[Relation] = []
        seen: set[tuple[RelType, str]] = set()
        for field, rel, ttype, values in _relations(rec):
            truncated: list[str] = []
            for v in values:
                target = usable_name(v)
                if target is None:
                    continue
                cut = cut_text(target)
                if cut is not None:
                    hit = prefixes[ttype].resolve(cut)
                    if hit is None:
                        truncated.append(target)
                        continue
                    target = hit[1]
                tid = cache.weak(target, ttype, entities)
                if (rel, tid) not in seen:
                    seen.add((rel, tid))
                    relations.append(Relation(sid, rel, tid, self.name, field))
            if truncated:
                props[TRUNCATED_KEYS[field]] = list(dict.fromkeys(truncated))
        entities[0].property_sources = provenance(props, self.name, PROPERTY_FIELDS)
        return SourceRecord(entities=entities, relations=relations).at(path, key)


def _raw(raw: object) -> str:
    try:
        return json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(raw)
