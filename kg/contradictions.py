"""Self-contradiction of a drug's label: an indication that the same drug's 禁忌 text names.

十一酸睾酮软胶囊 lists 乳腺癌 as an indication while its 禁忌 reads "前列腺癌、乳腺癌患者及可疑者禁用".
Such an item is never a plain indication (the cleaning stage flags it `contraindicated_self`, answers
leave it out). A mention does not count when it is negated or qualified: 非缺铁性贫血 is not 缺铁性贫血,
"对本品过敏者" names an allergy, "(伴弥散性血管内凝血时除外)" an exception.
"""

from __future__ import annotations

from kg.text import SENTENCE_ENDS, split_sentences
from kg.topics import TOPIC_KEYS, Topic

#: the properties that hold a drug's contraindication text
CONTRA_PROPS = TOPIC_KEYS[Topic.CONTRAINDICATION]
#: what may stand right before / after a condition named as a whole in a 禁忌 sentence
_BEFORE = frozenset("、，,;；:：(（ 及和或与有伴患并合")
_LEAD_INS = ("包括", "患有", "伴有", "合并")
_AFTER = ("患者", "病人", "病史", "者", "禁", "、", "，", ",", "；", ";", "及", "和", "或", "等", "的患者", "(", "（",
          " ", "慎", "不宜", "不得", "忌")


def contra_sentence(name: str, text: str) -> str:
    """The 禁忌 sentence that names `name` as a whole condition (not negated — 非缺铁性贫血 —, not part
    of a longer name or a stage of it), or ""."""
    if len(name) < 2 or not text:
        return ""
    for piece in split_sentences(text):
        sent = piece.rstrip(SENTENCE_ENDS)
        start = sent.find(name)
        while start >= 0:
            before = sent[start - 1] if start > 0 else ""
            after = sent[start + len(name):start + len(name) + 12]
            allergy = "过敏" in after[:3] or (name.startswith("过敏") and "对" in sent[max(0, start - 12):start])
            excepted = "除外" in after or "例外" in after  # 伴弥散性血管内凝血时除外: not contraindicated
            # the whole condition, not part of a longer one or a stage of it (急性心肌梗死最初几天, 绝经前)
            whole = (not before or before in _BEFORE or sent[:start].endswith(_LEAD_INS)) and \
                (not after or after.startswith(_AFTER))
            if whole and not allergy and not excepted:
                return sent.strip()
            start = sent.find(name, start + 1)
    return ""
