"""Answer acceptance on the dev sets: `qizhen eval` numbers with the default generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.evaluation import evaluate, load_disease_cases, load_drug_cases
from app.pipeline import QAService
from app.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def service(real_home: Path) -> QAService:
    return QAService(Settings(home=real_home, dense=False))


def test_drug_indications(service: QAService, shared_data: Path) -> None:
    s = evaluate(service, load_drug_cases(shared_data / "drug_indication_eval_dev.csv"))["overall"]
    print(f"\ndrug indications: {s.standard1}/{s.standard2}/{s.standard3}")
    # The dev references are the graph's own unfiltered CMeKG lists. Answers show the top 8 corroborated
    # items (issue 11: precision against independent references), so standards 2/3 — half / two thirds
    # of a long noisy list — are no longer reachable by design; standard 1 must not drop.
    assert s.standard1 >= 95
    assert s.standard2 >= 80 and s.standard3 >= 60  # a floor against a collapse of the ranked lists


def test_disease_questions(service: QAService, shared_data: Path) -> None:
    scores = evaluate(service, load_disease_cases(shared_data / "disease_eval_dev.jsonl"))
    print("\ndisease: " + "; ".join(f"{k} {scores[k].standard1}/{scores[k].standard2}/{scores[k].standard3}"
                                     for k in ("治疗药物", "检查检验", "临床表现")))
    for kind in ("检查检验", "临床表现"):
        s = scores[kind]
        assert s.standard1 >= 99 and s.standard2 >= 95 and s.standard3 >= 90, (kind, s)
    # 治疗药物: a disease's drug list now folds into a few classes with 1-3 generics each and 等N种
    # (issue 17: mainstream first, never a dump), so the seed's matching of the graph's own product
    # names (蒙脱石散 against the generic 蒙脱石) no longer reaches half or two thirds of a list of
    # dozens; measured 79/79/44 on all four sources. A floor against a collapse of the grouping:
    s = scores["治疗药物"]
    assert s.standard1 >= 65 and s.standard2 >= 55 and s.standard3 >= 25, s


def test_every_citation_marker_resolves(service: QAService, shared_data: Path) -> None:
    import re

    for case in load_disease_cases(shared_data / "disease_eval_dev.jsonl")[:60]:
        a = service.ask(case.question)
        markers = {int(m) for m in re.findall(r"\[(\d+)\]", a.answer)}
        assert markers == {c.index for c in a.citations}
