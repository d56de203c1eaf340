"""The service with a real passage index: health says ok, and an entity's passages join the evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.pipeline import QAService
from kg.schema import Entity, NodeType
from kg.stores.ladybug import LadybugStore
from retrieval.embedders import make_embedder
from retrieval.index import build_index
from tests.app.api_graph import build_graph

pytestmark = pytest.mark.slow

NURSING = ("痛风患者应多饮水，每日饮水量保持在两千毫升以上，以促进尿酸排出；急性发作期应卧床休息，抬高患肢，"
           "避免关节负重，局部可冷敷以减轻疼痛。平时应限制高嘌呤食物，戒酒，控制体重，定期复查血尿酸。")


def test_dense_passages_are_cited_evidence(tmp_path: Path) -> None:
    settings = build_graph(tmp_path).model_copy(update={"dense": True, "embedding_backend": "torch"})
    embedder = make_embedder(settings.embedding_model, settings.models_root, backend="torch")
    store = LadybugStore(settings.graph_path)
    try:  # a long text for 痛风, so it has passages to embed
        store.upsert_entities([Entity.named("痛风", NodeType.DISEASE, properties={"护理": NURSING}, sources=["xywy"],
                                            described=True)])
        manifest = build_index(store, embedder, settings.index_dir)
    finally:
        store.close()
    assert manifest.count >= 1
    service = QAService(settings)
    service.warm_up()
    assert service.health().index == "ok"
    result = service.retrieve("介绍一下痛风")
    assert result.intent.name == "overview"
    dense = [e for e in result.evidence if e.origin == "dense"]
    assert dense and dense[0].field == "护理" and "饮水" in dense[0].text
    answer = service.ask("介绍一下痛风")
    assert answer.grounded and {c.index for c in answer.citations} <= {e.index for e in result.evidence}
