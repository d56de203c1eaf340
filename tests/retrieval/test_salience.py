"""Disease → drugs by clinical salience: generics grouped by class, classes ordered by how the sources
tie them to the disease (never by degree), 中成药 after them, one count instead of a second list."""

from __future__ import annotations

from collections import Counter

from kg.schema import NodeType
from retrieval.evidence.drug_grouping import DrugGrouping, generic_of
from retrieval.evidence.ranking import RankedItem, RankedList
from retrieval.evidence.salience import candidates, group, salient_evidence
from retrieval.types import Evidence, EvidenceItem
from tests.conftest import make_evidence


def test_generic_names_drop_form_salt_and_route() -> None:
    assert generic_of("硫酸沙丁胺醇吸入气雾剂") == "沙丁胺醇"
    assert generic_of("孟鲁司特钠咀嚼片") == "孟鲁司特"
    assert generic_of("吸入用布地奈德混悬液") == "布地奈德"
    assert generic_of("丙酸倍氯米松气雾剂") == "倍氯米松"
    assert generic_of("茶碱缓释胶囊（II）") == "茶碱"
    assert generic_of("聚普瑞锌颗粒") == "聚普瑞锌"  # 锌 is part of the name, not a salt to strip


def _item(name: str, *sources: str) -> RankedItem:
    pairs = {tuple(s.split(":")) for s in sources}
    return RankedItem(name, f"id-{name}", NodeType.DRUG, datasets={d for d, _ in pairs}, sources=pairs)  # type: ignore[arg-type]


def _table() -> DrugGrouping:
    cats = {"id-硫酸沙丁胺醇片": ["β2受体激动剂"], "id-硫酸特布他林片": ["β2受体激动剂"],
            "id-布地奈德气雾剂": ["糖皮质激素"], "id-盐酸氨溴索片": ["祛痰药"], "id-氨茶碱片": ["茶碱类"]}
    size = Counter({"β2受体激动剂": 20, "糖皮质激素": 30, "祛痰药": 40, "茶碱类": 10})
    return DrugGrouping(categories=cats, size=size, tcm={"id-蛤蚧定喘丸", "id-哮喘宁颗粒"},
                      product_generics={"沙丁胺醇", "特布他林", "布地奈德", "氨溴索", "氨茶碱"})


def _asthma() -> tuple[Evidence, RankedList]:
    # ranked by connectivity the way the graph gives them: a curated-looking but peripheral drug first
    items = [
        _item("盐酸氨溴索片", "39health:drug", "cmekg:适应症"),
        _item("蛤蚧定喘丸", "xywy:common_drug", "caregpt:适应证"),
        _item("哮喘宁颗粒", "caregpt:适应证", "cmekg:适应症"),
        _item("东日", "cmekg:适应症"),  # a brand name: counted, never shown
        _item("糖皮质激素", "xywy:common_drug"),  # a class noun, not a drug
        _item("沙丁胺醇", "cmekg:药物治疗"), _item("硫酸沙丁胺醇片", "cmekg:适应症"),
        _item("硫酸沙丁胺醇气雾剂", "cmekg:适应症"), _item("硫酸特布他林片", "cmekg:适应症", "xywy:common_drug"),
        _item("布地奈德", "cmekg:药物治疗"), _item("布地奈德气雾剂", "cmekg:适应症", "39health:drug"),
        _item("氨茶碱片", "xywy:common_drug", "cmekg:适应症"),
        _item("一碗水", "cmekg:主治"),  # a materia-medica herb
    ]
    ev = make_evidence(index=1, entity_id="asthma", entity_name="哮喘", entity_type="Disease", field="TREATED_BY",
                  text="哮喘的治疗药物：" + "、".join(i.name for i in items), source="cmekg",
                  target_name="、".join(i.name for i in items),
                  items=[EvidenceItem(name=i.name, entity_id=i.target_id) for i in items])
    return ev, RankedList(items)


def test_classes_lead_with_guideline_generics_and_patent_medicines_follow() -> None:
    ev = salient_evidence(*_asthma(), _table(), "哮喘吃什么药？", "哮喘")
    text = ev.text
    head = text.removeprefix("哮喘的常用药物：").split("；")
    # the classes the disease's treatment text names (with more products / curated lists) lead
    assert set(head[:2]) == {"β2受体激动剂（沙丁胺醇、特布他林）", "糖皮质激素（布地奈德）"}
    assert text.index("中成药：") > text.index("氨溴索")  # patent medicines after the Western classes
    for noise in ("东日", "一碗水", "糖皮质激素、", "其余"):
        assert noise not in text
    assert ev.target_name is None  # not a flat list any more: the generator prints it as written
    groups = {i.name: i.group for i in ev.items}
    assert groups["硫酸沙丁胺醇气雾剂"] == "β2受体激动剂" and groups["蛤蚧定喘丸"] == "中成药"


