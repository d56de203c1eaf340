"""The Embedder interface: texts in, L2-normalized float32 vectors out."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "


_E5_NAME = re.compile(r"(?:^|[-_/. ])(?:nano)?e5(?:[-_. ]|$)")


def is_e5(model_name: str) -> bool:
    """e5 models were trained with `query: ` / `passage: ` prefixes and need them at inference."""
    last = model_name.lower().replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return bool(_E5_NAME.search(last))


class Embedder(ABC):
    """Dense sentence embeddings. Construction is cheap; the model loads in `warm_up()` (or lazily)."""

    #: model name written into index manifests (a stale index is detected by it)
    name: str = ""
    #: which runtime actually runs the model: torch | onnx
    backend: str = ""

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def warm_up(self) -> None:
        """Load the model now (idempotent)."""

    @abstractmethod
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalized; e5 models get the `query: ` prefix inside."""

    @abstractmethod
    def embed_passages(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(n, dim) float32, rows L2-normalized; e5 models get the `passage: ` prefix inside."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]


def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)
