"""Prompt templates: placeholders, history folding, grounded evidence numbering, training split."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.generators.base import Turn
from models.prompts import (
    NO_ANSWER_TEXT,
    PROMPT_STYLE_FILE,
    AlpacaTemplate,
    ChatGLMTemplate,
    ChatTemplate,
    PromptStyle,
    PromptTemplateError,
    check_placeholders,
    format_evidence,
    get_template,
    grounded_input,
    grounded_instruction,
    load_prompt_style,
    save_prompt_style,
)
from retrieval.types import Evidence
from tests.conftest import make_evidence


def _ev(index: int, name: str, field: str, text: str, source: str = "cmekg") -> Evidence:
    return make_evidence(
        index=index, entity_id=f"e{index}", entity_name=name, entity_type="Drug", field=field, text=text, source=source
    )


EVIDENCE = [
    _ev(1, "非布司他片", "INDICATED_FOR", "痛风"),
    _ev(2, "非布司他片", "ADVERSE_REACTION", "肝功能异常", "caregpt"),
    _ev(3, "非布司他片", "简介", "用于痛风患者高尿酸血症的长期治疗"),
]


# ------------------------------------------------------------------------------------- placeholders


def test_placeholder_check_accepts_exact_set() -> None:
    check_placeholders("a {instruction} b {input}", {"instruction", "input"}, "t")


@pytest.mark.parametrize(
    "template",
    ["no placeholders", "{instruction} {extra}", "{}", "{0}", "{instruction!r}", "{instruction:>10}", "{instruction"],
)
def test_placeholder_check_rejects(template: str) -> None:
    with pytest.raises(PromptTemplateError):
        check_placeholders(template, {"instruction"}, "t")


def test_alpaca_rejects_template_without_input_placeholder() -> None:
    with pytest.raises(PromptTemplateError, match="input"):
        AlpacaTemplate(prompt_input="### Instruction:\n{instruction}\n\n### Response:")


def test_chatglm_rejects_bad_round_template() -> None:
    with pytest.raises(PromptTemplateError, match="answer"):
        ChatGLMTemplate(round_template="[Round {index}]\n问：{question}\n答：\n")


def test_user_braces_are_not_reinterpreted() -> None:
    prompt = AlpacaTemplate().build("什么是{input}和{0}？")
    assert "什么是{input}和{0}？" in prompt


def test_empty_question_is_rejected() -> None:
    with pytest.raises(PromptTemplateError):
        AlpacaTemplate().build("   ")


# ------------------------------------------------------------------------------------- alpaca


def test_alpaca_plain_prompt_is_the_qizhen_template() -> None:
    assert AlpacaTemplate().build("头痛怎么办？") == (
        "Below is an instruction that describes a task. Write a response that appropriately completes "
        "the request.\n\n### Instruction:\n头痛怎么办？\n\n### Response:"
    )


def test_alpaca_history_folded_like_the_qizhen_demo() -> None:
    history = [
        Turn(role="user", content="痛风是什么病？"),
        Turn(role="assistant", content="一种代谢病。"),
        Turn(role="user", content="吃什么药？"),
        Turn(role="assistant", content="非布司他片。"),
    ]
    prompt = AlpacaTemplate().build("它有什么副作用？", history)
    expected_instruction = (
        "痛风是什么病？\n\n### Response: 一种代谢病。\n\n"
        "### Instruction:\n吃什么药？\n\n### Response: 非布司他片。\n\n"
        "### Instruction:\n它有什么副作用？"
    )
    assert f"### Instruction:\n{expected_instruction}\n\n### Response:" in prompt
    assert prompt.endswith("### Response:")


def test_alpaca_history_of_user_turns_only_and_truncation_keeps_question() -> None:
    history = [Turn(role="user", content="很长的问题" * 100), Turn(role="user", content="上一问")]
    template = AlpacaTemplate(max_history_chars=60)
    prompt = template.build("这一问？", history)
    folded = prompt.split("### Instruction:\n", 1)[1]
    assert "这一问？" in folded
    assert "上一问\n\n### Response: \n\n" in folded
    assert len(folded.split("\n\n### Response:")[0]) <= 200  # history was cut, the question was not
    assert "很长的问题" * 20 not in prompt


def test_alpaca_tuple_history_equals_turns() -> None:
    t = AlpacaTemplate()
    turns = [Turn(role="user", content="q1"), Turn(role="assistant", content="a1")]
    assert t.build("q2", turns) == t.build("q2", [("q1", "a1")])


# ------------------------------------------------------------------------------------- grounded


def test_evidence_numbered_as_facts() -> None:
    assert format_evidence(EVIDENCE).splitlines() == [
        "[1] 非布司他片 适应症: 痛风 (cmekg)",
        "[2] 非布司他片 不良反应: 肝功能异常 (caregpt)",
        "[3] 非布司他片 简介: 用于痛风患者高尿酸血症的长期治疗 (cmekg)",
    ]


def test_evidence_numbering_must_be_unique() -> None:
    with pytest.raises(PromptTemplateError):
        format_evidence([EVIDENCE[0], EVIDENCE[0]])


@pytest.mark.parametrize("template", [AlpacaTemplate(), ChatGLMTemplate()])
def test_grounded_prompt_lists_evidence_and_instructs_citation(template) -> None:
    prompt = template.build("非布司他片的适应症是什么？", evidence=EVIDENCE)
    assert "[1] 非布司他片 适应症: 痛风 (cmekg)" in prompt
    assert "[3] 非布司他片 简介" in prompt
    assert "[n]" in prompt and "只根据" in prompt and NO_ANSWER_TEXT in prompt
    assert "非布司他片的适应症是什么？" in prompt


def test_grounded_flag_without_evidence_says_no_facts() -> None:
    prompt = AlpacaTemplate(grounded=True).build("问题？")
    assert "事实：（无）" in prompt and NO_ANSWER_TEXT in prompt
    assert "事实" not in AlpacaTemplate().build("问题？")


def test_grounded_alpaca_uses_input_variant() -> None:
    prompt = AlpacaTemplate().build("适应症？", evidence=EVIDENCE)
    assert prompt.startswith("Below is an instruction that describes a task, paired with an input")
    assert "### Input:\n事实：\n[1]" in prompt


# ------------------------------------------------------------------------------------- chatglm


def test_chatglm_rounds() -> None:
    t = ChatGLMTemplate()
    assert t.build("你好") == "你好"
    prompt = t.build("它的禁忌？", [("非布司他片治什么？", "痛风"), ("用量？", "每日一次")])
    assert prompt == (
        "[Round 0]\n问：非布司他片治什么？\n答：痛风\n"
        "[Round 1]\n问：用量？\n答：每日一次\n"
        "[Round 2]\n问：它的禁忌？\n答："
    )


# ------------------------------------------------------------------------------------- training split


@pytest.mark.parametrize("template", [AlpacaTemplate(), ChatGLMTemplate()])
def test_training_split_matches_inference_prompt(template) -> None:
    prompt, response = template.build_training_example("痛风吃什么药？", "", "非布司他片。")
    assert prompt == template.build("痛风吃什么药？")
    assert response == "非布司他片。"
    assert template.needs_eos


def test_grounded_training_example_renders_the_inference_prompt() -> None:
    t = AlpacaTemplate()
    q = "非布司他片的适应症是什么？"
    prompt, response = t.build_training_example(grounded_instruction(q), grounded_input(EVIDENCE), "痛风[1]。")
    assert prompt == t.build(q, evidence=EVIDENCE)
    assert response == "痛风[1]。"


def test_training_split_with_history_and_input() -> None:
    t = AlpacaTemplate()
    prompt, response = t.build_training_example("q2", "ctx", "a2", history=[("q1", "a1")])
    assert prompt.endswith("### Input:\nctx\n\n### Response:")
    assert "q1\n\n### Response: a1" in prompt
    assert t.extract_response(prompt + " " + response) == "a2"


# ------------------------------------------------------------------------------------- chat template


class _FakeChatTokenizer:
    """Just enough of a tokenizer: a ChatML-like template rendered in Python."""

    chat_template = "chatml"

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):  # noqa: ANN001
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def test_chat_template_split_point() -> None:
    t = ChatTemplate(_FakeChatTokenizer(), system="你是医学助手")
    prompt, response = t.build_training_example("q2", "", "a2", history=[Turn(role="user", content="q1")])
    assert prompt.startswith("<|im_start|>system\n你是医学助手<|im_end|>\n<|im_start|>user\nq1<|im_end|>\n")
    assert prompt.endswith("<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n")
    assert response == "a2<|im_end|>\n"
    assert not t.needs_eos


def test_chat_template_needs_tokenizer() -> None:
    with pytest.raises(PromptTemplateError, match="tokenizer"):
        ChatTemplate().build("q")


# ------------------------------------------------------------------------------------- style file


def test_prompt_style_roundtrip(tmp_path: Path) -> None:
    assert load_prompt_style(tmp_path) is None
    save_prompt_style(tmp_path, "chatglm", grounded=True)
    assert (tmp_path / PROMPT_STYLE_FILE).is_file()
    spec = load_prompt_style(tmp_path)
    assert spec == PromptStyle("chatglm", True)
    template = get_template(spec)
    assert isinstance(template, ChatGLMTemplate) and template.grounded


def test_prompt_style_errors(tmp_path: Path) -> None:
    with pytest.raises(PromptTemplateError):
        PromptStyle("gpt")
    (tmp_path / PROMPT_STYLE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(PromptTemplateError):
        load_prompt_style(tmp_path)
    (tmp_path / PROMPT_STYLE_FILE).write_text('{"style": "nope"}', encoding="utf-8")
    with pytest.raises(PromptTemplateError):
        load_prompt_style(tmp_path)
