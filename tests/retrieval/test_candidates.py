"""A disease's drug candidate pool: its own edges, its synonym nodes' and, when thin, its parent's —
each fact keeping the node it came from (retrieval.evidence.candidates), read through a real GraphStore."""

from __future__ import annotations

from functools import partial

from kg.schema import Direction, Entity, NameEntry, NodeType, Relation, RelType
from retrieval.evidence.candidates import DRUG_EDGES, DiseaseNames, Pool, base_names, gather, population_base
from retrieval.evidence.drug_grouping import DrugGrouping
from retrieval.evidence.graph_reader import GraphReader
from retrieval.evidence.salience import western_count
from tests.models.finetune.memstore import MemoryStore


def _disease(ident: str, name: str, *aliases: str) -> Entity:
    return Entity(id=ident, type=NodeType.DISEASE, name=name, aliases=list(aliases))


def _drug(name: str) -> Entity:
    return Entity(id=f"id-{name}", type=NodeType.DRUG, name=name)


def _store() -> MemoryStore:
    store = MemoryStore()
    nodes = [
        _disease("hypo", "甲减", "甲状腺功能减退症"), _disease("hypo2", "甲状腺功能减退症", "甲减"),
        _disease("old-hypo", "老年甲状腺功能减退症", "甲减"),  # lists 甲减 as an alias, but is its child
        _disease("uti", "尿路感染"), _disease("preg-uti", "妊娠期尿路感染"),
        _disease("fever", "发烧"), _disease("fever2", "发热"), _disease("sleep", "失眠症", "健忘"),
        _disease("amnesia", "健忘"),  # a 39health alias slip: no shared character, not a synonym
    ]
    drugs = ["左甲状腺素钠片", "地高辛片", "甲状腺片", "阿莫西林胶囊", "呋喃妥因肠溶片", "头孢克洛胶囊",
             "磷霉素氨丁三醇散", "头孢呋辛酯片", "左氧氟沙星片", "对乙酰氨基酚片", "布洛芬片", "银杏叶片"]
    store.upsert_entities([*nodes, *(_drug(d) for d in drugs)])
    tie = [("hypo", "地高辛片", "39health", "drug"), ("hypo", "左甲状腺素钠片", "39health", "drug"),
           ("hypo2", "左甲状腺素钠片", "xywy", "common_drug"), ("hypo2", "甲状腺片", "xywy", "common_drug"),
           ("old-hypo", "甲状腺片", "39health", "drug"), ("fever2", "对乙酰氨基酚片", "xywy", "common_drug"),
           ("fever2", "布洛芬片", "xywy", "common_drug"), ("amnesia", "银杏叶片", "39health", "drug")]
    rels = [Relation(d, RelType.TREATED_BY, f"id-{t}", ds, p) for d, t, ds, p in tie]
    rels += [Relation(f"id-{t}", RelType.INDICATED_FOR, "uti", "cmekg", "适应症")
             for t in drugs[3:10]]
    rels.append(Relation("preg-uti", RelType.RELATED_TO, "uti", "cmekg", "治疗"))
    store.upsert_relations(rels)
    return store


def _pool(store: MemoryStore, ident: str) -> Pool:
    graph = GraphReader(store)
    names = DiseaseNames(store.name_index())

    def read(node_id: str) -> list:
        return [f for rel, d in DRUG_EDGES for f in graph.facts(node_id, [rel], d)]

    entity = graph.entity(ident)
    assert entity is not None
    return gather(entity, read(ident), names, read, lambda i: graph.facts(i, [RelType.RELATED_TO], Direction.OUT),
                  partial(western_count, table=DrugGrouping()))


def test_base_names_drop_population_subtype_and_phase_words() -> None:
    assert base_names("小儿哮喘") == [("哮喘", "小儿")]
    assert base_names("妊娠期尿路感染") == [("尿路感染", "孕妇")]
    assert base_names("1型糖尿病") == []  # a numbered subtype hops only by CURATED_PARENTS (2型糖尿病)
    assert base_names("哮喘急性发作") == [("哮喘", "")]
    assert base_names("哮喘") == []
    assert base_names("小儿哮喘") == [(population_base("小儿哮喘").base, "小儿")]  # the pool's table too
    assert base_names("老年人痛风") == [("人痛风", "老年人")]  # PARENT_UNREAD: as before issue 22
    assert population_base("老年人痛风").base == "痛风"


def test_synonym_nodes_join_the_pool_and_each_fact_keeps_its_node() -> None:
    pool = _pool(_store(), "hypo")
    assert [(n.name, n.kind) for n in pool.nodes] == [("甲状腺功能减退症", "synonym")]  # not 老年…, its child
    by_node = {(f.entity_name, f.target_name) for f in pool.facts}
    assert ("甲状腺功能减退症", "甲状腺片") in by_node and ("甲减", "地高辛片") in by_node
    assert pool.implied == ""


def test_colloquial_names_and_shared_characters_decide_synonyms() -> None:
    store = _store()
    assert [n.name for n in _pool(store, "fever").nodes] == ["发热"]
    assert {f.target_name for f in _pool(store, "fever").facts} == {"对乙酰氨基酚片", "布洛芬片"}
    assert not any(n.name == "健忘" for n in _pool(store, "sleep").nodes)  # an alias slip is no synonym


def test_a_thin_node_adds_its_parent_with_the_population_the_hop_dropped() -> None:
    pool = _pool(_store(), "preg-uti")
    assert [(n.name, n.kind, n.implied) for n in pool.nodes] == [("尿路感染", "parent", "孕妇")]
    assert pool.implied == "孕妇"  # the parent's drugs are judged for pregnancy
    assert all(pool.kind_of(f.entity_id) == "parent" for f in pool.facts)


def test_a_node_with_enough_drugs_reads_no_parent() -> None:
    assert _pool(_store(), "uti").nodes == []


def test_synonym_nodes_come_in_written_order_whatever_the_hash_seed() -> None:
    """Own name first, then the aliases as listed: the pool's order (and the products a population
    note names first) must not depend on PYTHONHASHSEED (a set once decided it)."""
    names = DiseaseNames([
        NameEntry("a", NodeType.DISEASE, "小儿哮喘", ("儿童哮喘", "小儿支气管哮喘")),
        NameEntry("b", NodeType.DISEASE, "小儿支气管哮喘"), NameEntry("c", NodeType.DISEASE, "儿童哮喘"),
    ])
    entity = _disease("a", "小儿哮喘", "儿童哮喘", "小儿支气管哮喘")
    assert [n.id for n in names.synonyms(entity)] == ["c", "b"]
