"""Backend-agnostic GraphStore contract.

A backend's test module subclasses `StoreContract` and provides a `store` fixture yielding an
empty, open store, e.g.::

    class TestLadybugStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with LadybugStore(tmp_path / "graph") as s:
                yield s

Contract decisions these tests pin down (every backend must follow them):
- entities are stored in canonical form, `e.merge(e)` (aliases sorted, deduplicated and without
  the name; sources sorted); a stored entity merged with an incoming one is
  `stored.merge(incoming)`; duplicates inside one batch fold left in batch order;
- relations whose endpoints do not exist raise ValueError and nothing of that batch is written;
- facts are ordered by (relation type, OUT before IN, target name, target id, dataset); `limit`
  cuts that order;
- find_by_name puts entities whose own name matches before alias-only matches, then by id;
- a relation's cleaning `flag` is stored as given on insert, changed only by `set_flags` (keys not
  stored are ignored) and read back on every fact / edge row; a flag change moves the snapshot;
- `Entity.property_sources` (provenance) round-trips exactly and merges like `Entity.merge`.
"""

from __future__ import annotations

import pytest

from kg.normalize import normalize_name
from kg.schema import Direction, Entity, Fact, NameEntry, NodeType, PropSource, Relation, RelType
from kg.stores.base import GraphStore


def _drug(name: str, **kw: object) -> Entity:
    return Entity.named(name, NodeType.DRUG, described=True, sources=["test"], **kw)  # type: ignore[arg-type]


def _disease(name: str, **kw: object) -> Entity:
    return Entity.named(name, NodeType.DISEASE, described=True, sources=["test"], **kw)  # type: ignore[arg-type]


def _symptom(name: str, **kw: object) -> Entity:
    return Entity.named(name, NodeType.SYMPTOM, sources=["test"], **kw)  # type: ignore[arg-type]


def _fact_key(f: Fact) -> tuple[str, int, str, str, str]:
    return (f.relation.value, 0 if f.direction == Direction.OUT else 1, f.target_name, f.target_id, f.dataset)


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


