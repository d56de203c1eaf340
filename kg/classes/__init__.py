"""Drug classes: which ATC class a drug belongs to, and how that was decided.

Pure functions, no store. Three routes, in order of trust:

1. **atc** — the drug's generic name (苯磺酸氨氯地平片 → 氨氯地平) or English name is a level-5
   substance of the ATC table; its class is that substance's level-4 group.
2. **stem** — the generic name carries an INN stem (-沙坦, -普利, 头孢- … kg.classes.stems), or
   **name-pattern** — a group word or a named substance without a stem (维生素…, …疫苗, 氯化钾,
   蒙脱石 … kg.classes.patterns); a route rule of the stem may move the class by dosage form
   (…阴道乳膏 → G01AF).
3. **source** — the source's own class text (CMeKG 分类, CareGPT 药品类型) names a class through
   the synonym table (kg.classes.synonyms): 质子泵抑制药 = PPI → A02BC.

A traditional Chinese patent medicine (中成药) gets no ATC class; `drug_kind` tells it apart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kg.classes.patterns import radiopharmaceutical
from kg.classes.stems import NAMED, STEMS, Stem, match_stem
from kg.classes.synonyms import CLASS_SYNONYMS, TCM_CLASS, TERM_CODES
from kg.classes.table import AtcTable, builtin_name
from kg.normalize import SALT_PREFIXES, SALT_SUFFIXES, normalize_name, strip_dosage_form, strip_salt
from kg.schema import entity_id

__all__ = ["AtcTable", "CLASS_SYNONYMS", "DERIVATION_DATASETS", "DrugClass", "DrugKind", "STEMS", "TCM_CLASS",
           "bare_name", "class_label", "combination_parts", "class_name", "class_node_id", "class_terms", "drug_kind", "generic_name", "is_tcm_patent", "name_variants",
           "resolve_class", "source_class", "stem_class", "table_classes"]

#: derivation → the `dataset` (and predicate) of the IN_CLASS edge that records it
DERIVATION_DATASETS: dict[str, str] = {"atc": "atc", "stem": "inn-stem", "name-pattern": "name-pattern",
                                       "source": "source-class"}


@dataclass(frozen=True)
class DrugClass:
    code: str  # ATC code, "" when none (中成药)
    name: str  # Chinese class name (the Category node's name)
    level: int  # 1–5; 0 when not ATC
    derivation: str  # "atc" | "stem" | "name-pattern" | "source"

    @property
    def dataset(self) -> str:
        return DERIVATION_DATASETS[self.derivation]

    @property
    def node_id(self) -> str:
        """The Category node of this class (see `class_node_id`)."""
        return class_node_id(self.code) if self.code else entity_id(self.name)


def class_node_id(code: str) -> str:
    """An ATC class node is identified by its code, not its name: class names collide with
    source nodes that are not that class (the substance 肝素 vs the class B01AB 肝素; CMeKG Drug
    nodes named 大环内酯类), and the table's and the bundled names of one code must meet."""
    return entity_id(f"ATC:{code}")


def class_name(code: str, table: AtcTable | None = None) -> str:
    """The display name of an ATC class code (the table's, else the bundled one)."""
    return table.display_name(code) if table is not None else builtin_name(code)


def bare_name(name: str, code: str) -> str:
    """The class name without the code a duplicate display name carries (…，单方（C09CA） → …，单方)."""
    return name[: -len(code) - 2] if code and name.endswith(f"（{code}）") else name


def class_label(name: str, code: str) -> str:
    """How a class reads on a card or in a comparison: '二氢吡啶衍生物（ATC代码 C08CA）'."""
    return f"{bare_name(name, code)}（ATC代码 {code}）" if code else name


def _atc_class(code: str, derivation: str, table: AtcTable | None) -> DrugClass | None:
    name = class_name(code, table)
    level = {1: 1, 3: 2, 4: 3, 5: 4, 7: 5}.get(len(code), 0)
    return DrugClass(code, name, level, derivation) if name else None


