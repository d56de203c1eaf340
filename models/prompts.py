"""Prompt templates, one class per model family; inference and fine-tuning share them.

* ``AlpacaTemplate`` — the QiZhen LLaMA / CaMA LoRA models ("Below is an instruction …### Response:"),
  history folded into the instruction the way the QiZhen demos do.
* ``ChatGLMTemplate`` — ChatGLM-6B's "[Round n]\\n问：…\\n答：…" rounds.
* ``ChatTemplate`` — the tokenizer's own chat template (``tokenizer.apply_chat_template``).

Grounding: when evidence is given (or the template is built with ``grounded=True``) the prompt lists
the evidence as numbered facts ("[1] 非布司他片 适应症: 痛风 (cmekg)") and instructs the model, in
Chinese, to answer only from them and cite them as [n]. The same split is used for training data:
``grounded_instruction(question)`` is the instruction and ``format_evidence(evidence)`` the input, so
``build_training_example`` renders exactly the prompt inference builds.

A ``qizhen_prompt.json`` file saved next to an adapter records the style it was trained with.
"""

from __future__ import annotations

import json
import string
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from kg.errors import InvalidInput
from kg.vocabulary import field_label
from models.generators.base import Turn
from retrieval.types import Evidence

PROMPT_STYLE_FILE = "qizhen_prompt.json"
STYLES: tuple[str, ...] = ("alpaca", "chatglm", "chat")

#: What the model is told to say when no fact answers the question (also used by abstention).
NO_ANSWER_TEXT = "知识库中没有可以回答这个问题的依据。"

GROUNDED_RULES = (
    "请只根据下面列出的编号事实回答问题，不要使用事实以外的知识。"
    "每句用到事实的话后面用[n]标注所依据事实的编号。"
    f"如果这些事实都不能回答问题，请直接回答：“{NO_ANSWER_TEXT}”"
)


HistoryLike = Sequence[Turn] | Sequence[tuple[str, str]]


class PromptTemplateError(InvalidInput):
    """A template string, a prompt-style file or the inputs to a template are invalid."""


# ---------------------------------------------------------------------------------------------- helpers


