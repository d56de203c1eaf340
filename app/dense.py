"""The service's dense side: the embedding model (loaded once) and the passage index of a snapshot.

Both are optional: without the dense extra, with `QIZHEN_DENSE=false`, or with a missing or stale
index the service answers from the graph alone and `status` says why (shown on /health).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.settings import Settings
from kg.stores.base import GraphStore

if TYPE_CHECKING:  # the dense extra is optional: imported where it is used
    from retrieval.embedders.base import Embedder
    from retrieval.index import PassageIndex

log = logging.getLogger("qizhen.pipeline")


class DenseLoader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.status = "not loaded"
        self._embedders: tuple[Embedder, Embedder] | None = None  # (full, light), loaded once

    def load(self, store: GraphStore) -> tuple[Embedder | None, PassageIndex | None]:
        """The embedder (intent fallback, dense passages) and the FAISS index of `store`'s snapshot
        when usable."""
        try:
            from retrieval.embedders import make_embedder
            from retrieval.index import PassageIndex
        except ImportError:  # the dense extra is optional
            self.status = "unavailable (dense extra not installed)"
            return None, None
        s = self.settings
        if self._embedders is None:
            embedder = make_embedder(s.embedding_model, s.models_root, backend=s.embedding_backend)
            # without an index the model only embeds a question now and then (intent fallback): the
            # plain torch path starts in seconds, where "auto" would first export an ONNX model
            light = make_embedder(s.embedding_model, s.models_root, backend="torch") \
                if s.embedding_backend == "auto" else embedder
            self._embedders = (embedder, light)
        embedder, light = self._embedders
        if not s.dense:
            self.status = "disabled"
            return light, None
        if not (s.index_dir / "manifest.json").exists():
            self.status = "missing (run `qizhen index build`)"
            return light, None
        try:
            index = PassageIndex.open(s.index_dir, embedder, snapshot=store.snapshot())
        except Exception as exc:  # stale / corrupt: report it, answer from the KG alone
            self.status = "not used (stale or unreadable; see the server log)"
            log.warning("dense index not used: %s", exc)
            return light, None
        self.status = "ok"
        return embedder, index