# -- generic names ------------------------------------------------------------------------------

#: ester / salt prefixes beyond kg.normalize.SALT_PREFIXES (丙酸氟替卡松, 昔萘酸沙美特罗 …)
ESTER_PREFIXES: tuple[str, ...] = tuple(sorted({
    "丙酸", "二丙酸", "糠酸", "戊酸", "丁酸", "十一酸", "庚酸", "己酸", "癸酸", "昔萘酸", "环戊丙酸", "苯丙酸",
    "氢氯酸", "依托红霉素", "羟萘酸", "乙磺酸", "樟脑磺酸", "萘磺酸", "二磷酸", "甲基硫酸", "硫酸氢",
}, key=len, reverse=True))
#: salt words after the substance (阿仑膦酸钠, 地塞米松磷酸钠, 酮咯酸氨丁三醇)
SALT_ENDINGS: tuple[str, ...] = tuple(sorted({
    *SALT_SUFFIXES, "磷酸钠", "磷酸二钠", "琥珀酸钠", "琥珀酸酯钠", "琥珀酸酯", "癸酸酯", "棕榈酸酯", "氨丁三醇", "葡甲胺", "二钠", "三钠", "钠盐", "钾盐", "水合物",
    "醋酸酯", "丙酸酯", "磷酸酯",
}, key=len, reverse=True))
#: words that are neither substance nor dosage form (route, packaging, "本品")
_ROUTE = ("吸入用", "吸入", "鼻用", "口服", "外用", "阴道", "眼用", "注射用", "滴眼", "复合", "小儿", "儿童", "口腔")
_EXTRA_FORMS = ("鼻", "滴剂", "灌肠液", "灌肠剂", "乳胶剂", "贴", "喷鼻剂", "滴眼剂", "粉雾剂", "喷剂", "鼻喷剂", "微丸", "缓释", "控释", "肠溶", "无菌粉末", "冻干粉", "干粉",
                "注射剂", "喷雾", "溶液剂", "凝胶剂", "贴片", "涂剂", "膏剂", "片(", "咀嚼", "分散", "缓释微球", "微球",
                "缓释植入剂", "植入剂", "散剂", "巴布膏", "巴布", "鼻腔喷雾剂", "鼻腔", "口内崩解片", "口内崩解")
#: a strength written into the name (米非司酮片10mg, 环磷腺苷葡胺注射液90mg)
_SPEC = re.compile(r"\d+(?:\.\d+)?(?:mg|g|ml|μg|ug|iu|万单位|单位)$")
_BRACKET = re.compile(r"\([^()]*\)")
_BRAND_LEAD = re.compile(r"^[^()]{1,8}\((?P<inner>[^()]{2,})\)$")


#: the carrier of an infusion (盐酸昂丹司琼氯化钠注射液): stripped only from an injection's name
_CARRIERS = ("氯化钠", "葡萄糖")


def _strip_forms(n: str) -> str:
    infusion = n.endswith(("注射液", "输液"))
    prev = None
    while prev != n:
        prev = n
        n = _SPEC.sub("", n) or n
        n = strip_dosage_form(n)
        for w in _CARRIERS if infusion else ():
            if n.endswith(w) and len(n) - len(w) >= 2:
                n = n[: -len(w)]
        for w in _EXTRA_FORMS:
            if n.endswith(w) and len(n) - len(w) >= 2:
                n = n[: -len(w)]
        for w in _ROUTE:
            if n.startswith(w) and len(n) - len(w) >= 2:
                n = n[len(w):]
            if n.endswith(w) and len(n) - len(w) >= 2:
                n = n[: -len(w)]
    return n


