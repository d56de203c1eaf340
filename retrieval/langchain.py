"""A LangChain retriever over our pipeline: Evidence becomes Documents with typed metadata.

    from retrieval.langchain import QiZhenRetriever
    retriever = QiZhenRetriever(retriever=Retriever(store))      # any chain that takes a retriever
    docs = retriever.invoke("非布司他片的适应症是什么？")

langchain-core is optional: importing this module without it raises an ImportError naming it.
"""

from __future__ import annotations

from typing import Any

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # pragma: no cover - exercised only without the dependency
    raise ImportError("the LangChain adapter needs langchain-core: pip install langchain-core") from exc

from retrieval.retriever import Retriever


class QiZhenRetriever(BaseRetriever):
    """`history` (earlier user turns) may be set per call through `invoke(..., config)` metadata
    or on the instance; the answer's linked entity and intent are in every Document's metadata."""

    retriever: Any
    history: list[str] = []
    top_k: int | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        r: Retriever = self.retriever
        result = r.retrieve(query, self.history, top_k=self.top_k)
        return [
            Document(
                page_content=ev.text,
                metadata={"index": ev.index, "entity_id": ev.entity_id, "entity_name": ev.entity_name,
                          "entity_type": ev.entity_type, "field": ev.field, "source": ev.source,
                          "score": ev.score, "origin": ev.origin, "intent": result.intent.name,
                          "snapshot": result.snapshot},
            )
            for ev in result.evidence
        ]
