"""Fixtures shared by the API test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.api_graph import build_graph


@pytest.fixture(scope="module")
def graph_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small hand-written graph, built once per test module."""
    home = tmp_path_factory.mktemp("api-home")
    build_graph(home)
    return home
