"""How a card's facts are supported, in words a clinician reads, and the drug's special populations.

Used by app/cards.py (the card model). One compact support label per item, value or section:
多来源一致 (two or more datasets), 药品手册 (the CareGPT handbook alone), 单一来源·机器抽取 (CMeKG alone),
单一来源·健康网站 (one consumer site alone), 单一来源·用户数据 (the user's JSONL). Source weight orders
the values of a drug's regulatory and classification rows: the handbook and curated lists above
machine extraction above consumer sites.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from kg.normalize import normalize_name
from kg.text import split_sentences

MULTI = "多来源一致"
HANDBOOK = "药品手册"
MACHINE = "单一来源·机器抽取"
CONSUMER = "单一来源·健康网站"
USER = "单一来源·用户数据"
CONFLICT = "来源不一致"
#: what an empty monograph section says (never a bare "—": missing must not read as safe)
MISSING_DRUG = "知识库未收录，请以药品说明书为准"
MISSING_OTHER = "知识库未收录，请结合临床资料判断"

CLASS_RULE = "类别规则"  # retrieval.safety.population_classes: a class's rule, not the product's label
_SINGLE = {"caregpt": HANDBOOK, "cmekg": MACHINE, "xywy": CONSUMER, "39health": CONSUMER, "jsonl": USER,
           "qizhen-class-safety": CLASS_RULE}
#: regulatory/classification weight: handbook and curated lists > machine extraction > consumer sites
WEIGHT: dict[str, int] = {"caregpt": 3, "jsonl": 3, "atc": 3, "cmekg": 2, "xywy": 1, "39health": 1}

#: why the cleaning stage held an item back, in words a doctor uses (kg.cleaning reasons)
FLAG_WORDS: dict[str, str] = {
    "trial_design": "试验设计用语，非适应症", "lab_analyte": "检验项目，非病症", "generic_word": "表述笼统",
    "wrong_type": "类别不符", "near_duplicate": "与其他条目重复", "tcm_action": "功效描述，非病症",
    "not_a_condition": "非病症",
}
LOW_TRUST = "来源可信度低，未用于回答"


def support_label(datasets: Iterable[str]) -> str:
    """The one badge for a fact stated by `datasets` ('' when nothing says where it came from)."""
    ds = {d for d in datasets if d}
    if len(ds) >= 2:
        return MULTI
    return _SINGLE.get(next(iter(ds)), "单一来源") if ds else ""


def weight(datasets: Iterable[str]) -> int:
    return max((WEIGHT.get(d, 0) for d in datasets), default=0)


def flag_words(flag: str) -> str:
    return FLAG_WORDS.get(flag, "来源可信度低")


def dominant(labels: Iterable[str]) -> str:
    """The most frequent non-empty label (first seen wins a tie): the section's own badge."""
    counts: dict[str, int] = {}
    for label in labels:
        if label:
            counts[label] = counts.get(label, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else ""


def without_complications(aliases: Sequence[str], complications: Iterable[str]) -> list[str]:
    """A disease's aliases less any that name one of its own complications (a source's mistake)."""
    comp = {normalize_name(c) for c in complications if c}
    return [a for a in aliases if normalize_name(a) not in comp]


# -- special populations of a drug -------------------------------------------------------------

POPULATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("妊娠", ("孕妇", "妊娠", "怀孕", "孕期", "胎儿")),
    ("哺乳", ("哺乳", "乳汁", "乳母")),
    ("儿童", ("儿童", "小儿", "婴幼儿", "婴儿", "新生儿", "岁以下")),
    ("老年", ("老年", "老人", "高龄")),
    ("肝/肾功能", ("肝功能", "肾功能", "肝病", "肾病", "肝损", "肾损", "肝肾", "肾衰", "肝衰")),
)
#: dedicated properties some sources hold per population
POPULATION_PROPS: dict[str, tuple[str, ...]] = {
    "妊娠": ("孕妇及哺乳期妇女用药", "孕妇用药"), "哺乳": ("孕妇及哺乳期妇女用药", "哺乳期用药"),
    "儿童": ("儿童用药", "小儿用药"), "老年": ("老年用药", "老年患者用药"), "肝/肾功能": ("肝肾功能不全用药",),
}
#: the drug texts searched for population sentences, in the order they are read
POPULATION_SOURCES = ("禁忌证", "禁忌", "注意事项", "警示语", "用法用量", "药物相互作用")
SENTENCE_CHARS = 160
PER_POPULATION = 3


def clip(text: str, n: int = SENTENCE_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= n else text[:n].rstrip("，,、；;") + "…"


def population_sentences(texts: Mapping[str, Sequence[str]]) -> dict[str, list[tuple[str, str]]]:
    """Population → [(sentence, property key)], at most PER_POPULATION each, from the drug's texts."""
    out: dict[str, list[tuple[str, str]]] = {label: [] for label, _ in POPULATIONS}
    for label, _ in POPULATIONS:
        for key in POPULATION_PROPS.get(label, ()):
            for text in texts.get(key, ()):
                out[label].append((clip(text), key))
    for key in POPULATION_SOURCES:
        for text in texts.get(key, ()):
            for sent in split_sentences(text):
                sent = sent.strip().lstrip("0123456789.、)）(（ ").strip()
                if len(sent) < 4:
                    continue
                for label, words in POPULATIONS:
                    if any(w in sent for w in words) and len(out[label]) < PER_POPULATION \
                            and all(sent[:30] not in s for s, _ in out[label]):
                        out[label].append((clip(sent), key))
    return out


_HEAD = re.compile(r"^[^：:，。]{1,4}[：:](?=\S)")
_NUMBERING = re.compile(r"^\s*\d{1,2}\s*[、.．)）]\s*")


def clean_fragment(text: str) -> str:
    """A source's raw fragment made readable: leading list numbering (`2、`) dropped, a short text that
    is only a cut heading and its item (`纵隔：支气管炎`) marked … as the part of a longer list it is."""
    text = _NUMBERING.sub("", text)
    if len(text) <= 20 and _HEAD.match(text):
        return "…" + _HEAD.sub("", text)
    return text
