"""The default generator: a fluent Chinese answer composed from the evidence itself, no LLM.

Every sentence it writes restates one evidence item and cites it, so it is exact by
construction; the citation check downstream still verifies it like any other generator.
"""

from __future__ import annotations

from collections.abc import Iterator

from models.generators.base import GenerationRequest, Generator
from retrieval.types import Evidence

#: Evidence fields that make up the drug safety note when the question is about something else.
SAFETY_FIELDS = ("CONTRAINDICATED", "禁忌", "禁忌证", "ADVERSE_REACTION", "不良反应")
SAFETY_INTENTS = {"indication", "usage", "overview", "interaction", "ingredient"}
#: Two directions of one fact family read the same way: a drug's 适应症 and the diseases that list
#: it as treatment; a disease's 治疗药物 and the drugs indicated for it. Merged into one sentence.
SAME_MEANING = {"INDICATED_FOR": "treats", "TREATED_BY<-": "treats", "TREATED_BY": "treated", "INDICATED_FOR<-": "treated"}
TYPE_LABELS = {"Drug": "药品", "Disease": "疾病", "Symptom": "症状", "Check": "检查", "Department": "科室",
               "Ingredient": "成分", "Food": "食物", "Category": "类别", "Cause": "病因", "Concept": "条目"}


def _merge_same_heading(items: list[Evidence]) -> list[tuple[str, str, list[int], str]]:
    """(heading, body, indices, entity_id): items that share a heading (one relation from
    several datasets) become one sentence listing the union and citing every source."""
    out: list[tuple[str, str, list[int], str]] = []
    where: dict[tuple[str, str], int] = {}
    for ev in items:
        head, sep, body = ev.text.partition("：")
        listy = ev.origin == "kg" and ev.target_name is not None and sep
        key = (ev.entity_id, SAME_MEANING.get(ev.field, head))
        if listy and key in where:
            h, b, idx, eid = out[where[key]]
            have = b.split("、")
            merged = have + [x for x in body.split("、") if x not in have]
            out[where[key]] = (h, "、".join(merged), [*idx, ev.index], eid)
            continue
        if listy:
            where[key] = len(out)
            out.append((head, body, [ev.index], ev.entity_id))
        else:
            out.append((head if sep else "", body if sep else ev.text, [ev.index], ev.entity_id))
    return out


def _render(head: str, body: str, indices: list[int], listy: bool, lead: str = "") -> str:
    marks = "".join(f"[{i}]" for i in indices)
    body = body.rstrip("。；; ")
    if not head:
        return f"{lead}{body}{marks}。"
    return f"{lead}{head}{'包括' if listy else ''}：{body}{marks}。"


def _is_safety(ev: Evidence) -> bool:
    return any(ev.field.startswith(f) for f in SAFETY_FIELDS)


class ExtractiveGenerator(Generator):
    name = "extractive"

    def generate(self, request: GenerationRequest) -> str:
        return "".join(self.stream(request))

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        evidence = request.evidence
        if not evidence:
            return
        intent = request.intent.name if request.intent else "overview"
        main = evidence[0]
        type_label = TYPE_LABELS.get(main.entity_type, "")
        kg = [e for e in evidence if e.origin == "kg"]
        passages = [e for e in evidence if e.origin != "kg"]
        answer_items = [e for e in kg if not (intent in SAFETY_INTENTS and _is_safety(e))]
        safety = [e for e in kg if intent in SAFETY_INTENTS and _is_safety(e)]

        if type_label:
            yield f"关于{main.entity_name}（{type_label}），知识库中有以下信息。"
        listy = {e.index for e in answer_items if e.origin == "kg" and e.target_name is not None}
        previous = main.entity_id
        for head, body, indices, entity_id in _merge_same_heading(answer_items):
            lead = "此外，" if entity_id != previous else ""
            previous = entity_id
            yield _render(head, body, indices, indices[0] in listy, lead)
        if passages:
            for ev in passages[:3]:
                head, sep, body = ev.text.partition("：")
                yield _render(head if sep else "", body if sep else ev.text, [ev.index], False, "补充资料：")
        if safety:
            for i, (head, body, indices, _) in enumerate(_merge_same_heading(safety)):
                yield _render(head, body, indices, True, "" if i else "用药安全提示：")
        yield "以上内容来自知识库，仅供参考，具体诊疗请遵医嘱。"
