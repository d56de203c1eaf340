"""Generators behind one interface, chosen by name (the ``generator`` setting); imported lazily so
choosing ``extractive`` never imports torch."""

from __future__ import annotations

import importlib
from typing import Any

from models.generators.base import GenerationRequest, Generator, GeneratorError, Turn

#: any object with the QIZHEN_ settings' attributes (app.settings.Settings); models/ does not import app/
SettingsLike = Any

#: name -> "module:Class"
GENERATORS: dict[str, str] = {
    "extractive": "models.generators.extractive:ExtractiveGenerator",
    "hf": "models.generators.hf:HFGenerator",
    "openai": "models.generators.openai:OpenAIGenerator",
}

__all__ = ["GENERATORS", "GenerationRequest", "Generator", "GeneratorError", "Turn", "make_generator"]


def make_generator(name: str, settings: SettingsLike | None = None, **overrides: Any) -> Generator:
    """A (not yet warmed-up) generator by name. Classes with ``from_settings(settings, **overrides)``
    take their configuration from ``settings``; others are built from ``overrides`` alone."""
    target = GENERATORS.get(name)
    if target is None:
        raise ValueError(f"unknown generator {name!r}; choose one of {sorted(GENERATORS)}")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if settings is not None and hasattr(cls, "from_settings"):
        return cls.from_settings(settings, **overrides)
    return cls(**overrides)
