"""Evidence-strength ranking: corroborated items above single-source noise, near-duplicates collapsed,
flagged facts counted but never listed."""

from __future__ import annotations

from kg.schema import Direction, Entity, Fact, NodeType, RelType
from retrieval.evidence import facts_to_evidence
from retrieval.evidence.ranking import rank, shown

OUT, IN = Direction.OUT, Direction.IN


def fact(target: str, ds: str = "cmekg", rel: RelType = RelType.INDICATED_FOR, direction: Direction = OUT,
         pred: str = "适应症", t: NodeType = NodeType.DISEASE, flag: str = "") -> Fact:
    return Fact("d1", "非布司他片", rel, f"id-{target}", target, t, ds, pred, direction, flag)


def test_corroborated_and_prose_items_rank_above_noise() -> None:
    facts = [fact("双盲", t=NodeType.CONCEPT), fact("关节炎"), fact("痛风"),
             fact("痛风", "xywy", RelType.TREATED_BY, IN, "common_drug"), fact("高尿酸血症"),
             fact("高尿酸血症", "caregpt", pred="适应证")]
    ranked = rank(facts, prose="用于痛风患者高尿酸血症的长期治疗。", family="treats")
    assert ranked.names[:2] == ["高尿酸血症", "痛风"] or ranked.names[:2] == ["痛风", "高尿酸血症"]
    assert ranked.names[-1] == "双盲"  # one dataset, wrong kind of thing, not in the prose


def test_substring_of_a_prose_item_gets_no_prose_credit() -> None:
    ranked = rank([fact("尿酸", t=NodeType.SYMPTOM), fact("高尿酸血症")], prose="高尿酸血症的长期治疗", family="treats")
    assert ranked.names == ["高尿酸血症", "尿酸"]
    assert not ranked.items[1].in_prose


def test_near_duplicates_collapse_into_the_specific_name() -> None:
    facts = [fact(n, rel=RelType.ADVERSE_REACTION, pred="不良反应", t=NodeType.SYMPTOM)
             for n in ("低钾", "低钾血症", "多汗", "多汗症", "头痛")]
    ranked = rank(facts, family=RelType.ADVERSE_REACTION.value)
    assert sorted(ranked.names) == ["低钾血症", "多汗症", "头痛"]
    assert next(i for i in ranked.items if i.name == "低钾血症").merged == ["低钾"]


def test_flagged_facts_are_counted_not_listed() -> None:
    ranked = rank([fact("痛风"), fact("剂量", flag="noise_term")], family="treats")
    assert ranked.names == ["痛风"] and ranked.flagged == 1
    ev = facts_to_evidence(Entity.named("非布司他片", NodeType.DRUG), [fact("痛风"), fact("剂量", flag="noise_term")])
    assert ev[0].target_name == "痛风" and "1项低置信度" in ev[0].text


def test_common_drug_lists_beat_herbal_entries_for_a_disease() -> None:
    drugs = [fact("一匹草", rel=RelType.INDICATED_FOR, direction=IN, pred="主治", t=NodeType.DRUG),
             fact("一碗水", rel=RelType.INDICATED_FOR, direction=IN, pred="主治", t=NodeType.DRUG),
             fact("氨茶碱片", "xywy", RelType.TREATED_BY, OUT, "common_drug", NodeType.DRUG),
             fact("乙酰半胱氨酸片", rel=RelType.INDICATED_FOR, direction=IN, t=NodeType.DRUG)]
    ranked = rank(drugs, family="treated")
    assert ranked.names[0] == "氨茶碱片" and set(ranked.names[-2:]) == {"一匹草", "一碗水"}


def test_one_evidence_item_per_family_keeps_the_full_ranked_list() -> None:
    facts = [fact(f"病{i:03d}") for i in range(30)] + [fact("痛风"), fact("痛风", "xywy", RelType.TREATED_BY, IN, "common_drug")]
    ev = facts_to_evidence(Entity.named("非布司他片", NodeType.DRUG), facts)
    assert len(ev) == 1 and ev[0].source == "cmekg,xywy"
    names = ev[0].target_name.split("、")
    assert len(names) == 31 and names[0] == "痛风"
    top, n = shown(names)
    assert len(top) == 8 and n == 31


