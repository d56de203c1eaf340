"""Name normalization shared by ingest (node identity) and retrieval (matching).

Only surface noise is removed — width, bracket style, spaces, case and trailing punctuation —
never content, so "复方氨基酸胶囊(8-11)" and "复方氨基酸胶囊" stay different entities.
Dosage-form and salt stripping is a *variant* (an alias), not part of identity.
"""

from __future__ import annotations

import re
import unicodedata

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "［": "(", "］": ")",
                           "[": "(", "]": ")", "〔": "(", "〕": ")", "｛": "(", "｝": ")",
                           "{": "(", "}": ")", "—": "-", "－": "-", "–": "-", "·": "", "・": ""})
_SPACE = re.compile(r"\s+")
#: Stripped from both ends. str.strip, not an anchored regex: `[…]+$` retries at every position of
#: a long punctuation run and is quadratic (a 64 KB name took minutes); every step here is linear.
_EDGE_PUNCT = ",.;:!?，。；：！？、…"


#: Longest name or alias the graph accepts (the longest in the four real sources is under 100).
MAX_NAME_LEN = 200
#: C0/C1 control characters (newline, tab, NUL, …) and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Unicode format characters (category Cf, Unicode 14): zero-width space/joiners, BOM, bidi controls,
#: soft hyphen, tags. Invisible, so "非布司\u200b他片" would be a look-alike node of 非布司他片: they are
#: removed from names at ingest and from questions before matching.
FORMAT_CHARS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")


#: A drug's code name written with digits only keeps its place as a name: 654-2 (山莨菪碱).
_CODE_NAME = re.compile(r"\d{2,}\s*[-—－]\s*\d+")


def strip_format(text: str) -> str:
    """`text` without invisible format characters (FORMAT_CHARS)."""
    return FORMAT_CHARS.sub("", text)


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a node name or alias, or None when it can. Names end up in files
    (jieba's user dictionary: one entry per line, space-separated) and in every prompt, so a line
    break or control character would corrupt them, and an unbounded length bounds nothing."""
    if len(name) > MAX_NAME_LEN:
        return f"name longer than {MAX_NAME_LEN} characters ({len(name)})"
    bad = _CONTROL.search(name)
    if bad is not None:
        return f"name contains control character U+{ord(bad.group()):04X} at position {bad.start()}"
    if not any(ch.isalpha() for ch in name) and not _CODE_NAME.fullmatch(name):
        # "1", "2", "3", "6.4%", "(+)": list numbering, figures and punctuation a scraper took for names
        return "name has no letter or CJK character"
    return None


def normalize_name(name: str) -> str:
    s = FORMAT_CHARS.sub("", unicodedata.normalize("NFKC", name)).translate(_BRACKETS)
    s = _SPACE.sub("", s).lower()  # whitespace is gone before the edges are stripped
    return s.strip(_EDGE_PUNCT)


def _strip_bracket_suffix(s: str) -> str:
    r"""'复方氨基酸胶囊(8-11)' → '复方氨基酸胶囊': drops a final "(…)" with no ")" inside, like
    `re.sub(r"\([^)]*\)$", "", s)` but linear (that regex is quadratic on runs of "(")."""
    if not s.endswith(")"):
        return s
    inner_close = s.rfind(")", 0, len(s) - 1)
    start = s.find("(", inner_close + 1, len(s) - 1)
    return s if start < 0 else s[:start]


#: Dosage forms, longest first so "肠溶片" is stripped before "片".
DOSAGE_FORMS: tuple[str, ...] = tuple(sorted({
    "肠溶胶囊", "肠溶片", "缓释片", "控释片", "缓释胶囊", "分散片", "咀嚼片", "泡腾片", "口腔崩解片",
    "口崩片", "含片", "舌下片", "薄膜衣片", "糖衣片", "滴丸", "软胶囊", "硬胶囊", "胶囊", "胶丸", "片",
    "颗粒", "冲剂", "口服液", "口服溶液", "合剂", "糖浆", "混悬液", "干混悬剂", "混悬剂", "乳膏", "软膏",
    "凝胶", "搽剂", "洗剂", "喷雾剂", "气雾剂", "吸入剂", "滴眼液", "滴耳液", "滴鼻液", "眼膏", "栓",
    "注射液", "注射用", "粉针剂", "输液", "丸", "大蜜丸", "小蜜丸", "水丸", "浓缩丸", "散", "膏", "酊",
    "贴剂", "贴膏", "膜", "溶液", "酏剂", "口服乳剂", "乳剂", "粉", "粉剂", "颗粒剂", "片剂", "胶囊剂",
}, key=len, reverse=True))

#: Salt / ester prefixes and suffixes found in Chinese drug names.
SALT_PREFIXES: tuple[str, ...] = tuple(sorted({
    "盐酸", "硫酸", "磷酸", "枸橼酸", "马来酸", "富马酸", "酒石酸", "甲磺酸", "苯磺酸", "琥珀酸",
    "醋酸", "乳酸", "氢溴酸", "硝酸", "葡萄糖酸", "门冬氨酸", "赖氨酸", "精氨酸", "苯甲酸", "草酸",
    "双氯芬酸", "重酒石酸", "二盐酸", "对甲苯磺酸", "甲硫酸", "水杨酸", "乙酰",
}, key=len, reverse=True))
SALT_SUFFIXES: tuple[str, ...] = ("钠", "钾", "钙", "镁", "锌", "铝", "盐")


_FORM_SET = frozenset(DOSAGE_FORMS)
_FORM_LENGTHS = sorted({len(f) for f in DOSAGE_FORMS}, reverse=True)


def strip_dosage_form(name: str) -> str:
    """'地屈孕酮片' → '地屈孕酮'; returns the input when nothing (or everything) would remain."""
    n = name[3:] if name.startswith("注射用") and len(name) > 4 else name
    for length in _FORM_LENGTHS:  # longest form first, one set lookup per length
        if len(n) - length >= 2 and n[-length:] in _FORM_SET:
            return n[:-length]
    return n


#: The common forms (of DOSAGE_FORMS, and 茶 for tea-bag products) whose names read as a generic
#: product: a disease's drug list puts …片, …胶囊 before bare brand names (retrieval.evidence.ranking). The rarer
#: forms (溶液, 粉, 膜 …) end too many names that are no product to count here.
PRODUCT_FORMS: tuple[str, ...] = ("片", "胶囊", "颗粒", "注射液", "丸", "散", "膏", "口服液", "糖浆", "滴丸", "合剂",
                                  "软膏", "乳膏", "栓", "气雾剂", "冲剂", "酊", "茶")


def is_product_name(name: str) -> bool:
    """'地屈孕酮片', '板蓝根颗粒': a name ending in one of PRODUCT_FORMS."""
    return name.endswith(PRODUCT_FORMS)


def strip_salt(name: str) -> str:
    """'盐酸二甲双胍' → '二甲双胍'; conservative: keeps at least two characters."""
    for prefix in SALT_PREFIXES:
        if name.startswith(prefix) and len(name) - len(prefix) >= 2:
            return name[len(prefix):]
    return name


def core_name(name: str) -> str:
    """Ingredient-level name: without dosage form, salt or bracketed spec."""
    n = _strip_bracket_suffix(normalize_name(name))
    return strip_salt(strip_dosage_form(n))
