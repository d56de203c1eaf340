"""Scoring of the seed's evaluation: normalization, KG synonyms, strictness, the three standards."""

from __future__ import annotations

from app.evaluation import Case, Matcher, Tally, load_disease_cases, load_drug_cases, normalize_text
from models.types import Answer, EntityRef


def answer(text: str, entity: str = "非布司他片") -> Answer:
    return Answer(answer=text, grounded=True, intent="indication", entities=[EntityRef(id="x", name=entity, type="Drug")])


def test_normalization_width_brackets_punctuation_and_truncation() -> None:
    assert normalize_text("（Ａ型）流感[1]。") == "a型流感"
    assert normalize_text("手腕肿痛及掌屈...") == "手腕肿痛及掌屈"


def test_synonyms_from_the_kg_count_as_hits() -> None:
    m = Matcher(lambda item: ["高血脂"] if item == "高脂血症" else [])
    case = Case(question="q", references=["高脂血症", "痛风"], subject="某药")
    assert m.hits(answer("适应症包括：高血脂、痛风[1]。", "某药"), case) == ["高脂血症", "痛风"]


def test_the_questions_own_entity_name_is_not_a_hit() -> None:
    m = Matcher(lambda item: [])
    case = Case(question="痛风片的适应病症", references=["痛风"], subject="痛风片")
    assert m.hits(answer("关于痛风片（药品），知识库中没有信息。", "痛风片"), case) == []


def test_three_standards() -> None:
    t = Tally()
    t.add(1, 3)  # s1 only
    t.add(2, 3)  # s1, s2, s3
    t.add(0, 2)
    s = t.scores()
    assert (s.n, s.standard1, s.standard2, s.standard3) == (3, 66.67, 33.33, 33.33)


def test_loaders(tmp_path) -> None:  # noqa: ANN001
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("药品,药品适应症,医学专家标注的适应病症,instruction\n甲片,,头晕|头痛,甲片的适应病症\n", encoding="utf-8")
    cases = load_drug_cases(csv_file)
    assert cases[0].question == "甲片的适应病症" and cases[0].references == ["头晕", "头痛"]
    jl = tmp_path / "d.jsonl"
    jl.write_text('{"disease": "痛风", "type": "检查检验", "question": "痛风需要做哪些检查？", "reference": ["血尿酸"]}\n',
                  encoding="utf-8")
    assert load_disease_cases(jl)[0].kind == "检查检验"


def test_a_trailing_generic_disease_word_does_not_block_a_hit() -> None:
    m = Matcher(lambda item: [])
    case = Case(question="q", references=["高血压病", "糖尿病", "肺炎"], subject="某药")
    # 糖尿病 stays whole (two characters would remain); 肺炎 has no generic suffix
    assert m.hits(answer("适应症包括：高血压、糖尿、肺炎[1]。", "某药"), case) == ["高血压病", "肺炎"]
