"""Fixtures for the model tests: a tiny random LLaMA and a LoRA adapter on it, built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder with a 2-layer, hidden-64 LLaMA (seeded random weights) and a character-level tokenizer."""
    from tests.tiny_llama import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


@pytest.fixture(scope="session")
def tiny_lora(tiny_llama: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved LoRA adapter (q/v, random non-zero B) with an alpaca prompt-style file."""
    from tests.tiny_llama import build_lora_adapter

    return build_lora_adapter(tiny_llama, tmp_path_factory.mktemp("tiny_lora"))
