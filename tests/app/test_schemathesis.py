"""Property-based API testing from the app's own OpenAPI schema: >= 1,000 generated cases, no 5xx.

Driven through schemathesis' Python API (operation strategies + Hypothesis `@given`), not its
pytest plugin: the plugin reaches into pytest internals (`Function._nodeid`) and broke with
pytest 9.2, which a fresh install resolves (issue 12)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from app.api.main import create_app  # noqa: E402
from tests.app.api_graph import build_graph  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
EXAMPLES_PER_OPERATION = 300
MIN_CASES = 1000


@pytest.fixture(scope="module")
def started_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The real app over a small real graph, with its lifespan entered (service warmed)."""
    home = tmp_path_factory.mktemp("schemathesis-home")
    app = create_app(build_graph(home))
    with TestClient(app):
        yield app


#: too-long questions are rejected with 413 (declared), a legitimate answer to schema-violating data
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""


@pytest.fixture(scope="module")
def api_schema(started_app: FastAPI):  # type: ignore[no-untyped-def]
    config = schemathesis.config.SchemathesisConfig.from_str(CONFIG)
    return schemathesis.openapi.from_asgi("/openapi.json", started_app, config=config)


def _operations(api_schema) -> list:  # type: ignore[no-untyped-def]
    out = []
    for result in api_schema.get_all_operations():
        out.append(result.ok())  # an Err (an operation the schema cannot describe) fails here
    return out


def _fuzz(op) -> int:  # type: ignore[no-untyped-def]
    """Run one operation's generated cases (schema-valid and schema-violating); returns how many."""
    label = f"{op.method.upper()} {op.path}"
    count = 0

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(op.as_strategy(schemathesis.GenerationMode.POSITIVE),
                          op.as_strategy(schemathesis.GenerationMode.NEGATIVE)))
    def check(case) -> None:  # type: ignore[no-untyped-def]
        nonlocal count
        count += 1
        response = case.call_and_validate()
        assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:500]}"

    check()
    return count


def test_api_conforms_to_its_schema(api_schema) -> None:  # type: ignore[no-untyped-def]
    """Every operation, schema-valid and schema-violating data: each response passes schemathesis'
    checks (status codes, content types, response schemas, negative data rejected) and none is a 5xx."""
    operations = _operations(api_schema)
    assert operations, "the OpenAPI schema lists no operations"
    cases = {f"{op.method.upper()} {op.path}": _fuzz(op) for op in operations}
    total = sum(cases.values())
    print(f"schemathesis: {total} generated cases over {len(operations)} operations: {cases}")
    assert total >= MIN_CASES, f"only {total} generated cases"
