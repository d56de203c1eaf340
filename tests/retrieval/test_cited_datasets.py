"""Dense passages and lexical matches cite the dataset that wrote their property — read from the
provenance recorded at ingest, as KG evidence is, never guessed from the field name or the node's
first source."""

from __future__ import annotations

from kg.schema import Entity, NodeType, PropSource
from retrieval.evidence.lexical import LexicalMatcher
from retrieval.evidence.passages import entity_passages

HANDBOOK = "用于治疗原发性高血压，可单独使用，也可与其他抗高血压药物合用。肾功能不全者应减量并监测血钾。"
MACHINE = "本品为血管紧张素Ⅱ受体拮抗剂，口服吸收迅速，主要经肝脏代谢，经胆汁和尿液排出体外，半衰期约九小时。"


def _drug() -> Entity:
    """A node merged from CMeKG (its first source) and the CareGPT handbook; 适应证 is CareGPT's,
    简介 CMeKG's — the field-name hint table said 简介 was xywy's."""
    return Entity.named("示例沙坦片", NodeType.DRUG, sources=["caregpt", "cmekg"],
                        properties={"适应证": HANDBOOK, "简介": MACHINE},
                        property_sources={"适应证": [PropSource("caregpt", "适应证")],
                                          "简介": [PropSource("cmekg", "简介")]})


def test_a_dense_passage_cites_the_dataset_that_wrote_it() -> None:
    by_field = {p.field: p.source for p in entity_passages(_drug())}
    assert by_field == {"适应证": "caregpt", "简介": "cmekg"}


def test_a_lexical_match_cites_the_dataset_that_wrote_it() -> None:
    matcher = LexicalMatcher()
    found = matcher.match("肾功能不全能用吗", _drug())
    assert found and all(e.origin == "lexical" for e in found)
    assert {e.field: e.source for e in found} == {"适应证": "caregpt"}
    found = matcher.match("主要经肝脏代谢吗", _drug())
    assert {e.field: e.source for e in found} == {"简介": "cmekg"}
