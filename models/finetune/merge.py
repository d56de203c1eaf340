"""`qizhen finetune merge`: fold a LoRA adapter into its base and save a standard HF model folder.

The result (safetensors weights + config + tokenizer + qizhen_prompt.json) loads with plain
`AutoModelForCausalLM.from_pretrained`, the hf generator (`QIZHEN_HF_BASE_MODEL=<out>`, no adapter)
and vLLM (`vllm serve <out>`), which then needs no peft at all.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InvalidInput
from models.finetune.train import drop_gguf_marker
from models.loading import ModelLoadError, load_model


@dataclass(frozen=True, slots=True)
class MergeResult:
    out: Path
    parameters: int
    prompt_style: str | None


def merge_adapter(base: str, adapter: str | Path, out: str | Path, *, gguf_file: str | None = None,
                  dtype: str = "float32", trust_remote_code: bool = False, overwrite: bool = False) -> MergeResult:
    """Merge `adapter` into `base` (fp32 by default: exact; 'bfloat16'/'float16' halve the size)."""
    from models.prompts import PROMPT_STYLE_FILE, load_prompt_style

    adapter, out = Path(adapter), Path(out)
    if not (adapter / "adapter_config.json").is_file():
        raise ModelLoadError(f"not a LoRA adapter folder (no adapter_config.json): {adapter}")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InvalidInput(f"{out} exists and is not empty (pass --overwrite to replace it)")
    model, tokenizer = load_model(base, str(adapter), gguf_file=gguf_file, merge=True, dtype=dtype, device="cpu",
                                  trust_remote_code=trust_remote_code, cache=False)
    drop_gguf_marker(model)  # a merged GGUF base is saved as plain float safetensors
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    style = load_prompt_style(adapter)
    if style is not None:
        shutil.copy2(adapter / PROMPT_STYLE_FILE, tmp / PROMPT_STYLE_FILE)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)  # written fully before it appears under its name
    return MergeResult(out, sum(p.numel() for p in model.parameters()), style.style if style else None)
