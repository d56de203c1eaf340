"""The `hf` generator: a base model + optional LoRA adapter run in-process with transformers.

Defaults are the QiZhen demo settings (temperature 0.4, top_p 0.75, top_k 40, num_beams 2,
repetition_penalty 1.3). The demos never set ``do_sample``, so transformers ran 2-beam search and the
sampling knobs were inert; ``do_sample=False`` (the default here) reproduces that, ``do_sample=True``
makes them count. Streaming cannot use beam search (transformers' streamers reject it), so
``stream()`` decodes with ``num_beams=1``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import fields, replace
from typing import Any

from models.generators.base import Cancellation, GenerationRequest, Generator, GeneratorError
from models.generators.settings import GenerationParams, GeneratorSettings
from models.loading import DEFAULT_MODEL_CACHE, LOAD_FIELDS, LoadSpec, ModelLoadError, load_model
from models.prompts import PromptStyle, PromptTemplate, get_template, load_prompt_style

PARAM_FIELDS = frozenset(f.name for f in fields(GenerationParams))


class StopTrimmer:
    """Cuts streamed text at the first stop string, holding back a tail that could start one."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.keep = max((len(s) for s in self.stops), default=1) - 1
        self.buffer = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        self.buffer += text
        cut = cut_at_stop(self.buffer, self.stops)
        if cut is not None:
            self.stopped = True
            out, self.buffer = cut, ""
            return out
        if not self.keep or len(self.buffer) <= self.keep:
            out, self.buffer = (self.buffer, "") if not self.keep else ("", self.buffer)
            return out
        out, self.buffer = self.buffer[: -self.keep], self.buffer[-self.keep :]
        return out

    def flush(self) -> str:
        out, self.buffer = ("" if self.stopped else self.buffer), ""
        return out


