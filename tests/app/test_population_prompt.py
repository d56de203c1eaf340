"""A population's 禁用 drug never reaches a generator's prompt as a choice: the filtering happens in
retrieval (retrieval.safety.patient), so the hf and openai generators get the same evidence as the extractive one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.pipeline import QAService
from kg.schema import Entity, NodeType, Relation, RelType
from models.generators.base import GenerationRequest, Generator
from models.prompts import grounded_input
from tests.app.api_graph import settings_for

BANNED = "磷酸可待因片"
_DRUGS = {
    BANNED: {"禁忌": "孕妇及哺乳期妇女禁用。"},
    "氨溴索片": {"注意事项": "妊娠期妇女慎用。"},
    "止咳糖浆": {"用法用量": "口服，一次10ml，一日3次。"},
    # its label says nothing about pregnancy: the class rule (fluoroquinolones) keeps it out
    "盐酸左氧氟沙星片": {"用法用量": "口服，一次0.5g，一日1次。"},
}


class RecordingGenerator(Generator):
    """Bound to the Generator interface: keeps the prompt input it was given, answers from item 1."""

    name = "recording"

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest) -> str:
        return "".join(self.stream(request))

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        self.requests.append(request)
        self.prompts.append(grounded_input(request.evidence))
        first = request.evidence[0]
        yield f"{first.text}[{first.index}]。"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kg.stores.ladybug import LadybugStore

    home = tmp_path_factory.mktemp("population-home")
    settings = settings_for(home)
    disease = Entity.named("咳嗽", NodeType.DISEASE, properties={"简介": "咳嗽是呼吸道常见症状。"},
                           sources=["xywy"], described=True)
    drugs = [Entity.named(n, NodeType.DRUG, properties=p, sources=["cmekg"], described=True) for n, p in _DRUGS.items()]
    store = LadybugStore(settings.graph_path)
    try:
        store.upsert_entities([disease, *drugs])
        store.upsert_relations([Relation(disease.id, RelType.TREATED_BY, d.id, "xywy", "common_drug") for d in drugs])
    finally:
        store.close()
    return home


@pytest.mark.parametrize("generator_name", ["recording", "extractive"])
def test_a_contraindicated_drug_is_never_offered_to_a_pregnant_woman(home: Path, generator_name: str) -> None:
    recorder = RecordingGenerator()
    service = QAService(settings_for(home), generator=recorder)
    answer = service.ask("孕妇咳嗽吃什么药？", generator=generator_name)
    evidence = service.retrieve("孕妇咳嗽吃什么药？").evidence
    drug_list = next(e for e in evidence if e.field == "TREATED_BY")
    # judged product by product before the list is grouped (retrieval.evidence.salience): neither the product
    # nor its generic is offered; the others are, 慎用 ones named in the population note
    assert not any(i.name == BANNED for i in drug_list.items) and "可待因" not in drug_list.text
    assert any(i.name == "止咳糖浆" for i in drug_list.items) and "氨溴索" in drug_list.text
    assert any("慎用：氨溴索片" in e.text for e in evidence)
    assert any(BANNED in e.text and "孕妇禁用" in e.text for e in evidence)  # said, as left out
    # a label silent on pregnancy does not make a fluoroquinolone a choice: the class rule, cited as such
    assert not any("左氧氟沙星" in i.name for i in drug_list.items) and "左氧氟沙星" not in drug_list.text
    rule = next(e for e in evidence if "左氧氟沙星" in e.text)
    assert rule.source == "qizhen-class-safety" and "按药物类别禁用" in rule.text
    texts = recorder.prompts if generator_name == "recording" else [answer.answer]
    assert answer.grounded and texts
    for text in texts:
        for banned in ("可待因", "左氧氟沙星"):  # every mention, product or generic, sits next to 禁用
            for m in re.finditer(banned, text):
                assert "禁" in text[max(0, m.start() - 15):m.end() + 10]


def test_without_a_population_the_list_is_the_diseases_own(home: Path) -> None:
    service = QAService(settings_for(home))
    evidence = service.retrieve("咳嗽吃什么药？").evidence
    drug_list = next(e for e in evidence if e.field == "TREATED_BY")
    # grouped by generic (retrieval.evidence.salience): the codeine product is there as its generic
    assert any(i.name == BANNED for i in drug_list.items) and "可待因" in drug_list.text
