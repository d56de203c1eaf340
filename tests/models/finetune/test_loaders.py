"""Alpaca JSON/JSONL and ShareGPT loading, errors that name the line, mixing by ratio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.finetune.loaders import DataFormatError, DataSource, load_records, mix


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_alpaca_list_and_jsonl(tmp_path: Path) -> None:
    rows = [{"instruction": f"问题{i}", "input": "", "output": f"回答{i}"} for i in range(3)]
    (tmp_path / "a.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    a = load_records(tmp_path / "a.json")
    b = load_records(_jsonl(tmp_path / "b.jsonl", rows))
    assert [r.instruction for r in a] == [r.instruction for r in b] == ["问题0", "问题1", "问题2"]
    hist = load_records(_jsonl(tmp_path / "h.jsonl", [
        {"instruction": "q2", "output": "a2", "history": [["q1", "a1"]]}]))
    assert hist[0].history == (("q1", "a1"),) and hist[0].input == ""


def test_sharegpt_multi_turn_becomes_history(tmp_path: Path) -> None:
    conv = {"conversations": [
        {"from": "system", "value": "你是医生"},
        {"from": "human", "value": "头痛怎么办？"}, {"from": "gpt", "value": "多休息。"},
        {"from": "human", "value": "还要吃药吗？"}, {"from": "gpt", "value": "可以服用布洛芬。"}]}
    unanswered = {"conversations": [{"from": "human", "value": "在吗"}]}
    recs = load_records(_jsonl(tmp_path / "s.jsonl", [conv, unanswered]))
    assert len(recs) == 1
    assert recs[0].instruction == "还要吃药吗？" and recs[0].output == "可以服用布洛芬。"
    assert recs[0].history == (("头痛怎么办？", "多休息。"),)


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"instruction": "q"}), "alpaca rows need"),
    (json.dumps({"conversations": [{"from": "alien", "value": "x"}]}), "unknown speaker"),
    (json.dumps(["a", "b"]), "expected a JSON object"),
])
def test_bad_rows_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"instruction": "q", "output": "a"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=rf"bad.jsonl:2: .*{message}"):
        load_records(path)


def test_mix_by_ratio_is_deterministic(tmp_path: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", [{"instruction": f"a{i}", "output": "x"} for i in range(40)])
    b = _jsonl(tmp_path / "b.jsonl", [{"instruction": f"b{i}", "output": "y"} for i in range(10)])
    sources = [DataSource(a, 0.5), DataSource(b, 2.0)]
    m1, m2 = mix(sources, seed=1), mix(sources, seed=1)
    assert m1 == m2 and mix(sources, seed=2) != m1
    assert sum(r.instruction.startswith("a") for r in m1) == 20
    assert sum(r.instruction.startswith("b") for r in m1) == 20  # every b twice
    with pytest.raises(ValueError, match="ratio"):
        DataSource(a, 0)


def test_shared_sft_files_load(shared_data: Path) -> None:
    huatuo = load_records(shared_data / "sft" / "huatuo_llama_data.json")
    sharegpt = load_records(shared_data / "sft" / "medical_sft_1K_format.jsonl")
    assert len(huatuo) > 8000 and len(sharegpt) > 900
    assert all(r.instruction and r.output for r in huatuo[:100] + sharegpt[:100])