def test_a_question_about_patent_medicines_puts_them_first_and_counts_the_rest() -> None:
    table = _table()
    ev = salient_evidence(*_asthma(), table, "哮喘吃什么中成药", "哮喘")
    assert ev.text.startswith("哮喘的常用药物：中成药：")
    generics, total = group(candidates(_asthma()[1]), table)
    assert total == len(generics)
    big, ranked = _asthma()
    ranked.items += [_item(f"测试药{i}片", "cmekg:适应症") for i in range(30)]
    n = len(group(candidates(ranked), table)[0])
    assert salient_evidence(big, ranked, table, "哮喘吃什么药", "哮喘").text.endswith(f"等{n}种")


def test_a_weakly_tied_generic_is_no_representative() -> None:
    """A one-product misspelling (对乙酰氨基栓) does not stand beside the class's main generic."""
    ev, ranked = _asthma()
    ranked.items.append(_item("盐酸妥洛特罗片", "cmekg:适应症"))
    table = _table()
    table.categories["id-盐酸妥洛特罗片"] = ["β2受体激动剂"]
    table.product_generics.add("妥洛特罗")
    text = salient_evidence(ev, ranked, table, "哮喘吃什么药", "哮喘").text
    assert "β2受体激动剂（沙丁胺醇、特布他林）" in text and "妥洛特罗" not in text


def test_a_drug_whose_label_forbids_the_disease_or_lists_it_as_a_reaction_is_not_offered() -> None:
    """甲亢 → 左甲状腺素: its only tie is an indication the same drug also lists as an adverse
    reaction; a drug whose own 禁忌 names the disease is left out and named as such."""
    from kg.schema import Entity

    ev, ranked = _asthma()
    ranked.items += [_item("左甲状腺素钠片", "cmekg:适应症"), _item("普萘洛尔片", "xywy:common_drug", "cmekg:适应症")]
    table = _table()
    table.product_generics |= {"左甲状腺素", "普萘洛尔"}
    table.also_adverse = {("id-左甲状腺素钠片", "asthma")}
    label = Entity(id="id-普萘洛尔片", type=NodeType.DRUG, name="普萘洛尔片", properties={"禁忌": "支气管哮喘、哮喘患者禁用。"})
    text = salient_evidence(ev, ranked, table, "哮喘吃什么药", "哮喘", ["哮喘"], lambda ids: [label]).text
    assert "左甲状腺素" not in text
    assert text.endswith("（说明书禁用于哮喘，未列入：普萘洛尔）")


def test_a_tie_only_one_consumer_site_states_is_counted_not_offered() -> None:
    """甲减 → 地高辛: one site's list, a label about heart failure; 左甲状腺素 is corroborated (two
    sources), 甲状腺片 by its own label. With enough corroborated drugs, the uncorroborated one is
    counted, flagged and said in one clause, never named; a rare disease keeps its one curated drug."""
    items = [_item("左甲状腺素钠片", "39health:drug", "xywy:common_drug"), _item("地高辛片", "39health:drug"),
             _item("伐昔洛韦片", "39health:drug"), _item("甲状腺片", "cmekg:适应症")]
    ev = make_evidence(index=1, entity_id="hypo", entity_name="甲减", entity_type="Disease", field="TREATED_BY",
                  text="", source="39health", items=[EvidenceItem(name=i.name, entity_id=i.target_id) for i in items])
    table = DrugGrouping(product_generics={"左甲状腺素", "地高辛", "伐昔洛韦", "甲状腺"})
    # 伐昔洛韦片's own indication edge names the disease: corroborated by its label
    labels = {"id-伐昔洛韦片": ["甲减伴发的某病"]}
    out = salient_evidence(ev, RankedList(items), table, "甲减吃什么药", "甲减", ["甲减"],
                           indications=lambda i: labels.get(i, []))
    assert "左甲状腺素" in out.text and "伐昔洛韦" in out.text and "地高辛" not in out.text
    assert out.text.endswith("等4种（另有1种仅单一来源提及、说明书未载本病，未列入）")
    flags = {i.name: (i.flag, i.reason) for i in out.items}
    assert flags["地高辛片"][0] == "uncorroborated" and "39health:drug" in flags["地高辛片"][1]
    assert flags["左甲状腺素钠片"][0] == ""
    rare = salient_evidence(ev, RankedList(items[:2]), table, "甲减吃什么药", "甲减", ["甲减"],
                            indications=lambda i: labels.get(i, []))
    assert rare.text.index("左甲状腺素") < rare.text.index("地高辛")  # kept, behind the corroborated one