def cut_at_stop(text: str, stops: tuple[str, ...]) -> str | None:
    """``text`` up to the earliest stop string, or None when it holds none."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return text[: min(hits)] if hits else None


class HFGenerator(Generator):
    """Grounded generation with a local model; the prompt style comes from the adapter's
    ``qizhen_prompt.json`` unless ``prompt_style`` overrides it (fallback: the tokenizer's chat
    template when it has one, else alpaca)."""

    name = "hf"

    def __init__(self, base: str | LoadSpec, adapter: str | None = None, prompt_style: str | None = None, *,
                 params: GenerationParams | None = None, seed: int | None = None,
                 model_cache: int = DEFAULT_MODEL_CACHE, **options: Any) -> None:
        """`base` is a LoadSpec, or a base model with the adapter; `options` are LoadSpec and
        GenerationParams fields by name (e.g. ``device="cpu", num_beams=1``); `model_cache`: loaded
        models the process keeps (models.loading.load_model)."""
        unknown = set(options) - LOAD_FIELDS - PARAM_FIELDS
        if unknown:
            raise TypeError(f"unknown HFGenerator options: {sorted(unknown)}")
        load = {k: v for k, v in options.items() if k in LOAD_FIELDS}
        self.spec = base if isinstance(base, LoadSpec) else LoadSpec(base, adapter, **load)
        self.prompt_style = prompt_style
        self.params = replace(params or GenerationParams(), **{k: v for k, v in options.items() if k in PARAM_FIELDS})
        self.seed = seed
        self.model_cache = model_cache
        self.model: Any = None
        self.tokenizer: Any = None
        self.template: PromptTemplate | None = None
        self._error: str | None = None
        #: (new tokens, seconds) of the last generate_text call — for benches and metrics
        self.last_stats: tuple[int, float] = (0, 0.0)
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def base(self) -> str:
        return self.spec.base

    @property
    def adapter(self) -> str | None:
        return self.spec.adapter

    @classmethod
    def from_settings(cls, settings: GeneratorSettings, **overrides: Any) -> HFGenerator:
        if not settings.hf_base_model:
            raise GeneratorError("generator 'hf' needs QIZHEN_HF_BASE_MODEL (a local model folder, .gguf or 'smollm2')")
        spec = LoadSpec(settings.hf_base_model, settings.hf_adapter, gguf_file=settings.hf_gguf_file,
                        merge=settings.hf_merge, load_in_8bit=settings.hf_load_in_8bit, dtype=settings.hf_dtype,
                        device=settings.hf_device, trust_remote_code=settings.hf_trust_remote_code)
        params = GenerationParams(temperature=settings.temperature, top_p=settings.top_p,
                                  top_k=settings.top_k_sampling, num_beams=settings.num_beams,
                                  repetition_penalty=settings.repetition_penalty,
                                  max_new_tokens=settings.max_new_tokens, do_sample=settings.hf_do_sample)
        load = {k: overrides.pop(k) for k in list(overrides) if k in LOAD_FIELDS}
        overrides.setdefault("model_cache", settings.hf_model_cache)
        return cls(replace(spec, **load), prompt_style=overrides.pop("prompt_style", settings.hf_prompt_style),
                   params=params, **overrides)

    # ------------------------------------------------------------------------------------ loading

    def warm_up(self) -> None:
        with self._load_lock:
            if self.model is not None:
                return
            try:
                model, tokenizer = load_model(self.spec, keep=self.model_cache)
            except (ModelLoadError, ImportError) as exc:
                self._error = str(exc)
                raise GeneratorError(f"hf generator: {exc}") from exc
            self.template = get_template(self._style(model), tokenizer=tokenizer)
            self.model, self.tokenizer = model, tokenizer
            self._error = None

    def _style(self, model: Any) -> PromptStyle:
        if self.prompt_style:
            return PromptStyle(self.prompt_style)
        saved = load_prompt_style(self.adapter) if self.adapter else None
        if saved is not None:
            return saved
        if getattr(model.config, "model_type", "") == "chatglm":
            return PromptStyle("chatglm")
        return PromptStyle("alpaca")

    def status(self) -> str:
        if self._error:
            return self._error
        return "ok" if self.model is not None else "not loaded"

    # ------------------------------------------------------------------------------------ prompts

    def build_prompt(self, request: GenerationRequest) -> str:
        """The grounded prompt for a request (evidence numbered as in the request)."""
        self.warm_up()
        assert self.template is not None
        return self.template.build(request.question, request.history, request.evidence)

    # ------------------------------------------------------------------------------------ generation

    def generate(self, request: GenerationRequest) -> str:
        return self.generate_text(self.build_prompt(request), max_new_tokens=request.max_new_tokens)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        yield from self.stream_text(self.build_prompt(request), max_new_tokens=request.max_new_tokens,
                                    cancel=request.cancel)

    def generate_text(self, prompt: str, *, max_new_tokens: int | None = None, **overrides: Any) -> str:
        """Continue a ready prompt; only the new text, cut at the template's stop strings."""
        self.warm_up()
        import torch

        inputs = self._encode(prompt)
        kwargs = self._generate_kwargs(inputs, max_new_tokens, overrides, streaming=False)
        with self._run_lock, torch.inference_mode():
            self._seed()
            start = time.perf_counter()
            output = self.model.generate(**kwargs)
            self.last_stats = (int(output.shape[1] - inputs["input_ids"].shape[1]), time.perf_counter() - start)
        new = output[0, inputs["input_ids"].shape[1] :]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        cut = cut_at_stop(text, self._stops())
        return (text if cut is None else cut).strip()

    def stream_text(self, prompt: str, *, max_new_tokens: int | None = None, cancel: Cancellation | None = None,
                    **overrides: Any) -> Iterator[str]:
        """Yield new text as it is produced (``num_beams`` forced to 1); joined and stripped it equals
        ``generate_text`` for greedy decoding. Once `cancel` is set, generation stops at the next token
        (the model thread is freed, not left generating for nobody)."""
        self.warm_up()
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        inputs = self._encode(prompt)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
        kwargs = self._generate_kwargs(inputs, max_new_tokens, overrides, streaming=True)
        kwargs["streamer"] = streamer
        if cancel is not None:
            kwargs["stopping_criteria"] = StoppingCriteriaList([*kwargs.get("stopping_criteria", []),
                                                               _StopOnCancel(cancel)])
        errors: list[BaseException] = []

        def run() -> None:
            import torch

            try:
                with self._run_lock, torch.inference_mode():
                    self._seed()
                    self.model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the consumer thread
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, name="hf-stream", daemon=True)
        thread.start()
        trimmer = StopTrimmer(self._stops())
        started = False
        try:
            for piece in streamer:
                if cancel is not None and cancel.cancelled:
                    break
                out = trimmer.feed(piece)
                if not started:
                    out = out.lstrip()
                    started = bool(out)
                if out:
                    yield out
                if trimmer.stopped:
                    break
            tail = "" if cancel is not None and cancel.cancelled else trimmer.flush()
            tail = tail if started else tail.lstrip()
            if tail:
                yield tail
        finally:
            thread.join()
        if errors:
            raise GeneratorError(f"hf generation failed: {errors[0]}") from errors[0]

    # ------------------------------------------------------------------------------------ internals

    def _stops(self) -> tuple[str, ...]:
        return self.template.stop_strings if self.template is not None else ()

    def _encode(self, prompt: str) -> dict[str, Any]:
        enc = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=not self._has_bos(prompt))
        limit = getattr(self.model.config, "max_position_embeddings", None)
        n = enc["input_ids"].shape[1]
        if limit and n >= limit:
            raise GeneratorError(f"prompt is {n} tokens, the model's context is {limit}: use fewer evidence items")
        device = self.model.device
        return {k: v.to(device) for k, v in enc.items()}

    def _has_bos(self, prompt: str) -> bool:
        """Chat templates usually write the BOS text themselves; don't add a second one."""
        bos = getattr(self.tokenizer, "bos_token", None)
        return bool(bos) and prompt.startswith(bos)

    def _generate_kwargs(
        self, inputs: dict[str, Any], max_new_tokens: int | None, overrides: dict[str, Any], streaming: bool
    ) -> dict[str, Any]:
        params = replace(self.params, **overrides) if overrides else self.params
        if streaming and params.num_beams > 1:
            params = replace(params, num_beams=1)
        budget = max_new_tokens or params.max_new_tokens
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit:
            budget = max(1, min(budget, limit - inputs["input_ids"].shape[1]))
        kw: dict[str, Any] = dict(
            inputs,
            max_new_tokens=budget,
            num_beams=params.num_beams,
            do_sample=params.do_sample,
            repetition_penalty=params.repetition_penalty,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.tokenizer.eos_token_id,
        )
        if params.do_sample:
            kw.update(temperature=params.temperature, top_p=params.top_p, top_k=params.top_k)
        if self._stops():
            from transformers import StoppingCriteriaList

            kw["stopping_criteria"] = StoppingCriteriaList(
                [_StopOnText(self.tokenizer, self._stops(), inputs["input_ids"].shape[1])]
            )
        return kw

    def _seed(self) -> None:
        if self.seed is not None:
            import torch

            torch.manual_seed(self.seed)


class _StopOnCancel:
    """A transformers StoppingCriteria (duck-typed) that ends every row once the request is cancelled."""

    def __init__(self, cancel: Cancellation) -> None:
        self.cancel = cancel

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.cancel.cancelled, dtype=torch.bool, device=input_ids.device)


class _StopOnText:
    """A transformers StoppingCriteria (duck-typed) that ends a row once its new text holds a stop string."""

    def __init__(self, tokenizer: Any, stops: tuple[str, ...], prompt_len: int) -> None:
        self.tokenizer, self.stops, self.prompt_len = tokenizer, stops, prompt_len
        self.window = max(len(s) for s in stops) + 8

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = []
        for row in input_ids:
            tail = row[self.prompt_len :][-self.window :]
            text = self.tokenizer.decode(tail, skip_special_tokens=True)
            done.append(any(s in text for s in self.stops))
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)
