"""Generators behind one interface, chosen by name (the ``generator`` setting); imported lazily so
choosing ``extractive`` never imports torch."""

from __future__ import annotations

import importlib
from typing import Any

from kg.errors import InvalidInput
from models.generators.base import GenerationRequest, Generator, GeneratorError, Turn
from models.generators.settings import GeneratorSettings

#: name -> "module:Class"
GENERATORS: dict[str, str] = {
    "extractive": "models.generators.extractive:ExtractiveGenerator",
    "hf": "models.generators.hf:HFGenerator",
    "openai": "models.generators.openai:OpenAIGenerator",
}

__all__ = ["GENERATORS", "GenerationRequest", "Generator", "GeneratorError", "GeneratorSettings", "Turn",
           "make_generator", "register_generator"]


def make_generator(name: str, settings: GeneratorSettings | None = None, **overrides: Any) -> Generator:
    """A (not yet warmed-up) generator by name. Classes with ``from_settings(settings, **overrides)``
    take their configuration from ``settings``; others are built from ``overrides`` alone."""
    target = GENERATORS.get(name)
    if target is None:
        raise InvalidInput(f"unknown generator {name!r}; choose one of {sorted(GENERATORS)}")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if settings is not None and hasattr(cls, "from_settings"):
        return cls.from_settings(settings, **overrides)
    return cls(**overrides)


def register_generator(name: str, target: str) -> None:
    """Add a generator ("module:Class") at run time; the UI and the API list `GENERATORS`."""
    GENERATORS[name] = target
