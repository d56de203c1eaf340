"""The name keys: which written forms reach which graph entity, and how surely (candidate generation).

Every entity contributes its own name (`exact`), its aliases (`alias`) and, for drugs and ingredients,
the dosage-form/salt-stripped variants of both (`variant`), each with its score from
`retrieval.linking.scores`. Per key the candidates are ranked once, at build time; the linker
(`retrieval.linking.linker`) only reads a question against them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kg.lexicon import TCM_ACTION_VERBS
from kg.normalize import DOSAGE_FORMS, MAX_NAME_LEN, core_name, normalize_name, strip_dosage_form
from kg.schema import TYPE_PRIORITY, NameEntry, NodeType
from retrieval.linking import scores
from retrieval.linking.mentions import form_suffix, strip_salts

#: Words that are entity names somewhere in a noisy KG but, inside a question, are just the
#: vocabulary of asking. They never produce a link on their own.
QUESTION_VOCABULARY: frozenset[str] = frozenset(
    normalize_name(w)
    for w in """
    适应症 适应证 适应病症 主治 功能主治 功效 作用 用途 副作用 不良反应 禁忌 禁忌症 禁忌证 注意事项 用法 用量 用法用量
    剂量 相互作用 成份 成分 症状 临床表现 表现 检查 化验 检验 治疗 药物 药品 用药 科室 病因 原因 预防 并发症 饮食
    食物 食疗 疾病 病 药 医生 医院 患者 病人 问题 情况 什么 哪些 怎么 如何 为什么 可以 能否 是否 介绍 简介 概述
    感觉 反应 身体 儿童 孕妇 老人 老年人 小孩 宝宝 哺乳期 哺乳 妊娠期 孕期 备孕 经期 男性 女性 不适 疼痛 治疗方法 方法 影响 危害 好处 效果 能治
    一下 一般 需要 应该 注意 常见 主要 其他 以及 还有 哪个 这个 那个 有没有 吃什么 什么药 这种药 这个药 该药 此药
    正常 异常 原理 机制 诊断 鉴别 分类 类型 区别 作用机制 说明书 说明 发作 复发 护理 预后 传染 传播
    用于 引起 导致 出现 发生 患有 得了 怀疑 确诊 服用 使用 吃了 用了 开了 不良 情况下 判断 知道 自己 表现
    """.split()
)
#: A variant shorter than this is an everyday word ("太阳" from 太阳膏, "减肥" from 减肥胶囊), not a drug name.
MIN_VARIANT_LEN = 3
#: A generic shorter than this is no combination component (too many words would split into them).
MIN_COMPONENT_LEN = 3
DRUGLIKE = (NodeType.DRUG, NodeType.INGREDIENT)
_FORM_ENDINGS = frozenset(f[-1] for f in DOSAGE_FORMS)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """A node the linker can link to (built from a `kg.schema.NameEntry`)."""

    id: str
    type: NodeType
    name: str
    described: bool = True


@dataclass(frozen=True, slots=True)
class Candidate:
    """One entity a key may name, by which kind of form and how surely."""

    entry: LinkTarget
    method: str  # exact | alias | variant
    score: float


@dataclass
class NameKeys:
    """The linker's tables: entities by id, ranked candidates per key, combination components."""

    by_id: dict[str, LinkTarget]
    keys: dict[str, list[Candidate]]
    component_keys: set[str]


