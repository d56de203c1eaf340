"""Mention spans: which run of characters in a question is the medical term it asks about.

A question is cut into *runs* at punctuation, joining characters (的, 是, 吃 …), question vocabulary
and everyday context words. Inside a run, known KG names and unknown characters alternate; tokens
are *glued* into one medical-term span when the text says they belong to one name: a trailing dosage
form or salt (头孢呋辛 + 坦丁片), a disease head (胃炎 + 病), a modifier (慢性蝶形 + 胃炎, 多发性 + 珊瑚 +
状 + 肾炎), or two drug names written together (美林 + 洛芬 + 片). A known name that covers only part of
a span is a *partial* match: the linker never answers with it (it becomes a suggestion instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.normalize import DOSAGE_FORMS, SALT_PREFIXES, SALT_SUFFIXES, normalize_name

#: Characters that separate a name from the rest of the question (never part of a name span).
#: (Characters frequent inside drug and disease names — 他 in 非布司他, 前 in 前列腺, 中, 关, 于, 滴, 含 —
#: are left out, so a misspelled name is not cut apart.)
JOINERS = frozenset("的是有能吃用和与跟及得了患治疗会什么哪怎可以请问我你这那对服该应在要想让"
                    "给被把就都也还又或者其之呢吗吧啊呀嘛么买打喝涂抹擦换停拿看到过些喂|")
#: Everyday words that sit next to a name without being part of it ("阿莫西林一天吃几次").
CONTEXT_WORDS: frozenset[str] = frozenset(normalize_name(w) for w in """
一天 每天 每日 一日 每次 一次 两次 三次 几天 几次 早期 晚期 初期 中期 后期 末期 平时 平常 长期 短期 最近 现在 已经
一直 突然 经常 总是 老是 今天 昨天 明天 孩子 小孩子 宝宝 妈妈 爸爸 老公 老婆 家人 朋友 自己 知道 判断 确定 是不是
会不会 能不能 可不可以 严重 严重吗 多久 多长时间 多少 多少钱 多大 到底 究竟 真的 最好 一样 哪个好 效果 管用 有用
好不好 好吗 安全 期间 以后 之后 以前 之前 同时 一起 一块 还是 或是 以及 加上 合并 伴有 出现 发现 得的 这种 那种
""".split())
#: Words that end a disease name (a run ending in one of them names one longer disease).
DISEASE_HEADS: tuple[str, ...] = ("综合征", "综合症", "病变", "病", "症", "炎", "癌", "瘤", "征")
#: Characters that make a modifier bind to what follows (慢性, 多发性, 珊瑚状, 蝶形, 2型).
MODIFIER_ENDS = frozenset("性型样状形")
#: Prefixes that belong to the drug name after them (复方甘草片 ≠ 甘草).
DRUG_PREFIXES: tuple[str, ...] = ("复方", "注射用", "小儿", *SALT_PREFIXES)
_LEADING_MODIFIERS = frozenset("性型样状")
_NOT_MODIFIERS = ("性别", "性生活", "性价比", "性能", "性格", "型号", "样子", "样本", "状况", "状态")
_FORMS = frozenset(DOSAGE_FORMS)
_FORM_LENGTHS = sorted({len(f) for f in DOSAGE_FORMS}, reverse=True)
_NUMERALS = frozenset("一二三四五六七八九十两几半多数0123456789")
#: What follows the name a question asks about ("X的适应症", "X有什么副作用", "X是什么病").
ASK_CUES: tuple[str, ...] = (
    "有什么", "有哪些", "有啥", "有没有", "是什么", "是啥", "是治", "怎么", "如何", "能治", "治什么", "主治",
    "适应", "用于", "有何", "的适应", "的副作用", "的不良", "的作用", "的功效", "的用法", "的用量", "的禁忌",
    "的症状", "的表现", "的临床", "的治疗", "的病因", "的原因", "的检查", "的注意", "的成分", "的成份", "的主治",
    "的疗效", "的说明", "的危害", "的并发", "的诊断", "的预防")
#: First characters of a tail that is context, not more of the name (高血压后, 感冒药, 糖尿病人 …).
_TAIL_STOP = frozenset("后时中上下内外前等期史好不多大小药人们者里处部方类型性化家科病症天年月次种个"
                       "适相最具发所较很变没办法改难分及与")
MAX_ASKED_TAIL = 3


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of a run: a known KG name key (`key` set) or a chunk of unknown characters."""

    start: int
    end: int
    text: str
    key: str | None = None
    drug: bool = False  # the key's best entity is a drug or ingredient

    @property
    def known(self) -> bool:
        return self.key is not None


def form_suffix(text: str) -> str:
    """The dosage form `text` ends with (longest), or ''."""
    for length in _FORM_LENGTHS:  # longest first, one set lookup per length
        if len(text) > length and text[-length:] in _FORMS:
            return text[-length:]
    return ""


_FORMS_BY_LEN: dict[int, tuple[str, ...]] = {n: tuple(f for f in DOSAGE_FORMS if len(f) == n)
                                             for n in {len(f) for f in DOSAGE_FORMS} if n >= 2}


def form_typos(text: str) -> list[str]:
    """Dosage forms of two or more characters that `text` misspells by one character (胶襄 → 胶囊)."""
    return [f for f in _FORMS_BY_LEN.get(len(text), ()) if text not in _FORMS
            and sum(a != b for a, b in zip(f, text, strict=True)) == 1]