def check_placeholders(template: str, required: set[str], what: str) -> None:
    """Raise unless ``template`` uses exactly the named placeholders ``required`` (no positional ones)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:  # unbalanced braces
        raise PromptTemplateError(f"{what}: malformed template: {exc}") from exc
    found: set[str] = set()
    for _, name, spec, conv in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise PromptTemplateError(f"{what}: positional placeholder '{{{name}}}' is not allowed")
        if spec or conv:
            raise PromptTemplateError(f"{what}: placeholder '{{{name}}}' must not carry a format spec")
        found.add(name)
    missing, unknown = required - found, found - required
    if missing or unknown:
        raise PromptTemplateError(
            f"{what}: placeholders must be {sorted(required)}; missing {sorted(missing)}, unknown {sorted(unknown)}"
        )


def format_evidence(evidence: Sequence[Evidence]) -> str:
    """Numbered fact lines, one per item: "[1] 非布司他片 适应症: 痛风 (cmekg)"; validates the numbering."""
    seen: set[int] = set()
    lines: list[str] = []
    for ev in evidence:
        if ev.index < 1 or ev.index in seen:
            raise PromptTemplateError(f"evidence indices must be unique and >= 1, got {ev.index}")
        seen.add(ev.index)
        text = " ".join(ev.text.split())
        if ev.heading and ev.heading.startswith(ev.entity_name):
            # the retriever's self-describing heading ("X的适应症"): keep one layout with training data
            text = " ".join(ev.body.split())
        elif ev.heading:  # a reverse heading ("可用于治疗痛风的药物：…") says more than the field label
            lines.append(f"[{ev.index}] {text} ({ev.source})")
            continue
        lines.append(f"[{ev.index}] {ev.entity_name} {field_label(ev.field)}: {text} ({ev.source})")
    return "\n".join(lines)


def grounded_instruction(question: str) -> str:
    """The instruction part of a grounded prompt (the evidence goes in the input part)."""
    return f"{GROUNDED_RULES}\n问题：{_check_text(question, 'question')}"


def grounded_input(evidence: Sequence[Evidence]) -> str:
    facts = format_evidence(evidence)
    return f"事实：\n{facts}" if facts else "事实：（无）"


def history_pairs(history: HistoryLike | None) -> list[tuple[str, str]]:
    """(question, answer) pairs from turns; a user turn without a reply gets an empty answer."""
    pairs: list[tuple[str, str]] = []
    for item in history or []:
        if isinstance(item, Turn):
            if item.role == "user":
                pairs.append((item.content, ""))
            elif pairs and not pairs[-1][1]:
                pairs[-1] = (pairs[-1][0], item.content)
            else:  # an assistant turn with no question before it
                pairs.append(("", item.content))
        else:
            q, a = item
            pairs.append((str(q), str(a)))
    return pairs


def _check_text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PromptTemplateError(f"{what} must be a non-empty string")
    return value.strip()


def chat_messages(
    instruction: str, input: str = "", history: HistoryLike | None = None, system: str | None = None  # noqa: A002
) -> list[dict[str, str]]:
    """OpenAI-style messages: optional system, the history turns, then instruction (+ input) as user."""
    messages: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
    for q, a in history_pairs(history):
        if q:
            messages.append({"role": "user", "content": q})
        if a:
            messages.append({"role": "assistant", "content": a})
    content = f"{instruction}\n\n{input}" if input.strip() else instruction
    messages.append({"role": "user", "content": content})
    return messages


def build_messages(
    question: str,
    history: HistoryLike | None = None,
    evidence: Sequence[Evidence] | None = None,
    *,
    grounded: bool = False,
    system: str | None = None,
) -> list[dict[str, str]]:
    """The messages ``ChatTemplate.build`` renders (for OpenAI-compatible chat servers)."""
    question = _check_text(question, "question")
    if evidence is not None or grounded:
        return chat_messages(grounded_instruction(question), grounded_input(evidence or []), history, system)
    return chat_messages(question, "", history, system)


# ---------------------------------------------------------------------------------------------- templates


class PromptTemplate(ABC):
    """Builds the text a model continues. ``build`` for inference, ``build_training_example`` for SFT:
    the prompt/response split is the mask point (prompt tokens get label -100)."""

    style: ClassVar[str] = ""
    #: the marker after which the model's answer starts in a full decoded text
    response_marker: ClassVar[str] = ""
    #: whether the trainer must append the tokenizer's EOS after the response text
    needs_eos: ClassVar[bool] = True
    #: text that ends an answer when a model runs on into a new turn (cut at generation time)
    stop_strings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, grounded: bool = False) -> None:
        self.grounded = grounded

    def build(
        self,
        question: str,
        history: HistoryLike | None = None,
        evidence: Sequence[Evidence] | None = None,
    ) -> str:
        """The inference prompt. Grounded when ``evidence`` is given or the template is grounded."""
        question = _check_text(question, "question")
        if evidence is not None or self.grounded:
            return self.render(grounded_instruction(question), grounded_input(evidence or []), history)
        return self.render(question, "", history)

    def build_training_example(
        self,
        instruction: str,
        input: str = "",  # noqa: A002 - the alpaca field name
        output: str = "",
        history: HistoryLike | None = None,
    ) -> tuple[str, str]:
        """(prompt_text, response_text); concatenated they are the training text."""
        prompt = self.render(_check_text(instruction, "instruction"), input or "", history)
        return prompt, self.response_text(prompt, output, instruction, input or "", history)

    def response_text(
        self, prompt: str, output: str, instruction: str, input: str, history: HistoryLike | None  # noqa: A002
    ) -> str:
        return output

    def extract_response(self, decoded: str) -> str:
        """The answer part of a decoded prompt+answer text (after the last response marker)."""
        if self.response_marker and self.response_marker in decoded:
            return decoded.rsplit(self.response_marker, 1)[-1].strip()
        return decoded.strip()

    @abstractmethod
    def render(self, instruction: str, input: str, history: HistoryLike | None) -> str:  # noqa: A002
        """The prompt text for one instruction (+ optional input) after the given history."""


class AlpacaTemplate(PromptTemplate):
    """The QiZhen LLaMA/CaMA template. History is folded the way the QiZhen demos do: earlier turns are
    written as "### Instruction:\\n{q}\\n\\n### Response: {a}\\n\\n" in front of the instruction, and the
    folded history is cut from the left to ``max_history_chars`` (the demos' ``max_memory=512``) —
    here the current instruction itself is never cut."""

    style = "alpaca"
    response_marker = "### Response:"
    stop_strings = ("### Instruction:", "### Response:", "### Input:")
    PROMPT_NO_INPUT = (
        "Below is an instruction that describes a task. Write a response that appropriately completes "
        "the request.\n\n### Instruction:\n{instruction}\n\n### Response:"
    )
    PROMPT_INPUT = (
        "Below is an instruction that describes a task, paired with an input that provides further "
        "context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
        "{instruction}\n\n### Input:\n{input}\n\n### Response:"
    )

    def __init__(
        self,
        *,
        grounded: bool = False,
        max_history_chars: int = 512,
        prompt_no_input: str | None = None,
        prompt_input: str | None = None,
    ) -> None:
        super().__init__(grounded=grounded)
        self.prompt_no_input = prompt_no_input or self.PROMPT_NO_INPUT
        self.prompt_input = prompt_input or self.PROMPT_INPUT
        check_placeholders(self.prompt_no_input, {"instruction"}, "alpaca prompt_no_input")
        check_placeholders(self.prompt_input, {"instruction", "input"}, "alpaca prompt_input")
        if max_history_chars < 0:
            raise PromptTemplateError("max_history_chars must be >= 0")
        self.max_history_chars = max_history_chars

    def fold_history(self, instruction: str, history: HistoryLike | None) -> str:
        pairs = history_pairs(history)
        if not pairs:
            return instruction
        folded = "".join(f"### Instruction:\n{q}\n\n### Response: {a}\n\n" for q, a in pairs)
        folded = folded[len("### Instruction:\n") :]
        budget = max(self.max_history_chars - len(instruction) - len("### Instruction:\n"), 0)
        if len(folded) > budget:
            folded = folded[len(folded) - budget :] if budget else ""
        return f"{folded}### Instruction:\n{instruction}" if folded else instruction

    def render(self, instruction: str, input: str, history: HistoryLike | None) -> str:  # noqa: A002
        instruction = self.fold_history(instruction, history)
        if input.strip():
            return self.prompt_input.format(instruction=instruction, input=input)
        return self.prompt_no_input.format(instruction=instruction)


class ChatGLMTemplate(PromptTemplate):
    """ChatGLM-6B's chat format (its ``chat()`` and p-tuning code): with no history the prompt is the
    bare query; otherwise "[Round i]\\n问：{q}\\n答：{a}\\n" per earlier turn, then
    "[Round n]\\n问：{query}\\n答："."""

    style = "chatglm"
    response_marker = "答："
    stop_strings = ("[Round ", "\n问：")
    ROUND = "[Round {index}]\n问：{question}\n答：{answer}\n"
    LAST_ROUND = "[Round {index}]\n问：{question}\n答："

    def __init__(
        self,
        *,
        grounded: bool = False,
        round_template: str | None = None,
        last_round_template: str | None = None,
        max_history_rounds: int = 8,
    ) -> None:
        super().__init__(grounded=grounded)
        self.round_template = round_template or self.ROUND
        self.last_round_template = last_round_template or self.LAST_ROUND
        check_placeholders(self.round_template, {"index", "question", "answer"}, "chatglm round")
        check_placeholders(self.last_round_template, {"index", "question"}, "chatglm last round")
        self.max_history_rounds = max_history_rounds

    def render(self, instruction: str, input: str, history: HistoryLike | None) -> str:  # noqa: A002
        query = f"{instruction}\n\n{input}" if input.strip() else instruction
        pairs = history_pairs(history)[-self.max_history_rounds :] if self.max_history_rounds else []
        if not pairs:
            return query
        prompt = "".join(
            self.round_template.format(index=i, question=q, answer=a) for i, (q, a) in enumerate(pairs)
        )
        return prompt + self.last_round_template.format(index=len(pairs), question=query)


class ChatTemplate(PromptTemplate):
    """The tokenizer's own chat template (SmolLM2, Qwen, … instruct models)."""

    style = "chat"
    needs_eos = False  # the chat template closes the assistant turn itself

    def __init__(self, tokenizer: Any = None, *, grounded: bool = False, system: str | None = None) -> None:
        super().__init__(grounded=grounded)
        self.tokenizer = tokenizer
        self.system = system

    def _messages(self, instruction: str, input: str, history: HistoryLike | None) -> list[dict[str, str]]:  # noqa: A002
        return chat_messages(instruction, input, history, self.system)

    def _apply(self, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        if self.tokenizer is None:
            raise PromptTemplateError("ChatTemplate needs a tokenizer (get_template('chat', tokenizer=...))")
        if not getattr(self.tokenizer, "chat_template", None):
            raise PromptTemplateError("this tokenizer has no chat template; use prompt style alpaca or chatglm")
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def render(self, instruction: str, input: str, history: HistoryLike | None) -> str:  # noqa: A002
        return self._apply(self._messages(instruction, input, history), add_generation_prompt=True)

    def response_text(
        self, prompt: str, output: str, instruction: str, input: str, history: HistoryLike | None  # noqa: A002
    ) -> str:
        messages = self._messages(instruction, input, history) + [{"role": "assistant", "content": output}]
        full = self._apply(messages, add_generation_prompt=False)
        if not full.startswith(prompt):
            raise PromptTemplateError("the chat template does not render the prompt as a prefix of the dialogue")
        return full[len(prompt) :]


# ---------------------------------------------------------------------------------------------- style file


@dataclass(frozen=True)
class PromptStyle:
    """Contents of ``qizhen_prompt.json``: which template an adapter was trained with."""

    style: str = "alpaca"
    grounded: bool = False

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise PromptTemplateError(f"unknown prompt style {self.style!r}; expected one of {STYLES}")


def save_prompt_style(directory: str | Path, style: PromptStyle | str, grounded: bool = False) -> Path:
    spec = style if isinstance(style, PromptStyle) else PromptStyle(style=style, grounded=grounded)
    path = Path(directory) / PROMPT_STYLE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(spec), ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_prompt_style(directory: str | Path) -> PromptStyle | None:
    """The style saved in ``directory`` (None when there is no file; an error when it is malformed)."""
    path = Path(directory) / PROMPT_STYLE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PromptTemplateError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("style"), str):
        raise PromptTemplateError(f"{path}: expected {{\"style\": ..., \"grounded\": ...}}")
    return PromptStyle(style=data["style"], grounded=bool(data.get("grounded", False)))


def get_template(
    style: PromptStyle | str, *, grounded: bool | None = None, tokenizer: Any = None
) -> PromptTemplate:
    """A template by style name (or a loaded ``PromptStyle``); ``chat`` needs the tokenizer."""
    spec = style if isinstance(style, PromptStyle) else PromptStyle(style=style)
    flag = spec.grounded if grounded is None else grounded
    if spec.style == "alpaca":
        return AlpacaTemplate(grounded=flag)
    if spec.style == "chatglm":
        return ChatGLMTemplate(grounded=flag)
    return ChatTemplate(tokenizer, grounded=flag)