def test_an_attack_lists_relievers_first_and_controllers_after() -> None:
    """哮喘急性发作: short-acting β2 agonists and ipratropium lead, 沙美特罗/孟鲁司特 only in the controller group."""
    from retrieval.types import Qualifiers

    ev, ranked = _asthma()
    ranked.items[:0] = [_item("沙美特罗替卡松粉吸入剂", "cmekg:适应症", "xywy:common_drug"),
                        _item("孟鲁司特钠片", "cmekg:适应症", "39health:drug"),
                        _item("异丙托溴铵气雾剂", "cmekg:适应症")]
    table = _table()
    table.categories |= {"id-沙美特罗替卡松粉吸入剂": ["β2受体激动剂"], "id-孟鲁司特钠片": ["白三烯受体拮抗剂"],
                         "id-异丙托溴铵气雾剂": ["抗胆碱药"]}
    table.size.update({"白三烯受体拮抗剂": 10, "抗胆碱药": 10})
    table.product_generics |= {"沙美特罗替卡松", "孟鲁司特", "异丙托溴铵"}
    plain = salient_evidence(ev, ranked, table, "哮喘吃什么药", "哮喘").text
    attack = salient_evidence(ev, ranked, table, "哮喘急性发作用什么药", "哮喘",
                              qualifiers=Qualifiers(phase="attack")).text
    assert "β2受体激动剂（沙丁胺醇、特布他林、沙美特罗替卡松）" in plain  # without the qualifier: one class
    head = attack.removeprefix("哮喘的常用药物：").split("；")
    assert head[0] == "β2受体激动剂（沙丁胺醇、特布他林）" and head[1] == "抗胆碱药（异丙托溴铵）"
    controllers = next(p for p in head if p.startswith("长期控制药"))
    assert "孟鲁司特" in controllers and "沙美特罗替卡松" in controllers
    assert attack.index("长期控制药") > attack.index("氨茶碱")  # after every reliever and neutral class


def test_a_parents_drugs_are_said_to_be_the_parents() -> None:
    """妊娠期尿路感染 has no drugs of its own: the parent's are listed under a clause naming it, each item
    citing the node whose edge ties it."""
    from retrieval.evidence.candidates import Pool, PoolNode

    items = [_item("阿莫西林胶囊", "cmekg:适应症", "xywy:common_drug")]
    items[0].entries = {"uti"}
    ev = make_evidence(index=1, entity_id="preg-uti", entity_name="妊娠期尿路感染", entity_type="Disease",
                  field="INDICATED_FOR<-", text="", source="cmekg",
                  items=[EvidenceItem(name="阿莫西林胶囊", entity_id="id-阿莫西林胶囊")])
    pool = Pool([], [PoolNode("uti", "尿路感染", "parent", "孕妇")])
    out = salient_evidence(ev, RankedList(items), DrugGrouping(), "孕妇尿路感染吃什么药", "妊娠期尿路感染", pool=pool)
    assert out.text.startswith("妊娠期尿路感染的常用药物（含上位疾病尿路感染的药物）：阿莫西林")
    assert out.items[0].via == "尿路感染"


def test_a_childs_own_drugs_lead_its_parents() -> None:
    """小儿休克's own curated drugs stay first; the parent 休克's stronger list follows them."""
    from retrieval.evidence.candidates import Pool, PoolNode

    own = _item("氢化可的松片", "xywy:common_drug", "cmekg:适应症")
    own.entries = {"child"}
    parent = _item("多巴胺注射液", "xywy:common_drug", "cmekg:适应症", "39health:drug", "caregpt:适应证")
    parent.entries = {"shock"}
    ev = make_evidence(index=1, entity_id="child", entity_name="小儿休克", entity_type="Disease", field="TREATED_BY",
                  text="", source="xywy", items=[])
    pool = Pool([], [PoolNode("shock", "休克", "parent", "小儿")])
    text = salient_evidence(ev, RankedList([parent, own]), DrugGrouping(), "小儿休克用什么药", "小儿休克",
                            pool=pool).text
    assert text.startswith("小儿休克的常用药物（含上位疾病休克的药物）：氢化可的松；多巴胺")
