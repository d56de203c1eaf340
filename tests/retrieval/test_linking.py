"""Entity linking on a small hand-made name index: variants, brands, English names, typos."""

from __future__ import annotations

import pytest

from kg.schema import NameEntry, entity_id
from retrieval.linking import LINK_THRESHOLD, EntityLinker, scores

NAMES = [
    ("地屈孕酮片", "Drug", ["达芙通", "Dydrogesterone Tablets"]),
    ("盐酸二甲双胍片", "Drug", ["格华止"]),
    ("二甲双胍缓释片", "Drug", []),
    ("非布司他片", "Drug", ["优立通", "Febuxostat Tablets"]),
    ("兰索拉唑肠溶片", "Drug", []),
    ("布洛芬胶囊", "Drug", []),
    ("百日咳", "Disease", ["顿咳"]),
    ("痛风", "Disease", []),
    ("头痛", "Disease", []),
    ("头痛", "Symptom", []),  # same name, other type: merged into one node by id in real graphs
    ("消化性溃疡", "Disease", []),
    ("治疗消化性溃疡", "Symptom", []),  # a noisy mention-only node
    ("引起", "Symptom", []),
    ("不良", "Symptom", []),
]
MENTION_ONLY = {"治疗消化性溃疡", "引起", "不良"}


@pytest.fixture(scope="module")
def linker() -> EntityLinker:
    rows = [NameEntry.of(entity_id(n) + ("s" if t == "Symptom" and n == "头痛" else ""), t, n, a) for n, t, a in NAMES]
    described = {r[0] for r in rows if r[2] not in MENTION_ONLY}
    return EntityLinker(rows, described)


def top(linker: EntityLinker, q: str) -> tuple[str, str]:
    found = linker.link(q)
    assert found, f"nothing linked in {q!r}"
    return found[0].name, found[0].method


@pytest.mark.parametrize(("question", "name"), [
    ("地屈孕酮片有什么副作用", "地屈孕酮片"),
    ("地屈孕酮有什么副作用", "地屈孕酮片"),  # without the dosage form
    ("达芙通怎么吃", "地屈孕酮片"),  # brand name
    ("盐酸二甲双胍的禁忌", "盐酸二甲双胍片"),
    ("二甲双胍片怎么吃", "盐酸二甲双胍片"),  # salt-stripped variant, generic name preferred
    ("Febuxostat Tablets的适应症", "非布司他片"),  # English name
    ("ＦＥＢＵＸＯＳＴＡＴ　ＴＡＢＬＥＴＳ的适应症", "非布司他片"),  # full width, upper case
    ("兰索拉唑能治什么", "兰索拉唑肠溶片"),
    ("顿咳会有什么感觉", "百日咳"),
    ("哪些药物能治疗消化性溃疡？", "消化性溃疡"),  # described entity beats the noisy longer mention
])
def test_links_names_aliases_and_variants(linker: EntityLinker, question: str, name: str) -> None:
    assert top(linker, question)[0] == name


def test_mention_offsets_point_into_the_question(linker: EntityLinker) -> None:
    q = "请问优立通的作用"
    found = linker.link(q)[0]
    assert q[found.start:found.end] == found.mention == "优立通"


def test_small_typo_is_linked_fuzzily_with_lower_confidence(linker: EntityLinker) -> None:
    found = linker.link("非布斯他片的适应症是什么")
    assert found[0].name == "非布司他片" and found[0].method == "typo"
    assert found[0].score == scores.SAME_SOUND_TYPO < scores.NAME_VARIANT


@pytest.mark.parametrize("question", ["氟卡替尼片能治什么病", "今天天气怎么样", "帮我写一首诗", "3加5等于几"])
def test_unknown_or_off_topic_links_nothing_confident(linker: EntityLinker, question: str) -> None:
    assert all(e.score < LINK_THRESHOLD for e in linker.link(question))


def test_question_vocabulary_is_not_linked(linker: EntityLinker) -> None:
    names = [e.name for e in linker.link("布洛芬胶囊的不良反应")]
    assert names == ["布洛芬胶囊"]


def test_type_preference_breaks_same_name_ties(linker: EntityLinker) -> None:
    from kg.schema import NodeType

    assert linker.link("头痛", prefer=[NodeType.SYMPTOM])[0].type == "Symptom"
    assert linker.link("头痛", prefer=[NodeType.DISEASE])[0].type == "Disease"


def test_mention_glued_to_a_dosage_form_is_a_near_miss(linker: EntityLinker) -> None:
    # "布洛芬胶囊" is known, "痛风片" is not a drug in the KG: 痛风 followed by 片 is part of a longer name
    result = linker.analyse("痛风片有什么副作用")
    assert result.entities == []
    assert [m.mention for m in result.near_misses] == ["痛风片"]
    assert [s.name for s in result.near_misses[0].suggestions] == ["痛风"]


