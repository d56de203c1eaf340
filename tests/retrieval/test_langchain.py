"""The LangChain adapter returns our evidence as Documents with metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("langchain_core")

from kg.stores.ladybug import LadybugStore  # noqa: E402
from retrieval.langchain import QiZhenRetriever  # noqa: E402
from retrieval.retriever import Retriever  # noqa: E402
from tests.app.api_graph import build_graph  # noqa: E402


def test_invoke_returns_documents(tmp_path: Path) -> None:
    settings = build_graph(tmp_path)
    store = LadybugStore(settings.graph_path, read_only=True)
    try:
        lc = QiZhenRetriever(retriever=Retriever(store))
        docs = lc.invoke("非布司他片的适应症是什么？")
        assert docs and "痛风" in docs[0].page_content
        meta = docs[0].metadata
        assert meta["entity_name"] == "非布司他片" and meta["field"] == "INDICATED_FOR" and meta["index"] == 1
        assert meta["intent"] == "indication"
        follow = QiZhenRetriever(retriever=Retriever(store), history=["非布司他片的适应症是什么？"]).invoke("有什么副作用")
        assert follow[0].metadata["field"] == "ADVERSE_REACTION"
    finally:
        store.close()
