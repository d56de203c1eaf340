"""The built-in extractive generator and a generator added the documented way pass one contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings
from models.generators import GENERATORS, make_generator, register_generator
from models.generators.base import GenerationRequest, Generator
from models.generators.extractive import ExtractiveGenerator
from models.generators.settings import GeneratorSettings
from tests.models.generator_contract import GeneratorContract


class EchoGenerator(Generator):
    """A new generator is one class (here) plus one registration line."""

    name = "echo"

    def generate(self, request: GenerationRequest) -> str:
        return "".join(f"{ev.text}[{ev.index}]。" for ev in request.evidence)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        for ev in request.evidence:
            yield f"{ev.text}[{ev.index}]。"


@pytest.fixture(autouse=True, scope="module")
def _echo_registered() -> Iterator[None]:
    register_generator("echo", f"{__name__}:EchoGenerator")
    yield
    GENERATORS.pop("echo", None)


class TestExtractiveContract(GeneratorContract):
    def make(self) -> Generator:
        return ExtractiveGenerator()


class TestEchoContract(GeneratorContract):
    def make(self) -> Generator:
        return make_generator("echo", Settings())


def test_settings_satisfy_the_generator_protocol() -> None:
    """models/ types against GeneratorSettings; the app's Settings must define every field it names."""
    s = Settings()
    missing = [k for k in GeneratorSettings.__annotations__ if not hasattr(s, k)]
    assert missing == []
