"""What generators read from the settings. models/ does not import app/, so generators type against
this protocol; app.settings.Settings satisfies it (tests/models check that it does)."""

from __future__ import annotations

from typing import Any, Protocol


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