@pytest.mark.parametrize(("question", "mention", "suggested"), [
    ("痛风石有哪些症状", "痛风石", "痛风"),          # a longer disease name the graph lacks
    ("非布司他坦丁的适应症是什么", "非布司他坦丁", None),  # a longer (invented) drug name
    ("百日咳菌是什么", "百日咳菌", "百日咳"),
])
def test_unknown_characters_right_before_the_question_belong_to_the_name(
        linker: EntityLinker, question: str, mention: str, suggested: str | None) -> None:
    """The asked-about name is everything up to the question ("…有哪些", "…的适应症"): a known name
    covering only part of it is a partial match, answered with a suggestion, never with its facts."""
    result = linker.analyse(question)
    assert result.entities == [], result.entities
    assert [m.mention for m in result.near_misses] == [mention]
    if suggested:
        assert suggested in [s.name for s in result.near_misses[0].suggestions]


@pytest.mark.parametrize("question", ["布洛芬胶襄有什么副作用", "布洛芬胶襄孕妇能吃吗", "布洛芬交囊的用法"])
def test_a_misspelled_dosage_form_links_the_product_of_the_intended_form(linker: EntityLinker,
                                                                       question: str) -> None:
    assert top(linker, question) == ("布洛芬胶囊", "typo")


def test_a_misspelled_form_the_graph_lacks_for_that_drug_is_a_near_miss(linker: EntityLinker) -> None:
    result = linker.analyse("非布司他胶襄有什么副作用")  # the graph has 非布司他片 only
    assert result.entities == [] and result.near_misses[0].mention == "非布司他胶襄"


@pytest.mark.parametrize("question", [
    "痛风药有哪些", "痛风后有什么症状", "痛风人群的饮食", "痛风最明显的症状有哪些", "痛风发作怎么办",
    "痛风相关的检查有哪些", "痛风一天吃几次药", "痛风患者的饮食", "痛风会有什么感觉",
])
def test_context_after_a_name_is_not_more_of_the_name(linker: EntityLinker, question: str) -> None:
    assert top(linker, question)[0] == "痛风"


@pytest.mark.parametrize("question", ["哪里可以买到非布司他片", "吃过非布司他片的人", "给孩子喂些布洛芬胶囊"])
def test_a_verb_or_particle_before_a_drug_name_is_not_part_of_it(linker: EntityLinker, question: str) -> None:
    assert top(linker, question)[0] in ("非布司他片", "布洛芬胶囊")


@pytest.mark.parametrize(("question", "linked"), [
    ("菲布司他片的适应症", True),   # 菲/非 sound the same: a pinyin-input typo
    ("非布丁他片的适应症", False),  # 丁/司 do not: a different (invented) name
    ("百日刻会有什么感觉", False),  # 3-character names never match fuzzily
])
def test_fuzzy_accepts_only_sound_alike_typos(linker: EntityLinker, question: str, linked: bool) -> None:
    found = [e for e in linker.link(question) if e.score >= LINK_THRESHOLD]
    assert bool(found) == linked


def test_an_extra_leading_character_is_not_a_dropped_one(linker: EntityLinker) -> None:
    # "X兰索拉唑肠溶片": a window of the written name minus one character equals a graph name,
    # but the user wrote a different, longer name
    result = linker.analyse("卡兰索拉唑肠溶片的适应症")
    assert result.entities == [] and result.near_misses[0].mention == "卡兰索拉唑肠溶片"


def test_a_brand_inside_a_generic_name_does_not_cut_it() -> None:
    """瑞舒 is a brand (米格列醇片) and the first two characters of 瑞舒伐他汀: the generic name, a key of
    the described 瑞舒伐他汀钙片 once its cation is dropped, must win over the brand inside it."""
    names = [("瑞舒", "Drug", ["米格列醇片"]), ("瑞舒伐他汀钙片", "Drug", ["可定"]), ("瑞舒伐他汀", "Drug", []),
             ("他汀", "Drug", [])]
    rows = [NameEntry.of(entity_id(n), t, n, a) for n, t, a in names]
    linked = EntityLinker(rows, {entity_id("瑞舒"), entity_id("瑞舒伐他汀钙片"), entity_id("他汀")})
    found = linked.link("瑞舒伐他汀有什么副作用")
    assert [(e.name, e.mention) for e in found] == [("瑞舒伐他汀钙片", "瑞舒伐他汀")]


def test_a_product_alias_never_cuts_a_symptom_in_two() -> None:
    """儿童咳 is an alias of 儿童咳颗粒; in 儿童咳嗽 it would cut the symptom 咳嗽: the symptom is linked."""
    names = [("儿童咳颗粒", "Drug", ["儿童咳"]), ("咳嗽", "Symptom", [])]
    rows = [NameEntry.of(entity_id(n), t, n, a) for n, t, a in names]
    linked = EntityLinker(rows, {r[0] for r in rows})
    assert [(e.name, e.mention) for e in linked.link("儿童咳嗽吃什么药")] == [("咳嗽", "咳嗽")]
    assert [e.name for e in linked.link("儿童咳有什么副作用")] == ["儿童咳颗粒"]
