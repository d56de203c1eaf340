"""What generators read from the settings, and the sampling defaults (QiZhen's demos) they share.

models/ does not import app/, so generators type against `GeneratorSettings`; app.settings.Settings
satisfies it (tests/models check that it does) and takes its sampling defaults from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kg.errors import InvalidInput


@dataclass(frozen=True)
class GenerationParams:
    temperature: float = 0.4
    top_p: float = 0.75
    top_k: int = 40
    num_beams: int = 2
    repetition_penalty: float = 1.3
    max_new_tokens: int = 256
    do_sample: bool = False

    def __post_init__(self) -> None:
        if self.num_beams < 1 or self.max_new_tokens < 1 or self.top_k < 0:
            raise InvalidInput("num_beams and max_new_tokens must be >= 1, top_k >= 0")
        if not 0.0 < self.top_p <= 1.0 or self.temperature <= 0 or self.repetition_penalty <= 0:
            raise InvalidInput("need 0 < top_p <= 1, temperature > 0, repetition_penalty > 0")


class GeneratorSettings(Protocol):
    generator: str
    # hf
    hf_base_model: str | None
    hf_adapter: str | None
    hf_gguf_file: str | None
    hf_merge: bool
    hf_load_in_8bit: bool
    hf_prompt_style: str | None
    hf_dtype: str | None
    hf_device: str | None
    hf_trust_remote_code: bool
    hf_do_sample: bool
    hf_model_cache: int
    # openai-compatible servers
    openai_base_url: str
    openai_model: str
    openai_api_key: Any  # pydantic SecretStr
    # sampling, shared by every generator
    max_new_tokens: int
    temperature: float
    top_p: float
    top_k_sampling: int
    num_beams: int
    repetition_penalty: float
