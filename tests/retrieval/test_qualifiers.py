"""Issue 17 point 5 on a small fixture graph: qualifiers stay qualifiers in follow-ups (急性期, 发作, 孩子),
a symptom in a drug follow-up is the question's condition, and a drug alias never turns a symptom word
into a product."""

from __future__ import annotations

import pytest

from kg.schema import Entity, NodeType, Relation, RelType
from kg.stores.ladybug import LadybugStore
from retrieval.linking import find_qualifiers
from retrieval.retriever import Retriever
from retrieval.types import LinkedEntity

D, S, DR = NodeType.DISEASE, NodeType.SYMPTOM, NodeType.DRUG
_DESCRIBED: list[tuple[str, NodeType, list[str], dict[str, str]]] = [
    ("右美沙芬", DR, [], {"适应证": "用于干咳。", "注意事项": "儿童用量请咨询医师。", "禁忌证": "有精神病史者禁用。"}),
    ("咳嗽糖浆", DR, ["咳嗽"], {"功能主治": "止咳化痰。"}),  # a product whose alias is a symptom word
    ("喉痛片", DR, ["喉痛"], {"功能主治": "清热利咽。"}),
    ("奥扎格雷", DR, [], {"适应证": "用于脑血栓形成急性期。"}),
    ("胰酶肠溶胶囊", DR, [], {"适应证": "用于胰腺外分泌不足。"}),
    ("舒马普坦", DR, [], {"适应证": "用于偏头痛急性发作。"}),
    ("咳嗽", D, [], {"简介": "咳嗽是呼吸道的防御反射。"}),
    ("胰腺炎", D, [], {"简介": "胰腺的炎症。"}),
    ("偏头痛", D, [], {"简介": "反复发作的一侧头痛。"}),
    ("急性胃炎", D, [], {"简介": "胃黏膜的急性炎症。"}),
    ("胃炎", D, [], {"简介": "胃黏膜的炎症。"}),
    ("腹泻", D, [], {"简介": "排便次数增多。"}),
    ("蒙脱石散", DR, [], {"适应证": "用于成人及儿童急、慢性腹泻。"}),
]
#: noisy mention-only nodes, as in the real graph
_MENTIONED = [("急性", S), ("急性期", S), ("喉痛", S), ("加重", S)]
_RELATIONS = [("奥扎格雷", RelType.INDICATED_FOR, "急性期"), ("胰腺炎", RelType.TREATED_BY, "胰酶肠溶胶囊"),
              ("偏头痛", RelType.TREATED_BY, "舒马普坦"), ("喉痛片", RelType.INDICATED_FOR, "喉痛"),
              ("右美沙芬", RelType.INDICATED_FOR, "咳嗽"), ("胃炎", RelType.TREATED_BY, "胰酶肠溶胶囊"),
              ("急性胃炎", RelType.TREATED_BY, "胰酶肠溶胶囊"), ("腹泻", RelType.TREATED_BY, "蒙脱石散")]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    store = LadybugStore(tmp_path_factory.mktemp("qualifiers") / "graph")
    ents = [Entity.named(n, t, aliases=a, properties=p, sources=["cmekg"], described=True) for n, t, a, p in _DESCRIBED]
    ents += [Entity.named(n, t, sources=["cmekg"], described=False) for n, t in _MENTIONED]
    ids = {e.name: e.id for e in ents}
    store.upsert_entities(ents)
    store.upsert_relations([Relation(ids[s], r, ids[o], "cmekg", "fixture") for s, r, o in _RELATIONS])
    r = Retriever(store)
    r.warm_up()
    return r


@pytest.mark.parametrize(("question", "phase", "population", "time"), [
    ("急性发作吃什么药？", "attack", "", ""),
    ("发作时用什么药？", "attack", "", ""),
    ("急性期怎么治疗？", "acute", "", ""),
    ("慢阻肺急性加重用什么药？", "attack", "", ""),
    ("急救用什么药", "attack", "", ""),
    ("缓解期需要一直吃药吗", "maintenance", "", ""),
    ("孩子咳嗽能用吗？", "", "child", ""),
    ("老人夜间咳嗽怎么办", "", "elderly", "night"),
    ("哺乳期妇女失眠能吃什么药？", "", "lactating", ""),
])
def test_qualifier_words(question: str, phase: str, population: str, time: str) -> None:
    q = find_qualifiers(question)
    assert (q.phase, q.population, q.time) == (phase, population, time)
    assert q.reliever == (phase in ("attack", "acute"))


def test_words_inside_a_linked_name_are_no_qualifiers() -> None:
    named = [LinkedEntity(id="a", name="小儿感冒颗粒", type="Drug", mention="小儿感冒颗粒", score=1.0),
             LinkedEntity(id="b", name="急性胃炎", type="Disease", mention="急性胃炎", score=1.0)]
    q = find_qualifiers("小儿感冒颗粒老人能吃吗，急性胃炎呢", named)
    assert (q.population, q.phase, q.words) == ("elderly", "", ["老人"])