def test_adverse_reactions_tied_on_support_go_by_how_characteristic_they_are() -> None:
    """CMeKG's lists are alphabetical: without a tie-breaker the shown items were the first by code
    point. Issue 17: ordered by how many drugs list them (恶心 first for every drug), two drugs' lists
    came out identical; now the characteristic reactions lead, the universal ones and the rarest
    (likely debris) fall back."""
    names = ["便血", "咯血", "恶心", "皮疹", "白血球"]
    facts = [fact(n, rel=RelType.ADVERSE_REACTION, pred="不良反应", t=NodeType.SYMPTOM) for n in names]
    prevalence = {"id-恶心": 3000, "id-皮疹": 2500, "id-便血": 40, "id-咯血": 35, "id-白血球": 3}
    ranked = rank(facts, family=RelType.ADVERSE_REACTION.value, prevalence=prevalence)
    assert ranked.names[:2] == ["咯血", "便血"] and ranked.names[-1] == "恶心"
    assert rank(facts, family=RelType.ADVERSE_REACTION.value).names[:2] == ["便血", "咯血"]  # code-point order
    # support still comes first: a reaction the drug's own prose states beats a characteristic one
    assert rank(facts, family=RelType.ADVERSE_REACTION.value, prose="偶见皮疹。",
                prevalence=prevalence).names[0] == "皮疹"
    # indications never go by prevalence (the common item, 感染, is the least specific)
    treats = [fact("感染"), fact("痛风")]
    assert rank(treats, family="treats", prevalence={"id-痛风": 5000}).names == ["感染", "痛风"]


def test_prevalence_counts_drugs_not_edges_and_skips_flagged(tmp_path: object) -> None:
    from pathlib import Path

    from kg.schema import Relation
    from kg.stores.ladybug import LadybugStore
    from retrieval.evidence.ranking import adverse_prevalence

    def ent(i: str, name: str, t: NodeType) -> Entity:
        return Entity(id=i, name=name, type=t, sources=["cmekg"])

    store = LadybugStore(Path(str(tmp_path)) / "g")
    with store:
        store.upsert_entities([ent("a", "甲片", NodeType.DRUG), ent("b", "乙片", NodeType.DRUG),
                               ent("n", "恶心", NodeType.SYMPTOM), ent("x", "白血球", NodeType.SYMPTOM)])
        ar = RelType.ADVERSE_REACTION
        store.upsert_relations([Relation("a", ar, "n", "cmekg"), Relation("a", ar, "n", "caregpt"),
                                Relation("b", ar, "n", "cmekg"), Relation("b", ar, "x", "cmekg", flag="lab_analyte")])
        assert adverse_prevalence(store) == {"n": 2}


def test_a_diseases_curated_items_go_before_machine_extracted_ones() -> None:
    sym = RelType.HAS_SYMPTOM
    facts = [Fact("g", "胃炎", sym, f"id-{n}", n, NodeType.SYMPTOM, ds, "症状", OUT, "")
             for n, ds in (("痴呆", "cmekg"), ("厌食", "xywy"), ("反酸", "xywy"), ("反酸", "39health"),
                           ("口角炎", "cmekg"), ("肚子疼", "39health"))]
    ranked = rank(facts, family=sym.value)
    assert ranked.names == ["反酸", "厌食", "肚子疼", "痴呆", "口角炎"]
    assert ranked.reliable == 3  # corroborated 反酸, then the curated single statements
    # a drug's lists are all extracted: no such order, every item counts
    ind = [fact("痛风"), fact("高尿酸血症", "xywy", RelType.TREATED_BY, IN, "common_drug")]
    assert rank(ind, family="treats").reliable == 2
