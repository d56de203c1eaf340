"""Pair questions beyond names: a metal cation with a drug it binds (间隔服用 first, by the cation family or a
bare listed 钙), an allergy stated only as a CONTRAINDICATED fact, and a comparison's 用药注意 row — the
warning one drug's label gives and the other's never names (read from same-generic products)."""

from __future__ import annotations

import pytest

from kg.schema import Entity, NodeType, Relation, RelType
from kg.stores.ladybug import LadybugStore
from retrieval.pairs.class_terms import absorption_pair, class_names_of, elements_of, generic_of
from retrieval.pairs.differences import distinct_warnings
from retrieval.pairs.interactions import VERDICT_FIELD, verdict_of
from retrieval.retriever import Retriever
from retrieval.types import Verdict

_DRUGS: list[tuple[str, dict[str, str]]] = [
    ("左氧氟沙星片", {"药品类型": "处方药"}),
    ("铝碳酸镁咀嚼片", {"药品类型": "非处方药"}),
    ("盐酸多西环素片", {"药品类型": "处方药"}),
    ("碳酸钙片", {"药品类型": "非处方药"}),
    ("阿莫西林胶囊", {"药品类型": "处方药"}),
    ("甲巯咪唑片", {"适应证": "用于甲状腺功能亢进症。", "注意事项": "对本品过敏者禁用。"}),
    ("丙硫氧嘧啶片", {"适应证": "用于甲状腺功能亢进症。"}),
    ("丙硫氧嘧啶肠溶片", {"注意事项": "外周血白细胞偏低、肝功能异常患者慎用。应定期检查血象及肝功能。"}),
]
_CONCEPTS = [("镁的制酸药", NodeType.DRUG), ("钙", NodeType.DRUG), ("甲状腺功能亢进症", NodeType.DISEASE),
             ("青霉素过敏及青霉素皮肤试验阳性患者禁用", NodeType.CONCEPT)]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    store = LadybugStore(tmp_path_factory.mktemp("pair_families") / "graph")
    ents = [Entity.named(n, NodeType.DRUG, properties=p, sources=["cmekg"], described=True) for n, p in _DRUGS]
    ents += [Entity.named(n, t, sources=["cmekg"], described=False) for n, t in _CONCEPTS]
    ids = {e.name: e.id for e in ents}

    def rel(a: str, t: RelType, b: str, pred: str) -> Relation:
        return Relation(ids[a], t, ids[b], "cmekg", pred)

    store.upsert_entities(ents)
    store.upsert_relations([
        rel("左氧氟沙星片", RelType.INTERACTS_WITH, "镁的制酸药", "药物相互作用"),
        rel("盐酸多西环素片", RelType.INTERACTS_WITH, "钙", "药物相互作用"),
        rel("阿莫西林胶囊", RelType.CONTRAINDICATED, "青霉素过敏及青霉素皮肤试验阳性患者禁用", "禁忌"),
        rel("甲巯咪唑片", RelType.INDICATED_FOR, "甲状腺功能亢进症", "适应症"),
        rel("丙硫氧嘧啶片", RelType.INDICATED_FOR, "甲状腺功能亢进症", "适应症"),
    ])
    r = Retriever(store)
    r.warm_up()
    return r


def test_cation_families_and_salts() -> None:
    assert generic_of("碳酸钙片") == "碳酸钙" and generic_of("氯沙坦钾片") == "氯沙坦"  # 碳酸 is no drug
    assert "抗酸药" in class_names_of("铝碳酸镁") and "铁剂" in class_names_of("硫酸亚铁")
    assert absorption_pair("左氧氟沙星", "铝碳酸镁") and absorption_pair("碳酸钙", "多西环素")
    assert not absorption_pair("氯沙坦", "碳酸钙")
    assert elements_of("碳酸钙") == ("钙",) and elements_of("碳酸锂") == ("锂",)
    assert verdict_of("本药可减少四环素类、氟喹诺酮类的吸收。") == Verdict.SEPARATE
    assert verdict_of("抗酸药可增加伪麻黄碱的吸收率。") == Verdict.LISTED  # more absorbed: no spacing


def test_a_listed_antacid_means_take_apart(retriever: Retriever) -> None:
    res = retriever.retrieve("左氧氟沙星和铝碳酸镁能一起吃吗")
    assert res.pair is not None and res.pair.verdict == Verdict.SEPARATE
    assert res.evidence[0].field == VERDICT_FIELD and "间隔服用" in res.evidence[0].text
    res = retriever.retrieve("多西环素和碳酸钙能一起吃吗")  # the label lists a bare 钙
    assert res.pair is not None and res.pair.verdict == Verdict.SEPARATE


def test_an_allergy_read_from_a_contraindicated_fact(retriever: Retriever) -> None:
    res = retriever.retrieve("青霉素过敏能用阿莫西林吗")
    assert res.pair is not None and res.pair.verdict == Verdict.AVOID
    assert any("青霉素过敏" in e.text for e in res.evidence[1:])


def test_comparison_shows_the_warning_one_side_lacks(retriever: Retriever) -> None:
    res = retriever.retrieve("甲巯咪唑和丙硫氧嘧啶有什么区别")
    rows = [e for e in res.evidence if e.field == "对比·用药注意"]
    assert len(rows) == 1 and "肝功能异常" in rows[0].text and "见同成分丙硫氧嘧啶肠溶片" in rows[0].text
    fields = [e.field for e in res.evidence]
    assert fields.index("对比·用药注意") < fields.index("对比·主要适应症")  # right after the classes


def test_distinct_warnings_skip_shared_topics() -> None:
    a = Entity.named("甲药片", NodeType.DRUG, properties={"注意事项": "肝功能不全者慎用。孕妇禁用。"})
    b = Entity.named("乙药片", NodeType.DRUG, properties={"禁忌": "孕妇禁用。"})
    assert [w.text for w in distinct_warnings([a], [b])] == ["肝功能不全者慎用"]
    assert distinct_warnings([b], [a]) == []