def name_variants(name: str, esters: bool = True) -> list[str]:
    """From the product name to the bare substance, least stripped first: 苯磺酸氨氯地平片 →
    [苯磺酸氨氯地平, 氨氯地平]. Brand in brackets, spec in brackets, dosage form, route, salt and
    ester prefixes, salt endings are removed one kind at a time."""
    n = normalize_name(name)
    brand = _BRAND_LEAD.match(n)  # 络活喜(苯磺酸氨氯地平片): the generic name is the bracket
    if brand and strip_dosage_form(brand.group("inner")) != brand.group("inner"):
        n = brand.group("inner")
    n = _BRACKET.sub("", n) or n
    out = [_strip_forms(n)]
    core = strip_salt(out[-1])
    for p in ESTER_PREFIXES:
        if core.startswith(p) and len(core) - len(p) >= 2:
            core = core[len(p):]
            break
    out.append(core)
    for _ in range(2):  # 溴芬酸钠水合物 → 溴芬酸钠 → 溴芬酸
        ending = next((s for s in SALT_ENDINGS if out[-1].endswith(s) and len(out[-1]) - len(s) >= 2), None)
        if ending is None:
            break
        out.append(out[-1][: -len(ending)])
        if ending != "水合物":  # only a hydrate leaves a salt to strip
            break
    if esters and out[-1].endswith("酯") and len(out[-1]) >= 4:  # 达比加群酯 → 达比加群 (a prodrug ester)
        out.append(out[-1][:-1])
    return [v for v in dict.fromkeys(out) if v]


def generic_name(name: str) -> str:
    """苯磺酸氨氯地平片 → 氨氯地平: salt, ester, dosage form, route and bracketed brand/spec removed."""
    variants = name_variants(name, esters=False)
    if len(variants) > 1 and len(variants[-1]) <= 2:  # 枸橼酸铋钾: 铋钾 is no substance
        return variants[-2]
    return variants[-1] if variants else ""


# -- the three routes ---------------------------------------------------------------------------

#: local dosage forms, and the class groups a product of that form can belong to; a stem's
#: systemic class on such a product (复方氯化钠滴眼液 → B05XA, 维生素E乳膏 → A11) is left out
_EYE_FORMS = ("滴眼", "眼膏", "眼用", "眼凝胶")
_SKIN_FORMS = ("乳膏", "软膏", "搽剂", "洗剂", "霜")
_SYSTEMIC_ONLY = ("A10", "A11", "A12", "B01", "B03", "B05", "C0", "H0", "J01", "J02", "J05", "J07", "L0", "M01", "N0", "R03", "R05", "R06")


def _local_mismatch(product: str, code: str) -> bool:
    if any(w in product for w in _EYE_FORMS):
        return not code.startswith("S")
    if any(w in product for w in _SKIN_FORMS):
        return code.startswith(_SYSTEMIC_ONLY) and not code.startswith("N01")
    return False


#: how sentence fragments that a source stored as drug names begin
_NOT_A_DRUG = ("本品", "尤其", "与", "和", "及")


def stem_class(name: str, table: AtcTable | None = None) -> DrugClass | None:
    """The class an INN stem of the generic name implies (level 3, or 4 where the stem fixes it)."""
    if normalize_name(name).startswith(_NOT_A_DRUG):  # extraction noise: 本品与茶碱, 尤其是和阿托品
        return None
    nuclide = radiopharmaceutical(normalize_name(name))
    if nuclide is not None:
        return _atc_class(nuclide, "name-pattern", table)
    variants = name_variants(name)
    if not variants:
        return None
    named = next((v for v in variants if v in NAMED), None)  # a member spelled with its salt: 硝酸甘油
    if named is None and any(_second_only(v) for v in variants):
        return None  # 酪氨酸激酶抑制剂加干扰素: the stem is the second substance's, the first is unknown
    hit = NAMED[named] if named is not None else next(filter(None, map(_first_component, variants)), None)
    for v in reversed(variants):  # the bare substance first: 达比加群酯 → 达比加群
        hit = hit or match_stem(v)
    if hit is None or not hit[0]:
        return None
    code, stem = hit
    product = normalize_name(name)
    if stem.routes and code == stem.code:  # the product's route decides (阴道乳膏, 滴眼液, 片 …)
        code = stem.route_code(product) if stem.route_code(product) is not None else code
    if not code or _local_mismatch(product, code):
        return None
    return _atc_class(code, "name-pattern" if stem.pattern else "stem", table)


