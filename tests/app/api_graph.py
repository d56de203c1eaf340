"""A small, hand-written real graph (embedded ladybug) for the API, schemathesis and browser tests."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from kg.schema import Entity, NodeType, PropSource, Relation, RelType

DRUG = "非布司他片"
ALLOPURINOL = "别嘌醇片"

_ENTITIES: list[tuple[str, NodeType, list[str], dict[str, str | list[str]], list[str]]] = [
    (DRUG, NodeType.DRUG, ["非布司他", "Febuxostat Tablets"],
     {"简介": "非布司他片是黄嘌呤氧化酶抑制剂，用于降低血尿酸。", "用法用量": "口服，一次40mg，一日一次。"},
     ["cmekg", "caregpt"]),
    (ALLOPURINOL, NodeType.DRUG, ["别嘌醇"], {"简介": "别嘌醇片用于原发性和继发性高尿酸血症。", "OTC类型": "处方药"},
     ["cmekg"]),
    ("痛风", NodeType.DISEASE, ["痛风病"], {"简介": "痛风是嘌呤代谢紊乱所致的疾病，表现为关节红肿热痛。"}, ["xywy", "cmekg"]),
    ("高尿酸血症", NodeType.DISEASE, [], {"简介": "血尿酸水平升高。"}, ["cmekg"]),
    ("肝功能异常", NodeType.SYMPTOM, [], {}, ["cmekg"]),
    ("恶心", NodeType.SYMPTOM, [], {}, ["cmekg"]),
    ("皮疹", NodeType.SYMPTOM, [], {}, ["cmekg"]),
    ("关节痛", NodeType.SYMPTOM, [], {}, ["xywy"]),
    ("血尿酸", NodeType.CHECK, [], {}, ["xywy"]),
    ("风湿免疫科", NodeType.DEPARTMENT, [], {}, ["xywy"]),
]

_RELATIONS: list[tuple[str, RelType, str, str, str]] = [
    (DRUG, RelType.INDICATED_FOR, "痛风", "cmekg", "适应症"),
    (DRUG, RelType.INDICATED_FOR, "高尿酸血症", "cmekg", "适应症"),
    (DRUG, RelType.INDICATED_FOR, "痛风", "caregpt", "适应证"),
    (DRUG, RelType.ADVERSE_REACTION, "肝功能异常", "cmekg", "不良反应"),
    (DRUG, RelType.ADVERSE_REACTION, "恶心", "cmekg", "不良反应"),
    (DRUG, RelType.ADVERSE_REACTION, "皮疹", "cmekg", "不良反应"),
    (ALLOPURINOL, RelType.INDICATED_FOR, "痛风", "cmekg", "适应症"),
    (ALLOPURINOL, RelType.ADVERSE_REACTION, "皮疹", "cmekg", "不良反应"),
    ("痛风", RelType.HAS_SYMPTOM, "关节痛", "xywy", "symptoms"),
    ("痛风", RelType.NEEDS_CHECK, "血尿酸", "xywy", "inspect_info"),
    ("痛风", RelType.IN_DEPARTMENT, "风湿免疫科", "xywy", "belongs_to_department"),
    ("痛风", RelType.TREATED_BY, DRUG, "xywy", "common_drug"),
]


#: recorded provenance: a regulatory field written by one consumer site alone (the card labels it so)
_PROPERTY_SOURCES: dict[str, dict[str, list[PropSource]]] = {
    ALLOPURINOL: {"OTC类型": [PropSource("xywy", "药品类型")]},
}


def entities() -> list[Entity]:
    return [Entity.named(n, t, aliases=a, properties=p, sources=s, described=True,
                         property_sources=_PROPERTY_SOURCES.get(n, {})) for n, t, a, p, s in _ENTITIES]


def relations() -> list[Relation]:
    ids = {e.name: e.id for e in entities()}
    return [Relation(ids[s], t, ids[o], ds, pred) for s, t, o, ds, pred in _RELATIONS]


def build_graph(home: Path) -> Settings:
    """Write the graph under `home` (closed again, so workers can open it read-only); return settings."""
    from kg.stores.ladybug import LadybugStore

    settings = settings_for(home)
    store = LadybugStore(settings.graph_path)
    try:
        store.upsert_entities(entities())
        store.upsert_relations(relations())
    finally:
        store.close()
    return settings


def settings_for(home: Path, **overrides: object) -> Settings:
    """Extractive generator, no dense index (no embedding model to load): fast and deterministic."""
    values: dict[str, object] = {"home": home, "graph": "embedded", "generator": "extractive", "dense": False}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def entity_id_of(name: str) -> str:
    return next(e.id for e in entities() if e.name == name)


_FILLER = "患者精神可，饮食睡眠尚可，大小便正常，体重无明显变化。"


def case_summary_text(chars: int = 1500) -> str:
    """A case summary of `chars` characters naming this graph's two drugs and two diseases."""
    head = (f"患者男，52岁，因右足第一跖趾关节红肿热痛3天入院。既往痛风病史5年，间断口服{ALLOPURINOL}，"
            f"近期血尿酸升高，诊断为高尿酸血症。门诊予{DRUG}每日一次口服。")
    return (head + _FILLER * ((chars - len(head)) // len(_FILLER) + 1))[:chars]
