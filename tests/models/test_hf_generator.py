"""The hf path end to end on a tiny LLaMA built here: load (+LoRA, merge), prompts, generate, stream."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from app.settings import Settings
from models.generators import make_generator
from models.generators.base import Cancellation, GenerationRequest, GeneratorError, Turn
from models.generators.hf import HFGenerator, StopTrimmer, cut_at_stop
from models.loading import ModelLoadError, load_model, make_spec, smollm2_gguf_path
from models.prompts import AlpacaTemplate, ChatGLMTemplate, ChatTemplate
from tests.conftest import make_evidence

EVIDENCE = [
    make_evidence(index=1, entity_id="e1", entity_name="非布司他片", entity_type="Drug", field="INDICATED_FOR",
             text="痛风", source="cmekg"),
    make_evidence(index=2, entity_id="e1", entity_name="非布司他片", entity_type="Drug", field="ADVERSE_REACTION",
             text="肝功能异常", source="cmekg"),
]
REQUEST = GenerationRequest(
    question="非布司他片的适应症是什么？",
    history=[Turn(role="user", content="痛风吃什么药？"), Turn(role="assistant", content="非布司他片。")],
    evidence=EVIDENCE,
)


def _logits(model, tokenizer, text: str = "非布司他片的适应症是什么？") -> torch.Tensor:
    ids = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        return model(**ids).logits


def _greedy(base: Path, adapter: Path | None = None, **kw) -> HFGenerator:
    kw = {"num_beams": 1, "max_new_tokens": 24} | kw
    return HFGenerator(str(base), str(adapter) if adapter else None, **kw)


# ------------------------------------------------------------------------------------- loading


def test_adapter_saved_and_reloaded_gives_same_logits(tiny_llama: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_llama)
    torch.manual_seed(3)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_llama),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False),
    ).eval()
    expected = _logits(model, tokenizer)
    model.save_pretrained(tmp_path / "adapter")

    reloaded, tok = load_model(str(tiny_llama), str(tmp_path / "adapter"), cache=False)
    assert torch.allclose(_logits(reloaded, tok), expected, atol=1e-6)
    base, _ = load_model(str(tiny_llama), cache=False)
    assert (_logits(base, tok) - expected).abs().max() > 1e-3  # the adapter really changes the model


def test_merged_equals_unmerged(tiny_llama: Path, tiny_lora: Path) -> None:
    unmerged, tok = load_model(str(tiny_llama), str(tiny_lora), cache=False)
    merged, _ = load_model(str(tiny_llama), str(tiny_lora), merge=True, cache=False)
    assert not hasattr(merged, "peft_config")
    assert (_logits(merged, tok) - _logits(unmerged, tok)).abs().max() < 1e-4


def test_load_model_is_cached_per_configuration(tiny_llama: Path, tiny_lora: Path) -> None:
    a = load_model(str(tiny_llama), str(tiny_lora))
    assert load_model(str(tiny_llama), str(tiny_lora)) is a
    assert load_model(str(tiny_llama), str(tiny_lora), merge=True) is not a


def test_cpu_defaults_to_fp32_and_dtype_override(tiny_llama: Path) -> None:
    model, _ = load_model(str(tiny_llama), device="cpu")
    assert next(model.parameters()).dtype == torch.float32
    assert make_spec(str(tiny_llama), device="cpu", dtype="bf16").dtype == "bfloat16"
    with pytest.raises(ModelLoadError):
        make_spec(str(tiny_llama), device="cpu", dtype="int3")


def test_load_errors_are_clear(tmp_path: Path, tiny_llama: Path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(str(tmp_path / "nope"))
    with pytest.raises(ModelLoadError, match="adapter"):
        load_model(str(tiny_llama), str(tmp_path))
    with pytest.raises(ModelLoadError, match="GGUF"):
        load_model(str(tiny_llama), gguf_file="missing.gguf")


def test_smollm2_gguf_is_found() -> None:
    path = smollm2_gguf_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 10_000_000
    spec = make_spec("smollm2", device="cpu")
    assert Path(spec.base) / spec.gguf_file == path


# ------------------------------------------------------------------------------------- generator


def test_prompt_style_comes_from_the_adapter_unless_overridden(tiny_llama: Path, tiny_lora: Path) -> None:
    gen = _greedy(tiny_llama, tiny_lora)
    prompt = gen.build_prompt(REQUEST)
    assert isinstance(gen.template, AlpacaTemplate)
    assert "[1] 非布司他片 适应症: 痛风 (cmekg)" in prompt and "痛风吃什么药？" in prompt
    assert prompt.endswith("### Response:")
    gen2 = _greedy(tiny_llama, tiny_lora, prompt_style="chatglm")
    assert gen2.template is None  # constructors are cheap: nothing loaded before use
    assert gen2.build_prompt(REQUEST).startswith("[Round 0]\n问：痛风吃什么药？")
    assert isinstance(gen2.template, ChatGLMTemplate)
    gen3 = _greedy(tiny_llama, prompt_style="chat")
    assert gen3.build_prompt(REQUEST).endswith("<|assistant|>\n")
    assert isinstance(gen3.template, ChatTemplate)


def test_generate_returns_only_new_text(tiny_llama: Path, tiny_lora: Path) -> None:
    gen = _greedy(tiny_llama, tiny_lora)
    text = gen.generate(REQUEST)
    assert text and len(text) <= 24  # character-level tokenizer: one char per token
    assert "Below is an instruction" not in text and "非布司他片的适应症是什么" not in text
    assert gen.generate(REQUEST) == text  # greedy is deterministic
    assert gen.status() == "ok"
    short = gen.generate(REQUEST.model_copy(update={"max_new_tokens": 5}))
    assert 0 < len(short) <= 5 and text.startswith(short)


def test_stream_joins_to_generate_for_greedy(tiny_llama: Path, tiny_lora: Path) -> None:
    gen = _greedy(tiny_llama, tiny_lora)
    pieces = list(gen.stream(REQUEST))
    assert len(pieces) > 1
    assert "".join(pieces).strip() == gen.generate(REQUEST)


def test_qizhen_defaults_beam_search_and_streaming_falls_back_to_one_beam(tiny_llama: Path, tiny_lora: Path) -> None:
    gen = HFGenerator(str(tiny_llama), str(tiny_lora), max_new_tokens=16)
    assert (gen.params.temperature, gen.params.top_p, gen.params.top_k) == (0.4, 0.75, 40)
    assert (gen.params.num_beams, gen.params.repetition_penalty) == (2, 1.3)
    assert gen.generate(REQUEST)
    streamed = "".join(gen.stream(REQUEST)).strip()
    assert streamed == _greedy(tiny_llama, tiny_lora, repetition_penalty=1.3, max_new_tokens=16).generate(REQUEST)


def test_sampling_with_seed_is_reproducible(tiny_llama: Path) -> None:
    a = _greedy(tiny_llama, do_sample=True, seed=5, temperature=1.0, top_p=1.0, top_k=0).generate(REQUEST)
    b = _greedy(tiny_llama, do_sample=True, seed=5, temperature=1.0, top_p=1.0, top_k=0).generate(REQUEST)
    assert a == b and a


def test_missing_model_is_a_generator_error(tmp_path: Path) -> None:
    gen = HFGenerator(str(tmp_path / "missing"))
    with pytest.raises(GeneratorError, match="not found"):
        gen.generate(REQUEST)
    assert "not found" in gen.status()


def test_make_generator_from_settings(tiny_llama: Path, tiny_lora: Path) -> None:
    settings = Settings(generator="hf", hf_base_model=str(tiny_llama), hf_adapter=str(tiny_lora), num_beams=1,
                        max_new_tokens=12)
    gen = make_generator("hf", settings)
    assert isinstance(gen, HFGenerator) and gen.params.max_new_tokens == 12
    assert gen.generate(REQUEST) == _greedy(tiny_llama, tiny_lora, max_new_tokens=12).generate(REQUEST)
    with pytest.raises(GeneratorError, match="QIZHEN_HF_BASE_MODEL"):
        make_generator("hf", Settings(generator="hf"))
    with pytest.raises(ValueError, match="unknown generator"):
        make_generator("gpt5", settings)


# ------------------------------------------------------------------------------------- stop strings


def test_cut_at_stop() -> None:
    assert cut_at_stop("答案[1]。\n\n### Instruction:\n下一个", ("### Instruction:",)) == "答案[1]。\n\n"
    assert cut_at_stop("答案", ("### Instruction:",)) is None


def test_stop_trimmer_holds_back_partial_stop() -> None:
    trimmer = StopTrimmer(("### Instruction:",))
    out = [trimmer.feed(p) for p in ["痛风", "[1]。#", "## Instr", "uction:", "后面"]]
    assert "".join(out) + trimmer.flush() == "痛风[1]。"
    assert trimmer.stopped
    free = StopTrimmer(("### Instruction:",))
    got = "".join(free.feed(p) for p in ["a#", "#b", "c"]) + free.flush()
    assert got == "a##bc"


# ------------------------------------------------------------------------------------- SmolLM2


@pytest.mark.slow
def test_smollm2_generates_through_gguf() -> None:
    gen = HFGenerator("smollm2", prompt_style="chat", num_beams=1, max_new_tokens=8, device="cpu")
    text = gen.generate(GenerationRequest(question="What is gout?"))
    assert text and gen.model.config.model_type == "llama"
    grounded = gen.build_prompt(REQUEST)
    assert "<|im_start|>user" in grounded and "[1] 非布司他片" in grounded


def test_a_cancelled_stream_stops_generating(tiny_llama: Path, tiny_lora: Path) -> None:
    """Issue 18, finding 5: once the request is cancelled the model stops at the next token (the
    stopping criterion), the stream ends and its generation thread is joined."""
    gen = _greedy(tiny_llama, tiny_lora, max_new_tokens=200)
    cancel = Cancellation()
    stream = gen.stream(REQUEST.model_copy(update={"cancel": cancel}))
    first = next(stream)
    cancel.cancel()
    rest = list(stream)  # ends: generation stopped
    assert first and len(first + "".join(rest)) < 200


def test_the_model_cache_is_bounded(tiny_llama: Path) -> None:
    """At most `keep` loaded models stay (least recently used dropped): a process that tries several
    configurations does not keep every model in memory."""
    a = load_model(str(tiny_llama), device="cpu", dtype="float32", keep=1)
    assert load_model(str(tiny_llama), device="cpu", dtype="float32", keep=1) is a
    b = load_model(str(tiny_llama), device="cpu", dtype="bfloat16", keep=1)
    assert b is not a and load_model(str(tiny_llama), device="cpu", dtype="bfloat16", keep=1) is b
    assert load_model(str(tiny_llama), device="cpu", dtype="float32", keep=1) is not a  # dropped, loaded again
