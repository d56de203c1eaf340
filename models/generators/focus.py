"""Question-focused sentences: the part of a long text that answers what was asked.

A question about one aspect of a drug or disease (pregnancy, children, the liver, a dose, alcohol,
diet, transmission …) is answered with the sentences of the evidence prose that speak of that
aspect, first; the rest of the text stays in the evidence as a fold. Scraped prose is cleaned at
render: stray joins (。、), repeated sentences, fragments and fee / price lines never reach an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.text import CLAUSE_NUMBER, split_sentences


@dataclass(frozen=True, slots=True)
class Qualifier:
    name: str
    cue: re.Pattern[str]  # in the question
    match: re.Pattern[str]  # in a sentence of the evidence


def _q(name: str, cue: str, match: str) -> Qualifier:
    return Qualifier(name, re.compile(cue), re.compile(match))


QUALIFIERS: tuple[Qualifier, ...] = (
    _q("pregnancy", r"孕|妊娠|怀孕|胎儿|备孕", r"孕|妊娠|胎儿|胎盘"),
    _q("lactation", r"哺乳|喂奶|母乳|喂养", r"哺乳|乳汁|母乳|授乳"),
    _q("children", r"儿童|小儿|孩子|宝宝|婴|幼儿|新生儿|小孩|岁", r"儿童|小儿|婴|幼儿|新生儿|岁以下|患儿|青少年"),
    _q("elderly", r"老人|老年|高龄|老年人", r"老年|老人|高龄"),
    _q("liver", r"肝", r"肝"),
    _q("kidney", r"肾", r"肾"),
    _q("alcohol", r"酒|乙醇", r"酒|乙醇|双硫仑"),
    _q("dose", r"一次|几次|剂量|用量|多少|几粒|几片|几毫|几克|每天|一天|一日|怎么吃|怎么服|怎么用|如何服",
       r"\d\s*(?:mg|g|ml|μg|ug|片|粒|丸|袋|支|次|毫克|克|毫升|岁)|一次|每次|一日|每日"),
    # 吃什么药 asks for drugs, not for a diet
    _q("diet", r"饮食|吃什么(?!药)|忌口|食物|能吃|不能吃|喝什么", r"饮食|食物|食品|忌|宜|饮|蔬菜|水果|辛辣|油腻"),
    _q("transmission", r"传染|传播|会传|遗传", r"传染|传播|途径|遗传|接触|飞沫"),
    _q("driving", r"开车|驾驶|机械", r"驾驶|机械|高空"),
)

#: A dose with its frequency or per-dose word (a strength list "片剂：0.1g，0.2g" stays a remnant).
_DOSE_VALUE = re.compile(r"\d\s*(?:mg|g|ml|μg|ug|片|粒|丸|袋|支|毫克|克|毫升).*(?:每|一次|一日|\d\s*次)|"
                         r"(?:每|一次|一日).*\d\s*(?:mg|g|ml|μg|ug|片|粒|丸|袋|支|毫克|克|毫升)")
_FEE = re.compile(r"费用|收费|\d\s*元|价格")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_JOIN = re.compile(r"[。；;]\s*[、，,]+")
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: A sentence needs this much Chinese text to say anything ("纵隔：支气管炎" is a fragment of a list).
MIN_CHARS = 6


def qualifiers(question: str) -> list[Qualifier]:
    return [q for q in QUALIFIERS if q.cue.search(question)]


def sentences(text: str) -> list[str]:
    """Clean sentences of a scraped text, in order: joins repaired, duplicates, fragments and fee lines
    dropped."""
    text = _JOIN.sub("。", _SPACE.sub("", _CJK_GAP.sub("、", text.strip()))).replace("……", "")
    out: list[str] = []
    seen: set[str] = set()
    parts = [p.strip("，,、 ") for p in split_sentences(text, numbered=True)]
    parts = [p for p in parts if p]
    for s in parts:
        key = CLAUSE_NUMBER.sub("", s).rstrip("。；;")
        size = len(_CJK.findall(key))
        # a short value on its own ("1-6个月") is an answer; a short piece of a longer text, or a
        # "纵隔：支气管炎" list remnant, is a fragment
        numbered = key != s  # "3.孕妇；" is an item of a numbered list, not a fragment
        # "成人口服：0.5～1.0g，每天3～4次" is a dose, not a list remnant like "纵隔：支气管炎"
        remnant = "：" in key and size < 10 and not _DOSE_VALUE.search(key)
        if (size < MIN_CHARS and len(parts) > 1 and not numbered) or remnant or key in seen or _FEE.search(s):
            continue
        seen.add(key)
        out.append(s)
    return out


def select(text: str, quals: list[Qualifier]) -> tuple[list[str], list[str]]:
    """(sentences matching any qualifier, the other sentences), both cleaned and in text order."""
    hit: list[str] = []
    rest: list[str] = []
    for s in sentences(text):
        (hit if any(q.match.search(s) for q in quals) else rest).append(s)
    return hit, rest


def clip(parts: list[str], limit: int) -> tuple[str, bool]:
    """Whole sentences up to about `limit` characters (at least one); True when some were left out."""
    out: list[str] = []
    size = 0
    for s in parts:
        if out and size + len(s) > limit:
            return _join(out), True
        out.append(s)
        size += len(s)
    return _join(out), False


def _join(parts: list[str]) -> str:
    text = "".join(p if p.endswith(("。", "；", ";", "！", "？")) else p + "；" for p in parts)
    return text.rstrip("；;。")


def is_fee(text: str) -> bool:
    return bool(_FEE.search(text))
