"""LinkedEntity / Intent / RetrievalResult.refusal are enums whose JSON values are the strings they were."""

from __future__ import annotations

import json
import warnings

from kg.schema import NodeType
from retrieval.types import Intent, IntentMethod, LinkedEntity, LinkMethod, Refusal, RetrievalResult


def test_json_values_are_the_plain_strings() -> None:
    e = LinkedEntity(id="d1", name="布洛芬", type="Drug", mention="布洛芬", score=1.0, method="alias")
    assert e.type is NodeType.DRUG and e.method is LinkMethod.ALIAS
    assert json.loads(e.model_dump_json())["type"] == "Drug" and json.loads(e.model_dump_json())["method"] == "alias"
    assert e.type == "Drug" and e.method == "alias"  # string comparisons elsewhere keep working
    r = RetrievalResult(question="q", resolved_question="q", intent=Intent(name="overview", method="default"),
                        refusal="no_entity")
    data = json.loads(r.model_dump_json())
    assert data["refusal"] == "no_entity" and data["intent"]["method"] == "default"
    assert r.refusal is Refusal.NO_ENTITY and r.intent.method is IntentMethod.DEFAULT
    assert RetrievalResult(question="q", resolved_question="q", intent=Intent(name="x")).refusal == ""


def test_an_inherited_entity_serializes_without_warnings() -> None:
    e = LinkedEntity(id="d1", name="布洛芬", type=NodeType.DRUG, mention="布洛芬", score=1.0)
    inherited = e.model_copy(update={"method": LinkMethod.HISTORY, "start": -1, "end": -1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert json.loads(inherited.model_dump_json())["method"] == "history"
