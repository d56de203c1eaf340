"""Issue 11 on the real four-source graph: the key fact of a focused question sits in the first 150
characters, and the indication items an answer lists are supported by an independent reference.

Runs `qizhen ask --batch` exactly as the acceptance checks do and scores with the shared
`score_answers.py focus|precision`. tests/data/focus_dev.jsonl holds 46 focused questions (special
populations, dose, diet, transmission, interaction, comparison, symptom → drugs, follow-ups);
tests/data/indication_precision_dev.jsonl takes its references from the CareGPT handbook's 适应证 text of
the same ingredient (bench/indication_reference.py builds it), independent of the CMeKG lists answers use.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.test_link_real import DATA, _batch

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _score(shared_data: Path, mode: str, questions: Path, answers: Path) -> float:
    tool = shared_data.parent / "tools" / "score_answers.py"
    if not tool.exists():
        pytest.skip(f"scoring tool not found at {tool}")
    out = subprocess.run([sys.executable, str(tool), mode, str(questions), str(answers)],
                         check=True, capture_output=True, text=True).stdout
    print(f"\n{questions.name}: {out.strip()}")
    m = re.search(r"= ([\d.]+)%", out)
    assert m, out
    return float(m.group(1))


def test_focused_answers_and_indication_precision(full_home: Path, shared_data: Path, tmp_path: Path) -> None:
    focus, precision = DATA / "focus_dev.jsonl", DATA / "indication_precision_dev.jsonl"
    assert sum(1 for _ in focus.open(encoding="utf-8")) >= 40
    _batch(full_home, focus, tmp_path / "focus.jsonl")
    _batch(full_home, precision, tmp_path / "precision.jsonl")
    assert _score(shared_data, "focus", focus, tmp_path / "focus.jsonl") >= 90.0
    assert _score(shared_data, "precision", precision, tmp_path / "precision.jsonl") >= 80.0
