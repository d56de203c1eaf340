"""Case-summary mode: the drugs and diseases named in a pasted case summary (~2,000 characters), and
the questions a clinician can pick from them (no answer is made from the summary itself).

The same linker as questions (exact names, aliases, dosage-form/salt variants; no typo guessing over
free text), so a name found here is one a question about it will link.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from kg.schema import NodeType
from models.types import EntityRef

if TYPE_CHECKING:
    from app.pipeline import QAService

MAX_SUMMARY_CHARS = 2000
#: at most this many of each kind are offered (first mention first)
MAX_FOUND = 30
_DISEASE_TYPES = frozenset({NodeType.DISEASE.value, NodeType.SYMPTOM.value})


class CaseSummaryIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_SUMMARY_CHARS)


class SuggestedQuestion(BaseModel):
    label: str = Field(description="the button text")
    question: str


class CaseSummaryOut(BaseModel):
    drugs: list[EntityRef] = []
    diseases: list[EntityRef] = Field(default=[], description="diseases and symptoms, first mention first")
    questions: list[SuggestedQuestion] = []


def summary_questions(drugs: list[EntityRef], diseases: list[EntityRef]) -> list[SuggestedQuestion]:
    """What a clinician usually asks next: each drug's contraindications and special populations,
    each disease's drugs, and the interaction of the first drugs taken together."""
    out = [SuggestedQuestion(label=f"{d.name}：禁忌与注意事项", question=f"{d.name}的禁忌和注意事项是什么？")
           for d in drugs]
    out += [SuggestedQuestion(label=f"{d.name}：治疗药物", question=f"{d.name}用什么药治疗？")
            for d in diseases if d.type == NodeType.DISEASE.value]
    for i, a in enumerate(drugs[:4]):
        for b in drugs[i + 1:4]:
            out.append(SuggestedQuestion(label=f"相互作用：{a.name} + {b.name}", question=f"{a.name}和{b.name}能一起吃吗？"))
    return out


#: a case summary is read clause by clause, and a name beside a clinical verb (口服阿莫西林胶囊) is a name
#: of its own: the linker would otherwise take the verb as part of an unknown longer term
_CLAUSE = re.compile(r"[，。、；;：:,.!?！？\s（）()【】\[\]]+|口服|服用|给予|予以|予|使用|应用|联用|长期|静滴|静注|"
                     r"注射|治疗|病史|诊断为|诊断|示|伴|合并|出现|既往|考虑|停用|加用|改用")


def find_in_summary(service: QAService, text: str) -> CaseSummaryOut:
    """The drugs and diseases the summary names (each once, in order of first mention)."""
    found: dict[str, EntityRef] = {}
    for clause in _CLAUSE.split(text[:MAX_SUMMARY_CHARS]):
        if len(clause) < 2:
            continue
        for e in sorted(service.retriever.linker.link(clause, fuzzy=False), key=lambda e: e.start):
            found.setdefault(e.id, EntityRef(id=e.id, name=e.name, type=e.type))
    drugs = [r for r in found.values() if r.type == NodeType.DRUG.value][:MAX_FOUND]
    diseases = [r for r in found.values() if r.type in _DISEASE_TYPES][:MAX_FOUND]
    return CaseSummaryOut(drugs=drugs, diseases=diseases, questions=summary_questions(drugs, diseases))
