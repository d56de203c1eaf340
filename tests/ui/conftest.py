"""Shared by the UI tests: words that must never reach a clinician's screen."""

from __future__ import annotations

#: developer words, English field codes and dataset ids, bare dashes for missing data
FORBIDDEN: tuple[str, ...] = (
    "实体卡片", "低置信度", "泛指词", "化验指标名称", "对比·", "遵医嘱", "（原文名称不全）", "_截断",
    "generic_word", "lab_analyte", "trial_design", "near_duplicate", "wrong_type", "tcm_action",
    "INDICATED_FOR", "ADVERSE_REACTION", "TREATED_BY", "cmekg", "caregpt", "xywy", "None", "null", "—",
    "entity", "Entity", "confidence", "Confidence", "Traceback", "Exception", "undefined", "NaN",
)


def forbidden_in(text: str) -> list[str]:
    return [w for w in FORBIDDEN if w in text]
