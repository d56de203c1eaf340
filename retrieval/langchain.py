"""A LangChain retriever over our pipeline: Evidence becomes Documents with typed metadata.

    from retrieval.langchain import QiZhenRetriever
    retriever = QiZhenRetriever(retriever=Retriever(store))      # any chain that takes a retriever
    docs = retriever.invoke("非布司他片的适应症是什么？")

langchain-core is a core dependency of qizhen, so this adapter is always importable.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from retrieval.retriever import Retriever


class QiZhenRetriever(BaseRetriever):
    """`history` (earlier user turns, for follow-ups) is set on the instance: build one per
    conversation, or copy it with `model_copy(update={"history": [...]})`. Every Document's metadata
    carries the evidence's entity, field, dataset and the question's intent."""

    retriever: Retriever
    history: list[str] = []
    top_k: int | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.retriever.retrieve(query, self.history, top_k=self.top_k)
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
