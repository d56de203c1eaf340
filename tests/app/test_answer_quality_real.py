"""Issue 11 on the real four-source graph: the key fact of a focused question sits in the first 150
characters, and the indication items an answer lists are supported by an independent reference.

Runs `qizhen ask --batch` exactly as the acceptance checks do and scores with the shared
`score_answers.py focus|precision`. tests/data/focus_dev.jsonl holds 46 focused questions (special
populations, dose, diet, transmission, interaction, comparison, symptom → drugs, follow-ups);
tests/data/indication_precision_dev.jsonl takes its references from the CareGPT handbook's 适应证 text of
the same ingredient (bench/indication_reference.py builds it), independent of the CMeKG lists answers use.

Issue 17: tests/data/clinician_dev.jsonl holds questions written from guidelines and label pharmacology
(not from the graph's answers) over seven kinds — treatment, population, can_take, interaction,
comparison, followup, dose — scored by `score_answers.py clinical` (must groups in the first 150
characters, must_not terms only beside a caution word). Answer length is measured over every
independent set in tests/data: characters of the answer with the [n] markers removed.
"""

from __future__ import annotations

import json
import re
import statistics
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


def _length(answer: str) -> int:
    return len(re.sub(r"\[\d+\]", "", answer))


def test_clinician_answers_and_answer_length(full_home: Path, shared_data: Path, tmp_path: Path) -> None:
    clinician = DATA / "clinician_dev.jsonl"
    rows = [json.loads(x) for x in clinician.read_text(encoding="utf-8").splitlines() if x.strip()]
    kinds = {r["kind"] for r in rows}
    assert len(rows) >= 80 and kinds == {"treatment", "population", "can_take", "interaction", "comparison",
                                         "followup", "dose"}
    assert all(sum(r["kind"] == k for r in rows) >= 10 for k in kinds)
    # every independent set in one batch (one start-up), the clinician set first so its lines can be scored
    holdout = DATA / "clinician_holdout.jsonl"  # written later, on other diseases and drugs: generality
    held = [x for x in holdout.read_text(encoding="utf-8").splitlines() if x.strip()]
    sets = [clinician, holdout] + sorted(p for p in DATA.glob("*_dev.jsonl") if p != clinician)
    both = tmp_path / "all_dev.jsonl"
    both.write_text("".join(p.read_text(encoding="utf-8").rstrip("\n") + "\n" for p in sets), encoding="utf-8")
    _batch(full_home, both, tmp_path / "all_answers.jsonl")
    answers = (tmp_path / "all_answers.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "clinician.jsonl").write_text("\n".join(answers[:len(rows)]) + "\n", encoding="utf-8")
    (tmp_path / "holdout.jsonl").write_text("\n".join(answers[len(rows):len(rows) + len(held)]) + "\n",
                                            encoding="utf-8")
    score = _score(shared_data, "clinical", clinician, tmp_path / "clinician.jsonl")
    held_score = _score(shared_data, "clinical", holdout, tmp_path / "holdout.jsonl")
    lengths = sorted(_length(json.loads(a).get("answer") or "") for a in answers)
    p90 = lengths[max(0, -(-9 * len(lengths) // 10) - 1)]
    print(f"answer length over {len(lengths)} dev questions: median {statistics.median(lengths):.0f}, "
          f"90th pct {p90}, max {lengths[-1]}; over 400: {sum(n > 400 for n in lengths)}")
    # issue 17's target is 90 %; measured 110/110 on the four-source graph with ATC classes (the set was
    # worked on, so it over-states); the hold-out set, written afterwards on other diseases and drugs,
    # measured 42/50 = 84 % — its misses are mostly pairs the graph never mentions (未见记载 is the honest answer)
    assert score >= 95.0
    assert held_score >= 80.0
    assert sum(n <= 400 for n in lengths) >= 0.9 * len(lengths)
    assert lengths[-1] <= 800