def name_keys(entries: Iterable[NameEntry], described: set[str] | None, min_key_len: int) -> NameKeys:
    """Every key of every entry, its candidates ranked (best first); `described` None: all are."""
    by_id: dict[str, LinkTarget] = {}
    keys: dict[str, list[Candidate]] = defaultdict(list)
    component_keys: set[str] = set()
    for eid, ntype, name, aliases in entries:
        entry = LinkTarget(eid, ntype, name, described is None or eid in described)
        by_id[eid] = entry
        forms: list[tuple[str, str, float]] = [(name, "exact", scores.EXACT)]
        forms += [(a, "alias", scores.ALIAS) for a in aliases]
        if ntype in DRUGLIKE:
            for base, score in [(name, scores.NAME_VARIANT), *((a, scores.ALIAS_VARIANT) for a in aliases)]:
                nb = normalize_name(base)
                for variant in {strip_dosage_form(nb), core_name(nb)}:
                    if variant != nb:
                        forms.append((variant, "variant", score))
                # a trailing cation dropped too (瑞舒伐他汀钙片 → 瑞舒伐他汀), so the generic name is a
                # key of the described product and a brand inside it (瑞舒) cannot cut it; scored just
                # below the other variants, so it only fills names they do not give
                bare = strip_salts(nb)
                if bare not in {nb, strip_dosage_form(nb), core_name(nb)}:
                    forms.append((bare, "variant", score - scores.BARE_SALT_DROP))
            if not _is_brand(name, aliases):
                component_keys |= _component_forms(name)
        for form, method, score in forms:
            key = normalize_name(form)
            if len(key) < min_key_len or len(key) > MAX_NAME_LEN or key in QUESTION_VOCABULARY:
                continue
            if method == "variant" and len(key) < MIN_VARIANT_LEN:
                continue  # "太阳" from 太阳膏, "减肥" from 减肥胶囊: everyday words, not drug names
            if len(key) == 2 and not _CJK.search(key):
                continue  # two latin letters/digits ("ct", "b1") match everywhere
            keys[key].append(Candidate(entry, method, score))
    ranked = {k: _rank(_symptom_reading(k, v)) for k, v in keys.items()}
    # generic drug names a combination may be written from (坎地沙坦 + 氢氯噻嗪)
    components = {k for k in component_keys if k in ranked and len(k) >= MIN_COMPONENT_LEN}
    return NameKeys(by_id, ranked, components)


def _rank(cands: list[Candidate]) -> list[Candidate]:
    best: dict[str, Candidate] = {}
    for c in cands:
        cur = best.get(c.entry.id)
        if cur is None or c.score > cur.score:
            best[c.entry.id] = c
    # described entities first: a mere mention ("地屈孕酮" as an ingredient) must not beat the
    # drug a source describes ("地屈孕酮片", reached through its variant form)
    return sorted(best.values(), key=lambda c: (not c.entry.described, -c.score,
                                                -TYPE_PRIORITY.get(c.entry.type, 0),
                                                c.entry.name[-1:] not in _FORM_ENDINGS,  # generic first
                                                len(c.entry.name), c.entry.id))


#: Last characters of a word that names a complaint (喉痛, 扭伤, 痰喘): such a word is the symptom,
#: also when the graph holds it only as a mention, never a product named after it.
_COMPLAINT_ENDS = frozenset("痛痒咳嗽喘肿伤疹晕吐")
#: ... unless it says what a medicine does (活血止痛, 化痰平喘: action verbs of TCM efficacy phrases).
_ACTION_CHARS = frozenset(TCM_ACTION_VERBS + "除镇定")
_CLINICAL = (NodeType.SYMPTOM, NodeType.DISEASE)


def _symptom_reading(key: str, cands: list[Candidate]) -> list[Candidate]:
    """A drug's alias or form-less variant that is a symptom or disease name (咳嗽 for 咳嗽糖浆, 喉痛
    for 喉痛片) never reads as the product: the symptom reading stays, the drug candidate is dropped
    for this key only (the alias stays in the graph and on the card). A clinical node counts when a
    source describes it, or when the word names a complaint (a mention-only 依达拉奉 "symptom" is an
    extraction slip, and 止泻/定喘 say what a medicine does); a key that is also a drug's own name
    keeps every reading."""
    clinical = [c for c in cands if c.entry.type in _CLINICAL and c.method in ("exact", "alias")
                and not c.entry.name.endswith(("...", "…"))]  # a source's cut-off name is no reading
    drugs = [c for c in cands if c.entry.type in DRUGLIKE]
    if not clinical or not drugs or any(c.method == "exact" for c in drugs):
        return cands  # no clash, or the word is a drug's own name too (维生素B12)
    if not any(c.entry.described for c in clinical) and \
            not (key[-1:] in _COMPLAINT_ENDS and not set(key) & _ACTION_CHARS):
        return cands
    return [c for c in cands if not (c.entry.type in DRUGLIKE and c.method != "exact")]


def _is_brand(name: str, aliases: Sequence[str]) -> bool:
    """A brand entry (美林: aliases 布洛芬混悬滴剂): named without a form, an alias is a product of
    another ingredient. Brands are not components of a combination name."""
    n = normalize_name(name)
    if form_suffix(n):
        return False
    return any(form_suffix(normalize_name(a)) and core_name(a) != core_name(n) for a in aliases)


def _component_forms(name: str) -> set[str]:
    """The generic names an entity contributes as a combination component: its own name without
    a dosage form, and without salt."""
    n = normalize_name(name)
    return {k for k in (strip_dosage_form(n), core_name(n), strip_salts(n)) if k and not form_suffix(k)} \
        if not re.search(r"[a-z0-9()]", n) else set()