def _substance_stem(part: str) -> tuple[str, Stem] | None:
    for v in reversed(name_variants(part)):
        hit = NAMED.get(v) or match_stem(v)
        if hit is not None:
            return hit
    return None


#: words that join two substances only when both sides are substances (达比加群, 特利加压素: no)
_JOINERS = ("和", "与", "加", "及")


#: first halves that are part of one substance's name (聚乙二醇干扰素, 苯丁酸氮芥)
_BOUND = frozenset({"聚乙二醇", "苯丁酸"})


def _salt_split(left: str, right: str) -> bool:
    """A split that only cuts a salt off its substance (枸橼酸|托法替布, 酮咯酸|氨丁三醇, 葡萄糖|酸亚铁)."""
    if left in _BOUND or (left == "普鲁卡因" and right.endswith("青霉素")):  # 聚乙二醇干扰素, 普鲁卡因青霉素: one substance
        return True
    return left in SALT_PREFIXES or left in ESTER_PREFIXES or right in SALT_ENDINGS or right.startswith("酸")


def combination_parts(generic: str, known: Callable[[str], bool]) -> tuple[str, str] | None:
    """(first, rest) of a two-substance name: split at "/" or "+", at 和/与/加 when both sides are
    substances `known` accepts, else at the first place where both halves are; None for one
    substance. Chinese combination names put the main ingredient first (庆大霉素普鲁卡因, 阿司匹林维生素c)."""
    generic = generic.removeprefix("复方")  # 复方庆大霉素普鲁卡因: still gentamicin first
    for sep in ("/", "+"):
        if sep in generic:
            first, _, rest = generic.partition(sep)
            return (first, rest) if len(first) >= 2 and len(rest) >= 2 else None
    for sep in _JOINERS:
        first, _, rest = generic.partition(sep)
        if len(first) >= 2 and len(rest) >= 2 and known(first):  # 吡喹酮和青蒿素联合治疗: the first is enough
            return first, rest
    if any(j in generic for j in (*_JOINERS, "或")):  # a phrase (…和长春新碱或环磷酰胺): no side-by-side cut
        return None
    for i in range(2, len(generic) - 1):
        left, right = generic[:i], generic[i:]
        if len(right) >= 2 and not _salt_split(left, right) and known(left) and known(right):
            return left, right
    return None


def _second_only(generic: str) -> bool:
    """'X加Y' / 'X与Y' where Y carries a stem and X, the first-named main ingredient, does not."""
    for sep in _JOINERS:  # not "/": 30/70混合重组人胰岛素, ω-3鱼油中/长链脂肪乳
        first, _, rest = generic.partition(sep)
        if len(first) >= 2 and len(rest) >= 2:
            return not _has_stem(first) and _has_stem(rest)
    return False


def _has_stem(part: str) -> bool:
    return _substance_stem(part) is not None


#: a progestogen or an anti-androgen with an oestrogen: the fixed combinations' own groups
_WITH_OESTROGEN = {"G03D": "G03AA", "G03AC": "G03AA", "G03HA": "G03HB"}


def _first_component(generic: str) -> tuple[str, Stem] | None:
    """A two-substance name (庆大霉素普鲁卡因, 双氯芬酸钠利多卡因, 二甲双胍维格列汀): the class of the
    first; None for one substance or a first substance without a stem. A progestogen with 炔雌醇
    is a combined contraceptive (G03AA), not a progestogen (G03D)."""
    parts = combination_parts(generic, _has_stem)
    hit = _substance_stem(parts[0]) if parts is not None else None
    if parts is not None and hit is not None and "雌" in parts[1] and hit[0] in _WITH_OESTROGEN:
        return _WITH_OESTROGEN[hit[0]], hit[1]
    return hit