def ends_with_form(text: str) -> bool:
    """True for "坦丁片", "钠片" — but not for a quantity such as "三片" or "几粒"."""
    form = form_suffix(text)
    if not form:
        return False
    rest = text[: -len(form)]
    return bool(rest) and rest[-1] not in _NUMERALS


def disease_head(text: str) -> str:
    for head in DISEASE_HEADS:
        if text.endswith(head):
            return head
    return ""


def strip_salts(text: str) -> str:
    """Dosage form, then salt prefix and suffix removed: "盐酸缬沙坦钠片" → "缬沙坦"."""
    n = text
    form = form_suffix(n)
    if form and len(n) - len(form) >= 2:
        n = n[: -len(form)]
    if n.startswith("注射用") and len(n) > 4:
        n = n[3:]
    for prefix in SALT_PREFIXES:
        if n.startswith(prefix) and len(n) - len(prefix) >= 2:
            n = n[len(prefix):]
            break
    if n[-1:] in SALT_SUFFIXES and len(n) >= 4:
        n = n[:-1]
    return n


def looks_like_a_name(text: str) -> bool:
    """An unknown chunk that is written like a drug or disease name ("氟美沙星片", "蝶形胃炎")."""
    if len(text) < 3:
        return False
    if ends_with_form(text):
        return len(text) - len(form_suffix(text)) >= 2
    head = disease_head(text)
    return bool(head) and len(text) - len(head) >= 2 and not (set(text[: -len(head)]) & _NUMERALS)


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _glued(a: Token, b: Token, b_is_last: bool, inside: bool) -> bool:
    """Do two adjacent tokens of a run belong to one name? `inside`: `a` already continues a span."""
    if a.text[-1:] in MODIFIER_ENDS and (a.known or len(a.text) == 1 or b.known):
        return True  # 慢性 + 胃炎, 珊瑚状 + 肾炎, 2型 + 糖尿病
    if b.known and not a.known and a.text[-1:] == "色" and set(a.text[:-1]) & MODIFIER_ENDS:
        return True  # 蜂窝状紫色 + 胃炎: a colour after a modifier is one more modifier of the name
    if b.known:
        if a.known:
            # 美林 + 洛芬: two drug names written as one; but a complete product name after a
            # maker's prefix ("999" + 感冒灵颗粒) is that product
            # (a prefix with no Chinese in it); two generic names before a form are a combination
            # product (坎地沙坦 + 氢氯噻嗪片)
            return a.drug and b.drug and (not form_suffix(b.text) or bool(_CJK.search(a.text)))
        if inside:
            return True  # 过敏 + 性云纹 + 鼻炎: unknown characters between two parts of one name
        # unknown characters before a drug name: a one-character prefix (卡兰索拉唑) or a salt/复方
        return b.drug and (len(a.text) == 1 or a.text.endswith(DRUG_PREFIXES))
    # b is unknown, a known
    if b.text in _FORMS or ends_with_form(b.text) or b.text in SALT_SUFFIXES:
        return True  # 头孢呋辛 + 坦丁片, 缬沙坦 + 钠片, 布洛芬 + 片
    if a.drug and form_typos(b.text):
        return True  # 阿莫西林 + 胶襄: a misspelled form is still the product's form
    if disease_head(b.text) and not (set(b.text) & _NUMERALS):
        return True  # 胃炎 + 病, 肾炎 + 综合征
    if b.text[:1] in _LEADING_MODIFIERS and not b.text.startswith(_NOT_MODIFIERS):
        return True  # 过敏 + 性云纹, 哮喘 + 型斑点: the modifier turns the name into part of a longer one
    return b.text[-1:] in MODIFIER_ENDS and (len(b.text) == 1 or not b_is_last)


def asked_tail(a: Token, b: Token, after: str) -> bool:
    """A known name followed by a few unknown characters, right where the question asks about its
    subject ("痛风石有哪些症状", "头孢呋辛坦丁的适应症"): the unknown characters are more of the
    name, so the known one covers only part of it (a partial match, never answered as the whole)."""
    return (a.known and not b.known and 1 <= len(b.text) <= MAX_ASKED_TAIL
            and all("\u4e00" <= ch <= "\u9fff" for ch in b.text) and b.text[0] not in _TAIL_STOP
            and b.text not in CONTEXT_WORDS and after.startswith(ASK_CUES))


def glue(tokens: list[Token], after: str = "") -> list[list[Token]]:
    """Group a run's tokens into medical-term spans (single tokens stay alone); `after`: the text
    right after the run."""
    if not tokens:
        return []
    groups: list[list[Token]] = [[tokens[0]]]
    for i in range(1, len(tokens)):
        a, b = tokens[i - 1], tokens[i]
        inside = len(groups[-1]) >= 2 and not a.known
        last = i == len(tokens) - 1
        if _glued(a, b, last, inside) or (last and asked_tail(a, b, after)):
            groups[-1].append(b)
        else:
            groups.append([b])
    # a product name ("沙库巴曲缬沙坦钠片") owns everything written right before it in the run
    for i in range(len(groups) - 1, 0, -1):
        group = groups[i]
        text = "".join(t.text for t in group)
        if len(group) > 1 and ends_with_form(text) and any(t.known for t in group):
            return [[t for g in groups[: i + 1] for t in g], *groups[i + 1:]]
    return groups
