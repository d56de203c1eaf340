"""Issue 9 on the real graph: our near-miss dev set is refused 100 %, the positive controls stay grounded.

Runs `qizhen ask --batch` exactly as the acceptance checks do and scores the output with the shared
`score_answers.py refusal` tool. The sets are tests/data/near_miss_dev.jsonl (invented names that contain
real drug, disease, brand and alias names; mid-conversation switches to invented names and to off-topic
requests), tests/data/link_positive_dev.jsonl (paraphrases, aliases, brands, typos, follow-ups) and
tests/data/unanswerable_dev.jsonl (topics no source holds, asked about known drugs and diseases).
Set QIZHEN_TEST_REAL_HOME to a graph with all four sources to score them as intended.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

DATA = Path(__file__).resolve().parents[1] / "data"
REPO = Path(__file__).resolve().parents[2]


def _batch(home: Path, questions: Path, out: Path) -> None:
    env = {**os.environ, "QIZHEN_HOME": str(home), "QIZHEN_DENSE": "false", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "app.cli", "ask", "--batch", str(questions), "--out", str(out)],
                   check=True, env=env, cwd=REPO, capture_output=True, timeout=1800)


def _refused(shared_data: Path, questions: Path, answers: Path) -> tuple[int, int]:
    tool = shared_data.parent / "tools" / "score_answers.py"
    if not tool.exists():
        pytest.skip(f"scoring tool not found at {tool}")
    out = subprocess.run([sys.executable, str(tool), "refusal", str(questions), str(answers)],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"refused (\d+)/(\d+)", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def test_near_misses_refused_and_positives_grounded(real_home: Path, shared_data: Path, tmp_path: Path) -> None:
    near, positive = DATA / "near_miss_dev.jsonl", DATA / "link_positive_dev.jsonl"
    assert sum(1 for _ in near.open(encoding="utf-8")) >= 40
    _batch(real_home, near, tmp_path / "near.jsonl")
    _batch(real_home, positive, tmp_path / "positive.jsonl")
    refused, n = _refused(shared_data, near, tmp_path / "near.jsonl")
    print(f"\nnear misses refused {refused}/{n}")
    assert refused == n
    answers = [json.loads(x) for x in (tmp_path / "positive.jsonl").read_text(encoding="utf-8").splitlines()]
    wrongly, m = _refused(shared_data, positive, tmp_path / "positive.jsonl")
    print(f"positive controls grounded {m - wrongly}/{m}")
    assert (m - wrongly) / m >= 0.95
    assert all(e["match"] in {"exact", "alias", "variant", "typo", "components", "history"}
               for a in answers for e in a["entities"])


def test_unanswerable_questions_refused(real_home: Path, shared_data: Path, tmp_path: Path) -> None:
    """Price, maker, approval number, where to buy, hospital or doctor recommendations, chat requests:
    topics no source holds, about known drugs and diseases too — refused, never answered with other facts."""
    questions = DATA / "unanswerable_dev.jsonl"
    _batch(real_home, questions, tmp_path / "unanswerable.jsonl")
    refused, n = _refused(shared_data, questions, tmp_path / "unanswerable.jsonl")
    print(f"\nunanswerable refused {refused}/{n}")
    assert refused == n