_CLASS_SPLIT = re.compile(r"[，,、；;/|]+")


def source_class(text: str | Iterable[str], table: AtcTable | None = None) -> DrugClass | None:
    """The most specific ATC class a source's class text names (质子泵抑制药 → A02BC), or None.
    Terms that join two words with a comma (磺胺类,脲衍生物) are looked for in the whole text first."""
    texts = [text] if isinstance(text, str) else list(text)
    whole = "、".join(texts)
    codes: list[str] = []
    for term, code in TERM_CODES.items():
        if ("," in term or "，" in term) and term in whole:
            codes.append(code)
            whole = whole.replace(term, "、")
    for part in _CLASS_SPLIT.split(whole):
        part = part.strip()
        code = TERM_CODES.get(part) or TERM_CODES.get(re.sub(r"(?:药物|药)$", "药", part))
        if code:
            codes.append(code)
    if not codes:
        return None
    best = max(codes, key=len)
    for c in codes:  # two classes that are not one inside the other: only what they share
        if not best.startswith(c):
            best = os.path.commonprefix([best, c])
    return _atc_class(best, "source", table) if len(best) >= 3 else None


def resolve_class(name: str, *, english: str = "", source_text: str = "",
                  table: AtcTable | None = None) -> DrugClass | None:
    """The class of one drug: the ATC table's (level 4) when it has the substance, else the INN
    stem's, else the source class text's; None when no route knows it."""
    if table is not None:
        rows = table.substance(name_variants(name), english)
        if rows:
            return _atc_class(rows[0].parent, "atc", table)
    return stem_class(name, table) or (source_class(source_text, table) if source_text else None)


def table_classes(name: str, english: str, table: AtcTable) -> list[DrugClass]:
    """Every level-4 class the table gives the substance (阿司匹林: B01AC and N02BA), preferred first."""
    rows = table.substance(name_variants(name), english)
    out = [_atc_class(r.parent, "atc", table) for r in rows]
    return list(dict.fromkeys(c for c in out if c is not None))


def class_terms(code: str, name: str = "", min_len: int = 1) -> list[str]:
    """How text names a class: its display name and the synonyms of it and its ancestors down to
    codes of `min_len` characters (大环内酯类, PPI …). A drug in C10AA is named by 他汀类 and 调血脂药."""
    out = [name] if name else []
    for k in range(len(code), min_len - 1, -1):
        out += CLASS_SYNONYMS.get(code[:k], ())
    return list(dict.fromkeys(t for t in out if t))


# -- Western or TCM -----------------------------------------------------------------------------

class DrugKind(StrEnum):
    WESTERN = "western"
    TCM_PATENT = "tcm_patent"  # 中成药
    TCM_HERB = "tcm_herb"  # a medicinal material (中药材 / 饮片)
    UNKNOWN = "unknown"


#: properties only a medicinal-material (herb) record has
_HERB_PROPS = ("入药部位", "性味", "归经", "界", "科", "属", "采收时间", "分布区域")
#: properties a traditional prescription label has
_TCM_PROPS = ("功能主治", "功用", "功效")
_TCM_ENDINGS = ("丸", "散", "丹", "汤", "饮", "茶", "露", "锭", "膏", "胶", "酒", "合剂", "颗粒", "口服液", "片", "胶囊")
_WESTERN_FORMS = ("乳膏", "软膏", "眼膏", "凝胶", "滴眼液", "注射液", "气雾剂", "混悬液")
_PINYIN = re.compile(
    r"^(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxzcsryw])?(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|"
    r"in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|v))+$")
_FORM_WORDS = {"tablets", "tablet", "capsules", "capsule", "granules", "pills", "pill", "injection", "syrup",
               "oral", "liquid", "solution", "for", "ointment", "plaster", "powder", "tincture", "mixture"}