class StoreContract:
    """Tests every GraphStore backend must pass; subclasses supply the `store` fixture."""

    # -- small graph used by several tests ------------------------------------------------
    @pytest.fixture
    def small(self, store: GraphStore) -> dict[str, Entity]:
        ents = {
            "asp": _drug("阿司匹林", aliases=["Aspirin", "乙酰水杨酸"], properties={"简介": "解热镇痛药"}),
            "ibu": _drug("布洛芬缓释胶囊", aliases=["芬必得"]),
            "flu": _disease("流行性感冒", aliases=["流感"], properties={"病因": "流感病毒"}),
            "cold": _disease("感冒"),
            "fever": _symptom("发热"),
            "head": _symptom("头痛"),
            "gi": _symptom("胃肠道反应"),
        }
        assert store.upsert_entities(list(ents.values())) == len(ents)
        i = {k: e.id for k, e in ents.items()}
        rels = [
            Relation(i["asp"], RelType.INDICATED_FOR, i["fever"], "cmekg", "适应症"),
            Relation(i["asp"], RelType.INDICATED_FOR, i["head"], "cmekg", "适应症"),
            Relation(i["asp"], RelType.INDICATED_FOR, i["cold"], "cmekg", "适应症"),
            Relation(i["asp"], RelType.ADVERSE_REACTION, i["gi"], "cmekg", "不良反应"),
            Relation(i["ibu"], RelType.INDICATED_FOR, i["fever"], "cmekg", "适应症"),
            Relation(i["flu"], RelType.HAS_SYMPTOM, i["fever"], "xywy", "symptom"),
            Relation(i["flu"], RelType.HAS_SYMPTOM, i["head"], "xywy", "symptom"),
            Relation(i["flu"], RelType.TREATED_BY, i["asp"], "xywy", "common_drug"),
            Relation(i["cold"], RelType.TREATED_BY, i["asp"], "xywy", "common_drug"),
            Relation(i["cold"], RelType.TREATED_BY, i["ibu"], "xywy", "common_drug"),
        ]
        assert store.upsert_relations(rels) == len(rels)
        return ents

    # -- upsert and merge -----------------------------------------------------------------
    def test_empty_store(self, store: GraphStore) -> None:
        stats = store.stats()
        assert stats.total_nodes == 0 and stats.total_relationships == 0
        assert store.find_by_name("阿司匹林") == []
        assert store.get_entities(["nope"]) == []
        assert store.get_entity("nope") is None
        assert store.card("nope") is None
        assert store.card_by_name("阿司匹林") is None
        assert store.facts("nope") == []
        assert store.name_index() == []
        assert [b for b in store.iter_entities()] in ([], [[]])
        assert store.upsert_entities([]) == 0
        assert store.upsert_relations([]) == 0

    def test_roundtrip_exact(self, store: GraphStore, small: dict[str, Entity]) -> None:
        got = {e.id: e for e in store.get_entities([e.id for e in small.values()] + ["missing"])}
        assert got == {e.id: e for e in small.values()}
        assert isinstance(got[small["asp"].id].type, NodeType)

    def test_merge_semantics(self, store: GraphStore) -> None:
        guessed = Entity.named("百日咳", NodeType.SYMPTOM, aliases=["顿咳"],
                               properties={"简介": "咳嗽", "别名": ["顿咳"]}, sources=["cmekg"])
        described = Entity.named("百日咳", NodeType.DISEASE, aliases=["鸡咳"], described=True,
                                 properties={"简介": "百日咳是一种急性呼吸道传染病", "病因": "百日咳杆菌"},
                                 sources=["xywy"])
        store.upsert_entities([guessed])
        store.upsert_entities([described])
        got = store.get_entity(guessed.id)
        assert got == guessed.merge(described)
        assert got is not None
        assert got.type == NodeType.DISEASE and got.described
        assert set(got.aliases) == {"顿咳", "鸡咳"}
        assert got.sources == ["cmekg", "xywy"]
        assert got.properties["病因"] == "百日咳杆菌"
        assert set(got.properties["简介"]) == {"咳嗽", "百日咳是一种急性呼吸道传染病"}
        # a later weaker guess does not downgrade the type
        store.upsert_entities([Entity.named("百日咳", NodeType.CONCEPT, sources=["39health"])])
        again = store.get_entity(guessed.id)
        assert again is not None and again.type == NodeType.DISEASE
        assert again.sources == ["39health", "cmekg", "xywy"]
        assert store.stats().total_nodes == 1

    def test_duplicates_inside_one_batch_fold(self, store: GraphStore) -> None:
        a = _symptom("咳嗽", aliases=["咳"])
        b = Entity.named("咳嗽", NodeType.SYMPTOM, aliases=["咳嗽病"], described=True, sources=["x"])
        store.upsert_entities([a, b])
        assert store.get_entity(a.id) == a.merge(b)
        assert store.stats().total_nodes == 1

    def test_type_upgrade_keeps_edges(self, store: GraphStore) -> None:
        drug = _drug("利巴韦林")
        guess = _symptom("病毒性肺炎")
        store.upsert_entities([drug, guess])
        store.upsert_relations([Relation(drug.id, RelType.INDICATED_FOR, guess.id, "cmekg")])
        store.upsert_entities([_disease("病毒性肺炎", properties={"简介": "肺炎"})])
        facts = store.facts(drug.id)
        assert [(f.target_id, f.target_type) for f in facts] == [(guess.id, NodeType.DISEASE)]
        assert store.stats().nodes.get("Disease") == 1 and not store.stats().nodes.get("Symptom")

    def test_reupsert_is_idempotent(self, store: GraphStore, small: dict[str, Entity]) -> None:
        before = store.stats()
        snap = store.snapshot()
        ents = list(small.values())
        store.upsert_entities(ents)
        store.upsert_entities(list(reversed(ents)))
        i = {k: e.id for k, e in small.items()}
        store.upsert_relations([Relation(i["asp"], RelType.INDICATED_FOR, i["fever"], "cmekg", "适应症")] * 3)
        after = store.stats()
        assert after.nodes == before.nodes and after.relationships == before.relationships
        assert store.snapshot() == snap
        assert {e.id: e for e in store.get_entities(list(i.values()))} == {e.id: e for e in ents}

    # -- relations ------------------------------------------------------------------------
    def test_relation_dedupe_and_datasets(self, store: GraphStore) -> None:
        d, s = _disease("哮喘"), _symptom("喘息")
        store.upsert_entities([d, s])
        rels = [
            Relation(d.id, RelType.HAS_SYMPTOM, s.id, "xywy", "symptom"),
            Relation(d.id, RelType.HAS_SYMPTOM, s.id, "xywy", "another predicate, same key"),
            Relation(d.id, RelType.HAS_SYMPTOM, s.id, "cmekg", "临床表现"),
        ]
        store.upsert_relations(rels)
        store.upsert_relations(rels[:1])
        assert _nonzero(store.stats().relationships) == {"HAS_SYMPTOM": 2}
        facts = store.facts(d.id)
        assert sorted(f.dataset for f in facts) == ["cmekg", "xywy"]
        assert all(f.target_id == s.id and f.entity_name == "哮喘" for f in facts)

    def test_missing_endpoint_raises_and_writes_nothing(self, store: GraphStore) -> None:
        d, s = _disease("痛风"), _symptom("关节痛")
        store.upsert_entities([d, s])
        ok = Relation(d.id, RelType.HAS_SYMPTOM, s.id, "xywy")
        bad = Relation(d.id, RelType.HAS_SYMPTOM, "e-does-not-exist", "xywy")
        with pytest.raises(ValueError, match="e-does-not-exist"):
            store.upsert_relations([ok, bad])
        assert store.stats().total_relationships == 0
        bad_src = Relation("e-no-source", RelType.TREATED_BY, d.id, "xywy")
        with pytest.raises(ValueError, match="e-no-source"):
            store.upsert_relations([bad_src])
        assert store.upsert_relations([ok]) == 1

    # -- facts ----------------------------------------------------------------------------
    def test_facts_filter_direction_order_limit(self, store: GraphStore, small: dict[str, Entity]) -> None:
        asp = small["asp"]
        out = store.facts(asp.id)
        assert [(f.relation, f.target_name) for f in out] == [
            (RelType.ADVERSE_REACTION, "胃肠道反应"),
            (RelType.INDICATED_FOR, "发热"),
            (RelType.INDICATED_FOR, "头痛"),
            (RelType.INDICATED_FOR, "感冒"),
        ]
        assert out == sorted(out, key=_fact_key)
        f0 = next(f for f in out if f.target_name == "发热")
        assert f0 == Fact(asp.id, "阿司匹林", RelType.INDICATED_FOR, small["fever"].id, "发热",
                          NodeType.SYMPTOM, "cmekg", "适应症", Direction.OUT)

        only = store.facts(asp.id, rel_types=[RelType.ADVERSE_REACTION])
        assert [f.target_name for f in only] == ["胃肠道反应"]

        inc = store.facts(asp.id, direction=Direction.IN)
        assert {(f.relation, f.target_name, f.direction) for f in inc} == {
            (RelType.TREATED_BY, "流行性感冒", Direction.IN),
            (RelType.TREATED_BY, "感冒", Direction.IN),
        }
        assert all(f.entity_id == asp.id and f.target_type == NodeType.DISEASE for f in inc)

        both = store.facts(asp.id, direction=Direction.BOTH)
        assert both == sorted(both, key=_fact_key)
        assert len(both) == len(out) + len(inc)
        assert set(both) == set(out) | set(inc)
        assert store.facts(asp.id, direction=Direction.BOTH) == both  # deterministic

        assert store.facts(asp.id, direction=Direction.BOTH, limit=3) == both[:3]
        assert store.facts(asp.id, rel_types=[RelType.INDICATED_FOR, RelType.TREATED_BY],
                           direction=Direction.BOTH) == [
            f for f in both if f.relation in (RelType.INDICATED_FOR, RelType.TREATED_BY)]
        assert store.facts(small["fever"].id, rel_types=[RelType.HAS_SYMPTOM]) == []
        fever_in = store.facts(small["fever"].id, rel_types=[RelType.HAS_SYMPTOM], direction=Direction.IN)
        assert [f.target_name for f in fever_in] == ["流行性感冒"]

    # -- names ----------------------------------------------------------------------------
    def test_find_by_name_normalized(self, store: GraphStore) -> None:
        amino = _drug("复方氨基酸胶囊(8-11)", aliases=["Compound Amino Acid Capsules"])
        plain = _drug("复方氨基酸胶囊")
        flu = _disease("流行性感冒", aliases=["流感", "Influenza"])
        flu_sym = _symptom("流感样症状", aliases=["流感"])
        store.upsert_entities([amino, plain, flu, flu_sym])

        def ids(q: str, types: list[NodeType] | None = None) -> set[str]:
            return {e.id for e in store.find_by_name(q, types)}

        assert ids("复方氨基酸胶囊（8-11）") == {amino.id}
        assert ids("复方氨基酸胶囊【8-11】") == {amino.id}
        assert ids(" 复方氨基酸胶囊 (8-11) ") == {amino.id}
        assert ids("复方氨基酸胶囊") == {plain.id}
        assert ids("compound amino acid CAPSULES") == {amino.id}
        assert ids("ＩＮＦＬＵＥＮＺＡ") == {flu.id}
        assert ids("流感") == {flu.id, flu_sym.id}
        assert ids("流感", [NodeType.DISEASE]) == {flu.id}
        assert ids("流感", [NodeType.DRUG]) == set()
        assert ids("流行性") == set()  # exact, not substring
        assert ids("") == set()
        found = store.find_by_name("流感样症状")
        assert found == [flu_sym]

    def test_find_by_name_prefers_own_name(self, store: GraphStore) -> None:
        a = _disease("百日咳")
        b = _disease("类百日咳综合征", aliases=["百日咳"])
        store.upsert_entities([b, a])
        assert [e.id for e in store.find_by_name("百日咳")] == [a.id, b.id]
        card = store.card_by_name("百日咳")
        assert card is not None and card.entity.id == a.id

    def test_find_by_name_sees_merged_aliases(self, store: GraphStore) -> None:
        store.upsert_entities([_drug("对乙酰氨基酚片")])
        assert store.find_by_name("泰诺林") == []
        store.upsert_entities([_drug("对乙酰氨基酚片", aliases=["泰诺林"])])
        assert [e.name for e in store.find_by_name("泰诺林")] == ["对乙酰氨基酚片"]

    def test_name_index(self, store: GraphStore, small: dict[str, Entity]) -> None:
        idx = store.name_index()
        assert len(idx) == len(small)
        by_id = {row[0]: row for row in idx}
        asp = small["asp"]
        assert by_id[asp.id] == NameEntry(asp.id, NodeType.DRUG, "阿司匹林", ("Aspirin", "乙酰水杨酸"))
        assert all(type(row.type) is NodeType for row in idx)

    # -- cards, stats, snapshot, iteration ------------------------------------------------
    def test_card_grouping(self, store: GraphStore, small: dict[str, Entity]) -> None:
        card = store.card(small["asp"].id)
        assert card is not None and card.entity == small["asp"]
        groups = card.grouped()
        assert set(groups) == {"ADVERSE_REACTION", "INDICATED_FOR", "TREATED_BY<-"}
        assert len(groups["INDICATED_FOR"]) == 3 and len(groups["TREATED_BY<-"]) == 2
        limited = store.card(small["asp"].id, limit_per_type=1)
        assert limited is not None
        assert {k: len(v) for k, v in limited.grouped().items()} == {
            "ADVERSE_REACTION": 1, "INDICATED_FOR": 1, "TREATED_BY<-": 1}
        by_name = store.card_by_name("ASPIRIN")
        assert by_name is not None and by_name.entity.id == small["asp"].id
        assert store.card_by_name("不存在的药") is None

    def test_stats(self, store: GraphStore, small: dict[str, Entity]) -> None:
        stats = store.stats()
        assert _nonzero(stats.nodes) == {"Drug": 2, "Disease": 2, "Symptom": 3}
        assert _nonzero(stats.relationships) == {
            "INDICATED_FOR": 4, "ADVERSE_REACTION": 1, "HAS_SYMPTOM": 2, "TREATED_BY": 3}
        assert stats.total_nodes == 7 and stats.total_relationships == 10
        assert stats.snapshot == store.snapshot()

    def test_snapshot_tracks_content(self, store: GraphStore) -> None:
        seen = {store.snapshot()}
        d, s = _disease("胃炎"), _symptom("腹痛")
        store.upsert_entities([d, s])
        snap = store.snapshot()
        assert isinstance(snap, str) and snap and snap not in seen
        seen.add(snap)
        store.upsert_entities([d, s])
        assert store.snapshot() == snap
        store.upsert_relations([Relation(d.id, RelType.HAS_SYMPTOM, s.id, "xywy")])
        snap = store.snapshot()
        assert snap not in seen
        seen.add(snap)
        store.upsert_relations([Relation(d.id, RelType.HAS_SYMPTOM, s.id, "xywy")])
        assert store.snapshot() == snap
        store.upsert_entities([_disease("胃炎", properties={"简介": "胃黏膜炎症"})])  # property change only
        snap = store.snapshot()
        assert snap not in seen
        seen.add(snap)
        store.upsert_entities([_disease("胃炎", properties={"简介": "胃黏膜炎症"})])
        assert store.snapshot() == snap
        store.clear()
        assert store.snapshot() not in {snap}

    def test_iter_entities_covers_all(self, store: GraphStore) -> None:
        ents = [_symptom(f"症状{i:03d}") for i in range(25)]
        store.upsert_entities(ents)
        batches = list(store.iter_entities(batch_size=7))
        assert all(0 < len(b) <= 7 for b in batches)
        got = [e.id for b in batches for e in b]
        assert len(got) == len(set(got)) == 25
        assert set(got) == {e.id for e in ents}
        assert {e.id: e for b in batches for e in b} == {e.id: e for e in ents}

    def test_clear(self, store: GraphStore, small: dict[str, Entity]) -> None:
        store.clear()
        stats = store.stats()
        assert stats.total_nodes == 0 and stats.total_relationships == 0
        assert store.find_by_name("阿司匹林") == []
        assert store.get_entity(small["asp"].id) is None
        # usable again, and previously seen relation keys are not remembered as stored
        a, f = small["asp"], small["fever"]
        store.upsert_entities([a, f])
        assert store.upsert_relations([Relation(a.id, RelType.INDICATED_FOR, f.id, "cmekg")]) == 1
        assert store.stats().total_relationships == 1
        assert [e.id for e in store.find_by_name("阿司匹林")] == [a.id]

    # -- awkward text ---------------------------------------------------------------------
    def test_awkward_text_roundtrip(self, store: GraphStore) -> None:
        nasty = 'a "quoted", \'single\', back\\slash \\n literal,\nnew line;\ttab，中文逗号'
        drug = _drug('复方"甘草"片, 含\\斜杠', aliases=["it's", 'say "hi"', "a,b", "x\ny"],
                     properties={"用法用量": nasty, "注意事项": ["第一条，\n第二行", 'quote"', "\\"],
                                 "desc": "保留字 desc 作为属性名", "空": ""})
        dis = _disease("咳嗽变异性哮喘（CVA）", properties={"简介": "🙂 emoji and 𠀀 ext-B"})
        store.upsert_entities([drug, dis])
        assert store.get_entity(drug.id) == drug.merge(drug)  # canonical: aliases sorted
        assert store.get_entity(dis.id) == dis
        assert store.get_entity(drug.id).properties == drug.properties  # type: ignore[union-attr]
        store.upsert_relations([Relation(drug.id, RelType.INDICATED_FOR, dis.id, "data,set\"x", nasty)])
        [fact] = store.facts(drug.id)
        assert (fact.dataset, fact.predicate, fact.target_name) == ('data,set"x', nasty, "咳嗽变异性哮喘（CVA）")
        assert [e.id for e in store.find_by_name("IT'S")] == [drug.id]
        assert [e.id for e in store.find_by_name('复方"甘草"片,含\\斜杠')] == [drug.id]
        assert normalize_name("咳嗽变异性哮喘(cva)") == normalize_name(dis.name)
        assert [e.id for e in store.find_by_name("咳嗽变异性哮喘(cva)")] == [dis.id]

    # -- volume ---------------------------------------------------------------------------
    def test_bulk_load_counts(self, store: GraphStore) -> None:
        n_drug, n_sym = 2_000, 3_000
        drugs = [_drug(f"药物{i}", properties={"简介": f"说明{i}"}) for i in range(n_drug)]
        syms = [_symptom(f"症状{i}") for i in range(n_sym)]
        store.upsert_entities(drugs + syms)
        rels = [Relation(drugs[i].id, RelType.INDICATED_FOR, syms[(i * 7 + k * 13) % n_sym].id, "bulk")
                for i in range(n_drug) for k in range(8)]
        rels += [Relation(drugs[i].id, RelType.ADVERSE_REACTION, syms[(i + k) % n_sym].id, "bulk")
                 for i in range(n_drug) for k in range(2)]
        rels += [Relation(syms[i].id, RelType.RELATED_TO, drugs[i % n_drug].id, "bulk") for i in range(n_sym)]
        expected = len({r.key for r in rels})
        assert expected >= 20_000
        store.upsert_relations(rels)
        stats = store.stats()
        assert stats.total_nodes == n_drug + n_sym
        assert _nonzero(stats.nodes) == {"Drug": n_drug, "Symptom": n_sym}
        assert stats.total_relationships == expected
        snap = stats.snapshot
        store.upsert_entities(drugs + syms)
        store.upsert_relations(rels[::-1])
        again = store.stats()
        assert (again.total_nodes, again.total_relationships, again.snapshot) == (
            n_drug + n_sym, expected, snap)
        assert len(store.facts(drugs[5].id)) == len({r.key for r in rels if r.source_id == drugs[5].id})

    # -- cleaning flags and provenance ----------------------------------------------------
    def test_flags_roundtrip_and_set_flags(self, store: GraphStore, small: dict[str, Entity]) -> None:
        ind = RelType.INDICATED_FOR
        a, fever, head = small["asp"], small["fever"], small["head"]

        def flags() -> dict[str, str]:
            return {f.target_name: f.flag for f in store.facts(a.id, [ind])}

        assert set(flags().values()) == {""}
        snap = store.snapshot()
        store.set_flags([Relation(a.id, ind, fever.id, "cmekg", "适应症", "generic_word"),
                         Relation(a.id, ind, head.id, "no-such-dataset", "", "trial_design")])  # not stored
        assert store.snapshot() != snap
        assert flags() == {"发热": "generic_word", "头痛": "", "感冒": ""}
        assert store.stats().relationships["INDICATED_FOR"] == 4  # nothing added
        incoming = {f.target_name: f.flag for f in store.facts(fever.id, [ind], Direction.IN)}
        assert incoming == {"阿司匹林": "generic_word", "布洛芬缓释胶囊": ""}
        rows = {(r.source_id, r.target_id, r.dataset): r.flag for r in store.edge_rows(ind)}
        assert rows[(a.id, fever.id, "cmekg")] == "generic_word" and len(rows) == 4
        bulk = {(f.entity_id, f.target_id): f.flag for batch in store.all_facts([ind]) for f in batch}
        assert bulk[(a.id, fever.id)] == "generic_word" and bulk[(a.id, head.id)] == ""
        # re-upserting the edge does not touch its flag; set_flags clears it
        store.upsert_relations([Relation(a.id, ind, fever.id, "cmekg", "适应症")])
        assert flags()["发热"] == "generic_word"
        store.set_flags([Relation(a.id, ind, fever.id, "cmekg", "适应症", "")])
        assert set(flags().values()) == {""}

    def test_flag_given_on_insert_is_stored(self, store: GraphStore, small: dict[str, Entity]) -> None:
        a, gi = small["ibu"], small["gi"]
        store.upsert_relations([Relation(a.id, RelType.ADVERSE_REACTION, gi.id, "jsonl", "不良反应", "lab_analyte")])
        [fact] = store.facts(a.id, [RelType.ADVERSE_REACTION])
        assert (fact.target_name, fact.flag) == ("胃肠道反应", "lab_analyte")

    def test_property_sources_roundtrip_and_merge(self, store: GraphStore) -> None:
        e = _drug("非布司他片", properties={"药品监管分级": ["麻醉药品", "处方药"], "简介": "抑制尿酸生成"},
                  property_sources={"药品监管分级": [PropSource("a", "f", "麻醉药品"), PropSource("b", "g", "处方药")],
                                    "简介": [PropSource("a", "gaishu_info.desc")]})
        store.upsert_entities([e])
        assert store.get_entity(e.id) == e
        other = _drug("非布司他片", properties={"用法用量": "口服"},
                      property_sources={"用法用量": [PropSource("c", "用法用量")]})
        store.upsert_entities([other])
        got = store.get_entity(e.id)
        assert got == e.merge(other)
        assert got is not None and got.datasets_of("用法用量") == ["c"]
        assert got.conflicts() == {"药品监管分级": [PropSource("a", "f", "麻醉药品"), PropSource("b", "g", "处方药")]}
        assert [x for batch in store.iter_entities() for x in batch] == [got]

    def test_cleaning_pass(self, store: GraphStore, small: dict[str, Entity]) -> None:
        from kg.cleaning import clean

        a = small["asp"]
        noise = _symptom("双盲")
        store.upsert_entities([noise])
        store.upsert_relations([Relation(a.id, RelType.INDICATED_FOR, noise.id, "cmekg", "适应症")])
        first = clean(store)
        assert first.changed == 1 and first.flagged == {"INDICATED_FOR": {"trial_design": 1}}
        snap = store.snapshot()
        assert {f.target_name: f.flag for f in store.facts(a.id, [RelType.INDICATED_FOR])}["双盲"] == "trial_design"
        again = clean(store)
        assert again.changed == 0 and store.snapshot() == snap

    def test_in_class_edges_and_category_nodes(self, store: GraphStore) -> None:
        """Drug classes (issue 21): IN_CLASS edges with their derivation as dataset, read back by
        `edge_rows`, facts and `set_flags`; the class node keyed by its code keeps its properties."""
        drug = _drug("氯沙坦")
        cls = Entity(id="eATC-C09CA", type=NodeType.CATEGORY, name="血管紧张素II拮抗药", aliases=["C09CA"],
                     properties={"ATC代码": "C09CA", "级别": "4"}, sources=["inn-stem"], described=True)
        store.upsert_entities([drug, cls])
        rel = Relation(drug.id, RelType.IN_CLASS, cls.id, "inn-stem", "inn-stem")
        store.upsert_relations([rel])
        rows = store.edge_rows(RelType.IN_CLASS)
        assert [(r.source_id, r.target_id, r.dataset, r.flag) for r in rows] == [(drug.id, cls.id, "inn-stem", "")]
        facts = store.facts(drug.id, [RelType.IN_CLASS])
        assert [(f.target_name, f.target_type, f.dataset, f.predicate) for f in facts] == [
            ("血管紧张素II拮抗药", NodeType.CATEGORY, "inn-stem", "inn-stem")]
        assert store.get_entity(cls.id).properties == {"ATC代码": "C09CA", "级别": "4"}  # type: ignore[union-attr]
        assert [e.id for e in store.find_by_name("C09CA")] == [cls.id]
        store.set_flags([Relation(drug.id, RelType.IN_CLASS, cls.id, "inn-stem", flag="superseded")])
        assert [r.flag for r in store.edge_rows(RelType.IN_CLASS)] == ["superseded"]
        assert _nonzero(store.stats().relationships) == {"IN_CLASS": 1}
