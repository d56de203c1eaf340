"""Fixtures: a small synthetic medical KG in a MemoryStore."""

from __future__ import annotations

import os
import random

import pytest

from kg.schema import Entity, NodeType, Relation, RelType
from tests.models.finetune.memstore import MemoryStore

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_A = "阿布地非格奥美普瑞头孢左氧西沙莫达他汀罗贝诺卡"
_B = "司林嗪洛尔酮唑沙星霉素胺酸平坦"
_D1 = "急慢性肺胃肠肝肾心脑皮肤关节甲状腺胆囊"
_D2 = ("炎", "病", "结石", "综合征", "功能障碍", "衰竭")
_SYMPTOMS = ["发热", "咳嗽", "头痛", "恶心", "呕吐", "腹痛", "乏力", "皮疹", "水肿", "黄疸", "胸闷", "心悸",
             "头晕", "腹泻", "便秘", "失眠", "关节痛", "尿频", "血尿", "呼吸困难"]
_CHECKS = ["血常规", "尿常规", "肝功能", "肾功能", "胸部X线", "腹部B超", "心电图", "CT", "胃镜", "血糖"]
_DEPTS = ["内科", "外科", "消化内科", "呼吸内科", "心内科", "皮肤科", "泌尿外科"]


def build_kg(store: MemoryStore, n_drugs: int = 60, n_diseases: int = 40, seed: int = 7) -> dict[str, list[Entity]]:
    """Drugs and diseases with indications, adverse reactions, symptoms, checks, drugs, departments."""
    rng = random.Random(seed)
    drugs: dict[str, Entity] = {}
    while len(drugs) < n_drugs:
        name = rng.choice(_A) + rng.choice(_A) + rng.choice(_B) + rng.choice(("片", "胶囊", "注射液"))
        drugs.setdefault(name, Entity.named(name, NodeType.DRUG, described=True, sources=["test"],
                                            aliases=[name[:-1] if name.endswith("片") else name[:-2]],
                                            properties={"用法用量": f"口服，一次{rng.randint(1, 3)}片，一日{rng.randint(1, 3)}次。"}))
    diseases: dict[str, Entity] = {}
    while len(diseases) < n_diseases:
        name = rng.choice(_D1) + rng.choice(_D1) + rng.choice(_D2)
        diseases.setdefault(name, Entity.named(name, NodeType.DISEASE, described=True, sources=["test"],
                                               properties={"病因": f"多由{rng.choice(['感染', '遗传', '饮食不当'])}引起。"}))
    symptoms = [Entity.named(s, NodeType.SYMPTOM, sources=["test"]) for s in _SYMPTOMS]
    checks = [Entity.named(c, NodeType.CHECK, sources=["test"]) for c in _CHECKS]
    depts = [Entity.named(d, NodeType.DEPARTMENT, sources=["test"]) for d in _DEPTS]
    dl, sl = list(drugs.values()), list(diseases.values())
    store.upsert_entities(dl + sl + symptoms + checks + depts)
    rels: list[Relation] = []
    for d in dl:
        for t in rng.sample(sl, rng.randint(1, 3)):
            rels.append(Relation(d.id, RelType.INDICATED_FOR, t.id, "test", "适应症"))
        for t in rng.sample(symptoms, rng.randint(0, 3)):
            rels.append(Relation(d.id, RelType.ADVERSE_REACTION, t.id, "test", "不良反应"))
    for s in sl:
        for t in rng.sample(symptoms, rng.randint(1, 4)):
            rels.append(Relation(s.id, RelType.HAS_SYMPTOM, t.id, "test", "症状"))
        for t in rng.sample(checks, rng.randint(1, 3)):
            rels.append(Relation(s.id, RelType.NEEDS_CHECK, t.id, "test", "检查"))
        for t in rng.sample(dl, rng.randint(1, 3)):
            rels.append(Relation(s.id, RelType.TREATED_BY, t.id, "test", "相关药物"))
        rels.append(Relation(s.id, RelType.IN_DEPARTMENT, rng.choice(depts).id, "test", "科室"))
    store.upsert_relations(rels)
    return {"drugs": dl, "diseases": sl}


@pytest.fixture
def kg_store() -> MemoryStore:
    store = MemoryStore()
    build_kg(store)
    return store
