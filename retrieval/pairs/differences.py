"""What one drug's label warns about and the other's does not: the comparison's `用药注意` row.

Two drugs of one indication (甲巯咪唑 / 丙硫氧嘧啶) differ less in what they treat than in whom and what
they endanger: 肝功能异常患者慎用, 孕妇禁用, 定期检查血象. Each side's warning sentences (its own entry
first, then same-generic products) are read for the *topics* they warn about — an organ, a population,
a check — and a sentence leads when its topics are ones the other side's warnings never mention, rarer
topics (a specific organ or test) before common ones (过敏). Pure functions over entities.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kg.schema import Entity
from kg.text import split_sentences

WARNING_PROPS = ("警示语", "禁忌证", "禁忌", "注意事项", "孕妇及哺乳期妇女用药", "儿童用药", "老年用药", "老年患者用药")
#: Topic → the words that name it in a label sentence, most specific topics first (the order is the rank).
TOPICS: tuple[tuple[str, str], ...] = (
    ("肝", r"肝"), ("肾", r"肾"), ("血象", r"血象|白细胞|粒细胞|血小板|骨髓|贫血"), ("心", r"心|QT"),
    ("低血糖", r"低血糖"), ("乳酸", r"乳酸"), ("出血", r"出血|凝血"), ("哮喘", r"哮喘|支气管"),
    ("癫痫", r"癫痫|惊厥"), ("眼", r"眼|青光眼"), ("妊娠", r"孕|妊娠"), ("哺乳", r"哺乳|乳汁"),
    ("儿童", r"儿童|小儿|婴|新生儿"), ("老年", r"老年"), ("驾驶", r"驾驶|机械"), ("酒", r"饮酒|酒精"),
    ("血压", r"血压"), ("血糖", r"血糖"), ("过敏", r"过敏"),
)
_TOPIC_RE = tuple((name, re.compile(words)) for name, words in TOPICS)
_RANK = {name: i for i, (name, _) in enumerate(TOPICS)}
#: A sentence counts as a warning only with one of these words.
_CUE = re.compile(r"禁|慎|避免|不宜|不应|定期|监测|检查|注意|停药|减量|警惕|严重")
#: Every label says it (an allergy to the drug itself), or it describes an overdose, not a warning.
_BOILERPLATE = re.compile(r"(?:对|有)本(?:品|药)[^，。；]{0,8}过敏|本品[^，。；]{0,6}成分过敏|过量")
MAX_CHARS = 36


@dataclass(frozen=True)
class Warning:
    """One warning sentence of a side and the topics it speaks of."""

    entry: Entity
    field: str
    text: str
    topics: frozenset[str]


def warnings_of(side: Sequence[Entity]) -> list[Warning]:
    """Every warning sentence of a side's entries, each once (products repeat their ingredient's)."""
    out: list[Warning] = []
    seen: set[str] = set()
    for e in side:
        for prop in WARNING_PROPS:
            value = e.properties.get(prop)
            text = value if isinstance(value, str) else "。".join(value or [])
            for s in (p.strip().rstrip("。；; ") for p in split_sentences(text)):
                s = re.sub(r"^[\d(（)）.、．]+", "", s)
                topics = frozenset(name for name, rule in _TOPIC_RE if rule.search(s))
                if len(s) >= 6 and topics and _CUE.search(s) and not _BOILERPLATE.search(s) and s not in seen:
                    seen.add(s)
                    out.append(Warning(e, prop, s, topics))
    return out


def distinct_warnings(side: Sequence[Entity], other: Sequence[Entity], limit: int = 1) -> list[Warning]:
    """A side's warnings whose topics the other side's warnings never name, most specific topic first;
    none when the side warns about nothing the other lacks."""
    theirs = {t for w in warnings_of(other) for t in w.topics}
    own = [(min(_RANK[t] for t in w.topics - theirs), i, w) for i, w in enumerate(warnings_of(side))
           if w.topics - theirs]
    return [w for _, _, w in sorted(own, key=lambda x: (x[0], x[1]))[:limit]]


def clip(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip("，、") + "…"