@pytest.mark.parametrize(("history", "question", "entity", "phase"), [
    ("胰腺炎是什么病？", "急性期怎么治疗？", "胰腺炎", "acute"),  # was: 急性期 linked, answered 奥扎格雷
    ("偏头痛是什么病？", "急性发作吃什么药？", "偏头痛", "attack"),  # was: 急性 linked, refused
])
def test_a_qualifier_refines_the_inherited_entity(retriever: Retriever, history: str, question: str, entity: str,
                                                  phase: str) -> None:
    res = retriever.retrieve(question, [history])
    assert [(e.name, e.method) for e in res.entities] == [(entity, "history")]
    assert res.qualifiers.phase == phase and res.qualifiers.reliever
    assert res.evidence and all("奥扎格雷" not in e.text for e in res.evidence)


def test_a_symptom_in_a_drug_follow_up_is_its_condition(retriever: Retriever) -> None:
    res = retriever.retrieve("孩子咳嗽能用吗？", ["右美沙芬是治什么的？"])
    assert (res.entities[0].name, res.entities[0].method) == ("右美沙芬", "history")
    assert "咳嗽糖浆" not in [e.name for e in res.entities]
    q = res.qualifiers
    assert (q.population, q.condition, q.child) == ("child", "咳嗽", True)
    assert res.evidence and all(e.entity_name == "右美沙芬" for e in res.evidence)


@pytest.mark.parametrize(("history", "question", "entity"), [
    (["右美沙芬是治什么的？"], "咳嗽吃什么药？", "咳嗽"),  # a question a disease answers: a new topic
    ([], "咳嗽能用吗？", "咳嗽"),  # no drug before it: nothing to inherit
    (["胰腺炎是什么病？"], "咳嗽能用吗？", "咳嗽"),  # the earlier turn was no drug
])
def test_a_symptom_question_of_its_own_keeps_its_topic(retriever: Retriever, history: list[str], question: str,
                                                       entity: str) -> None:
    res = retriever.resolve(question, history)
    assert res.main is not None and (res.main.name, res.main.method) == (entity, "exact")
    assert not res.qualifiers.condition


@pytest.mark.parametrize(("question", "name", "type_"), [
    ("咳嗽能用吗", "咳嗽", "Disease"),  # a drug question's wording must not make the alias win
    ("喉痛吃什么药", "喉痛", "Symptom"),  # a complaint the graph only mentions is still the symptom
    ("咳嗽糖浆能用吗", "咳嗽糖浆", "Drug"),  # the product's own name links as before
    ("急性胃炎吃什么药", "急性胃炎", "Disease"),  # a real modified name is no qualifier
])
def test_an_alias_never_turns_a_symptom_word_into_a_product(retriever: Retriever, question: str, name: str,
                                                            type_: str) -> None:
    found = retriever.linker.link(question)
    assert (found[0].name, found[0].type) == (name, type_)


def test_a_lone_qualifier_links_nothing(retriever: Retriever) -> None:
    res = retriever.resolve("急性期怎么治疗？")
    assert res.main is None and res.refusal == "no_entity" and res.qualifiers.phase == "acute"


def test_a_qualifier_of_two_known_words_is_no_near_miss(retriever: Retriever) -> None:
    """急性加重 is 急性 + 加重 (both mention nodes): an exacerbation of the disease asked about, not a name."""
    res = retriever.resolve("偏头痛急性加重吃什么药？")
    assert not res.near_misses and res.main is not None and res.main.name == "偏头痛"
    assert res.qualifiers.phase == "attack"


@pytest.mark.parametrize(("question", "entity", "refined"), [
    ("急性期怎么治疗？", "急性胃炎", True),  # the phase's own entry, when the graph describes it
    ("急性发作吃什么药？", "胃炎", False),  # an attack (an exacerbation) is not the acute disease
])
def test_a_phase_names_the_diseases_own_entry(retriever: Retriever, question: str, entity: str,
                                               refined: bool) -> None:
    res = retriever.retrieve(question, ["胃炎有哪些症状？"])
    assert [(e.name, e.method) for e in res.entities] == [(entity, "history")]
    assert res.qualifiers.refined_from == ("胃炎" if refined else "")
    assert res.evidence and res.evidence[0].entity_name == entity


def test_a_bare_qualifier_asks_the_earlier_question_again(retriever: Retriever) -> None:
    res = retriever.retrieve("孩子呢？", ["腹泻吃什么药？"])
    assert (res.entities[0].name, res.intent.name, res.qualifiers.population) == ("腹泻", "drug", "child")
    assert "蒙脱石" in res.evidence[0].text  # the generic (retrieval.evidence.salience folds products to it)


def test_a_phase_alone_is_a_follow_up(retriever: Retriever) -> None:
    res = retriever.resolve("那急性的呢？", ["胃炎有哪些症状？"])
    assert res.main is not None and (res.main.name, res.qualifiers.refined_from) == ("急性胃炎", "胃炎")


def test_a_time_word_alone_is_no_follow_up(retriever: Retriever) -> None:
    res = retriever.resolve("晚上去看电影吗", ["胃炎有哪些症状？"])
    assert res.main is None and res.refusal == "not_follow_up"