#: dosage forms written in pinyin (Liuwei Dihuang Wan)
_PINYIN_FORMS = {"wan", "pian", "keli", "jiaonang", "gao", "san", "dan", "koufuye", "heji", "chongji", "tang", "ye", "xiji", "xiye",
                 "dihuang", "ruangao", "diwan", "shuiwan", "tiegao", "cha", "jiu", "lu"}


def _pinyin_english(english: str) -> bool:
    """'Shaoshang Zhitong Yaogao' is pinyin; 'Cetirizine' parses as pinyin too, so one word is
    pinyin only with a pinyin dosage form beside it."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", english)]
    words = [w for w in words if w not in _FORM_WORDS]
    if not words or not all(_PINYIN.match(w) for w in words):
        return False
    if len(words) == 1:  # RukangRuanjiaonang: written as one word
        w = words[0]
        formed = len(w) >= 8 and (w.endswith(tuple(_PINYIN_FORMS)) or len(re.findall(r"[A-Za-z]+", english)) > 1)
        return len(w) >= 12 or formed
    return len(words) >= 3 or words[-1] in _PINYIN_FORMS or sum(map(len, words)) >= 8


def _text(properties: Mapping[str, object], keys: Sequence[str]) -> str:
    parts: list[str] = []
    for k in keys:
        v = properties.get(k)
        if isinstance(v, str):
            parts.append(v)
        elif isinstance(v, list):
            parts += [x for x in v if isinstance(x, str)]
    return "、".join(parts)


def drug_kind(name: str, properties: Mapping[str, object], categories: Sequence[str] = (),
              table: AtcTable | None = None) -> DrugKind:
    """Western, TCM patent medicine, TCM herb, or unknown — from the drug's own signals.

    Western evidence (any one): the ATC table has the substance; an INN stem; a salt/ester in the
    Chinese name; an English name that is not pinyin. It outranks a 中成药 label (sources put one on
    苯磺酸氨氯地平片). TCM evidence: 功能主治/功效 text, herb properties, a pinyin English name,
    a 中成药 class, a traditional dosage form with no Western signal."""
    english = _text(properties, ("英文名", "英文名称", "外文名"))
    variants = name_variants(name, esters=False)
    if not variants:
        return DrugKind.UNKNOWN
    pinyin = bool(english) and _pinyin_english(english)
    if sum(p in properties for p in _HERB_PROPS) >= 2:  # a materia medica record (its English is Latin)
        return DrugKind.TCM_HERB
    if (table is not None and table.substance(variants, "" if pinyin else english)) or stem_class(name) is not None:
        return DrugKind.WESTERN  # a known substance or an INN stem outranks every TCM signal
    western = not pinyin and (
        len(variants) > 1 and variants[0] != variants[-1]
        or (bool(english) and english.isascii() and bool(re.search(r"[A-Za-z]{4,}", english)))
    )
    if western:
        return DrugKind.WESTERN
    labels = _text(properties, ("药品类型", "分类", "用途分类")) + "、" + "、".join(categories)
    tcm = (pinyin or TCM_CLASS in labels or "中药" in labels or any(p in properties for p in _TCM_PROPS))
    if tcm:
        return DrugKind.TCM_PATENT
    n = normalize_name(name)
    if n.endswith(_TCM_ENDINGS) and not n.endswith(_WESTERN_FORMS) and not n.startswith("复方"):
        return DrugKind.TCM_PATENT if n.endswith(("丸", "散", "丹", "汤", "饮", "茶", "露", "锭")) else DrugKind.UNKNOWN
    return DrugKind.WESTERN if western else DrugKind.UNKNOWN


def is_tcm_patent(name: str, properties: Mapping[str, object], categories: Sequence[str] = ()) -> bool:
    """A traditional Chinese patent medicine (中成药): marked as such, never given an ATC class."""
    return drug_kind(name, properties, categories) == DrugKind.TCM_PATENT
