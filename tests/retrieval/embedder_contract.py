"""The contract every embedder (retrieval.embedders.base.Embedder) must keep. A new embedder runs it
by subclassing `EmbedderContract` and providing `make()` (see README "Extending")."""

from __future__ import annotations

import numpy as np

from retrieval.embedders.base import Embedder

TEXTS = ["痛风吃什么药？", "非布司他片用于痛风患者高尿酸血症的长期治疗。", "高血压的常见症状有头痛、头晕。"]


class EmbedderContract:
    def make(self) -> Embedder:
        raise NotImplementedError

    def test_shapes_dtype_and_unit_norm(self) -> None:
        emb = self.make()
        emb.warm_up()
        for vecs in (emb.embed_queries(TEXTS), emb.embed_passages(TEXTS)):
            assert vecs.dtype == np.float32 and vecs.shape == (len(TEXTS), emb.dim)
            assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)

    def test_deterministic_and_single_query_matches_batch(self) -> None:
        emb = self.make()
        a, b = emb.embed_queries(TEXTS), emb.embed_queries(TEXTS)
        assert np.allclose(a, b, atol=1e-5)
        assert np.allclose(emb.embed_query(TEXTS[0]), a[0], atol=1e-4)

    def test_related_text_ranks_first(self) -> None:
        emb = self.make()
        q = emb.embed_query("痛风患者降尿酸用什么药")
        sims = emb.embed_passages(TEXTS[1:]) @ q
        assert int(np.argmax(sims)) == 0

    def test_names_itself_and_its_backend(self) -> None:
        emb = self.make()
        emb.warm_up()
        assert emb.name and emb.backend

    def test_empty_input(self) -> None:
        out = self.make().embed_passages([])
        assert out.shape[0] == 0
