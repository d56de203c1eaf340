"""Entity linking: the KG entity a question names *as a whole*, or a near miss with suggestions.

An Aho-Corasick automaton holds every normalized surface form (names, aliases, and the
dosage-form/salt-stripped variants of drug names); matches are resolved longest-first without
overlap. `retrieval.linking.mentions` then cuts the question into medical-term spans; a span links only
when it is exactly a known name (`exact`, `alias`), a known name with its dosage form or salt
removed or added (`variant`), a pinyin-input typo of one (`typo`, via `retrieval.linking.typos`), or a
combination that splits exactly into generic drug names (`components`). A known name that covers
only part of a span (头孢呋辛 in 头孢呋辛坦丁片, 美林 in 美林洛芬片) is never linked: the span is a
near miss, and the names it contains and close spellings become suggestions.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kg.lexicon import TCM_ACTION_VERBS
from kg.normalize import (
    DOSAGE_FORMS,
    MAX_NAME_LEN,
    SALT_SUFFIXES,
    core_name,
    normalize_name,
    strip_dosage_form,
)
from kg.schema import TYPE_PRIORITY, NameEntry, NodeType
from retrieval.linking.mentions import (
    CONTEXT_WORDS,
    JOINERS,
    MODIFIER_ENDS,
    Token,
    disease_head,
    ends_with_form,
    form_suffix,
    form_typos,
    glue,
    looks_like_a_name,
    strip_salts,
)
from retrieval.linking.qualifiers import QUALIFIER_KEYS
from retrieval.linking.typos import MIN_TYPO_LEN, TypoIndex
from retrieval.types import LinkedEntity, NearMiss, SuggestedEntity

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

WHY_CONTAINED = "名称中包含的已知条目"
WHY_CLOSE = "拼写相近"
MAX_SUGGESTIONS = 5
#: Spans of unknown characters tried as typos per text: bounds the work on long junk input.
MAX_TYPO_RUNS = 64
MAX_COMPONENT_SPAN = 40
_DRUGLIKE = (NodeType.DRUG, NodeType.INGREDIENT)
_FORMS = frozenset(DOSAGE_FORMS)


@dataclass
class Linking:
    """What one text names: whole mentions (best first) and near misses."""

    entities: list[LinkedEntity] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """A node the linker can link to (built from a `kg.schema.NameEntry`)."""

    id: str
    type: NodeType
    name: str
    described: bool = True


@dataclass(frozen=True, slots=True)
class _Candidate:
    entry: LinkTarget
    method: str  # exact | alias | variant
    score: float


def _normalize_with_map(text: str) -> tuple[str, list[int]]:
    """normalize_name applied per character, keeping a map back to original offsets."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if "\u4e00" <= ch <= "\u9fff":  # common CJK: unchanged by normalization (the fast path)
            out.append(ch)
            index.append(i)
            continue
        piece = normalize_name(ch) if not ch.isspace() else ""
        if not piece and ch in "，。；：！？、,.;:!?…":  # keep punctuation as a separator
            piece = "|"
        for p in piece:
            out.append(p)
            index.append(i)
    return "".join(out), index


_CJK = re.compile(r"[\u4e00-\u9fff]")
_FORM_ENDINGS = frozenset(f[-1] for f in DOSAGE_FORMS)


class EntityLinker:
    """Built once from `GraphStore.name_index()`; `link()` is pure and thread-safe."""

    def __init__(self, entries: Iterable[NameEntry], described: set[str] | None = None,
                 min_key_len: int = 2) -> None:
        import ahocorasick  # imported here: building is the only place that needs it

        self._by_id: dict[str, LinkTarget] = {}
        keys: dict[str, list[_Candidate]] = defaultdict(list)
        component_keys: set[str] = set()
        for eid, ntype, name, aliases in entries:
            entry = LinkTarget(eid, ntype, name, described is None or eid in described)
            self._by_id[eid] = entry
            forms: list[tuple[str, str, float]] = [(name, "exact", 1.0)]
            forms += [(a, "alias", 0.97) for a in aliases]
            if ntype in _DRUGLIKE:
                for base, score in [(name, 0.9), *((a, 0.85) for a in aliases)]:
                    nb = normalize_name(base)
                    for variant in {strip_dosage_form(nb), core_name(nb)}:
                        if variant != nb:
                            forms.append((variant, "variant", score))
                    # a trailing cation dropped too (瑞舒伐他汀钙片 → 瑞舒伐他汀), so the generic name is a
                    # key of the described product and a brand inside it (瑞舒) cannot cut it; scored just
                    # below the other variants, so it only fills names they do not give
                    bare = strip_salts(nb)
                    if bare not in {nb, strip_dosage_form(nb), core_name(nb)}:
                        forms.append((bare, "variant", score - 0.02))
                if not _is_brand(name, aliases):
                    component_keys |= _component_forms(name)
            for form, method, score in forms:
                key = normalize_name(form)
                if len(key) < min_key_len or len(key) > MAX_NAME_LEN or key in QUESTION_VOCABULARY:
                    continue
                if method == "variant" and len(key) < 3:
                    continue  # "太阳" from 太阳膏, "减肥" from 减肥胶囊: everyday words, not drug names
                if len(key) == 2 and not _CJK.search(key):
                    continue  # two latin letters/digits ("ct", "b1") match everywhere
                keys[key].append(_Candidate(entry, method, score))
        self._keys: dict[str, list[_Candidate]] = {k: self._rank(_symptom_reading(k, v)) for k, v in keys.items()}
        self._automaton = ahocorasick.Automaton()
        for key in self._keys:
            self._automaton.add_word(key, key)
        for word in QUESTION_VOCABULARY | CONTEXT_WORDS:  # blockers: occupy their span, link nothing
            if word not in self._keys and len(word) >= 2:
                self._automaton.add_word(word, word)
        self._automaton.make_automaton()
        # generic drug names a combination may be written from (坎地沙坦 + 氢氯噻嗪)
        self._component_keys = {k for k in component_keys if k in self._keys and len(k) >= 3}
        self._component_max = max((len(k) for k in self._component_keys), default=0)
        self._typo_index: TypoIndex | None = None
        self._typo_lock = threading.Lock()

    # -- construction helpers ----------------------------------------------------------------
    @staticmethod
    def _rank(cands: list[_Candidate]) -> list[_Candidate]:
        best: dict[str, _Candidate] = {}
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

    def __len__(self) -> int:
        return len(self._by_id)

    def entry(self, entity_id: str) -> LinkTarget | None:
        return self._by_id.get(entity_id)

    def described_named(self, name: str, type_: NodeType) -> LinkTarget | None:
        """The described entity of `type_` whose own name is `name` (no alias, no variant), if any."""
        for cand in self._keys.get(normalize_name(name), []):
            if cand.method == "exact" and cand.entry.described and cand.entry.type == type_:
                return cand.entry
        return None

    def same_ingredient(self, name: str, limit: int = 3) -> list[LinkTarget]:
        """Described drugs whose name reduces to the same ingredient ("尼麦角林片" for "尼麦角林胶囊")."""
        key = core_name(name)
        out: list[LinkTarget] = []
        for cand in self._keys.get(key, []):
            e = cand.entry
            if cand.score < 0.9:
                continue  # reached through an alias only: a brand entry, not another dosage form
            if e.described and e.type == NodeType.DRUG and normalize_name(e.name) != normalize_name(name):
                out.append(e)
        return out[:limit]

    # -- linking -----------------------------------------------------------------------------
    def link(self, text: str, prefer: Sequence[NodeType] = (), fuzzy: bool = True) -> list[LinkedEntity]:
        """Mentions in `text` that name an entity as a whole, best first."""
        return self.analyse(text, prefer, fuzzy).entities

    def analyse(self, text: str, prefer: Sequence[NodeType] = (), fuzzy: bool = True) -> Linking:
        """Whole mentions (exact, alias, variant, typo, components) and near misses of `text`.

        Linear in the text: one automaton pass, then per run a bounded amount of work."""
        norm, index = _normalize_with_map(text)
        out = Linking()
        typo_budget = [MAX_TYPO_RUNS if fuzzy else 0]
        for run in self._runs(norm):
            for group in glue(run, after=norm[run[-1].end:run[-1].end + 4]):
                self._resolve(text, norm, index, group, prefer, typo_budget, out)
        out.entities.sort(key=lambda r: (-r.score, -(r.end - r.start), r.start))
        return out

    def _runs(self, norm: str) -> list[list[Token]]:
        """Maximal runs of name-or-unknown characters, as tokens (known names longest first)."""
        spans: list[tuple[int, int, str]] = []
        for end, key in self._automaton.iter(norm):
            spans.append((end - len(key) + 1, end + 1, key))
        spans = [s for s in spans if not self._cuts_clinical_term(s, spans)]
        # spans whose best entity is described are placed first, then longest first, so a noisy
        # mention-only node ("治疗消化性溃疡") cannot swallow the disease inside it
        spans.sort(key=lambda s: (s[2] in self._keys and not self._keys[s[2]][0].entry.described,
                                  -(s[1] - s[0]), s[0]))
        owner: list[int] = [-1] * len(norm)  # -1 free, -2 separator, else index into chosen
        chosen: list[tuple[int, int, str]] = []
        for start, end, key in spans:
            if any(o != -1 for o in owner[start:end]):
                continue
            mark = len(chosen) if key in self._keys else -2
            owner[start:end] = [mark] * (end - start)
            chosen.append((start, end, key))
        runs: list[list[Token]] = []
        current: list[Token] = []
        i = 0
        while i <= len(norm):
            if i == len(norm) or owner[i] == -2 or (owner[i] == -1 and norm[i] in JOINERS):
                if current:
                    runs.append(current)
                    current = []
                i += 1
                continue
            if owner[i] >= 0 and chosen[owner[i]][2] not in _FORMS:
                start, end, key = chosen[owner[i]]
                current.append(Token(start, end, norm[start:end], key, self._is_drug(key)))
                i = end
                continue
            # unknown characters (a dosage form known as an entity, "颗粒", counts as unknown text)
            j = i
            while j < len(norm) and ((owner[j] == -1 and norm[j] not in JOINERS)
                                     or (owner[j] >= 0 and chosen[owner[j]][2] in _FORMS)):
                j += 1
            current.append(Token(i, j, norm[i:j]))
            i = j
        return runs

    def _cuts_clinical_term(self, span: tuple[int, int, str], spans: list[tuple[int, int, str]]) -> bool:
        """A product known here only by an alias whose end cuts a described disease or symptom in two
        ("儿童咳" of 儿童咳颗粒 in 儿童咳嗽): the clinical term is what was written, not the product."""
        cands = self._keys.get(span[2])
        if not cands or cands[0].method == "exact" or cands[0].entry.type not in _DRUGLIKE:
            return False
        for start, end, key in spans:
            if span[0] < start < span[1] < end and key in self._keys:
                best = self._keys[key][0]
                if best.entry.described and best.entry.type in (NodeType.DISEASE, NodeType.SYMPTOM):
                    return True
        return False

    def _is_drug(self, key: str) -> bool:
        return self._keys[key][0].entry.type in _DRUGLIKE

    def _resolve(self, text: str, norm: str, index: list[int], group: list[Token], prefer: Sequence[NodeType],
                 typo_budget: list[int], out: Linking) -> None:
        """One medical-term span: a whole link, or a near miss with suggestions, or nothing."""
        start, end = group[0].start, group[-1].end
        span = norm[start:end]
        o_start, o_end = index[start], index[end - 1] + 1
        mention = text[o_start:o_end]

        def linked(entry: LinkTarget, method: str, score: float) -> LinkedEntity:
            return LinkedEntity(id=entry.id, name=entry.name, type=entry.type.value, mention=mention,
                                score=round(score, 4), method=method, start=o_start, end=o_end)

        if span in QUALIFIER_KEYS:
            return  # 急性期, 夜间, 急性加重 (two known words): a qualifier of the question, not its topic
        if len(group) == 1 and group[0].known:
            cand = self._pick(self._keys[span], prefer)
            out.entities.append(linked(cand.entry, cand.method, cand.score * _described(cand.entry)))
            return
        knowns = [t for t in group if t.known]
        if knowns:
            whole = self._variant(span, knowns, prefer)
            if whole is not None:
                cand, factor = whole
                out.entities.append(linked(cand.entry, "variant", min(cand.score, 0.9) * factor
                                           * _described(cand.entry)))
                return
            parts = self._components(span)
            if parts:
                for entry in parts:
                    out.entities.append(linked(entry, "components", 0.9))  # one score: written order kept
                return
        elif not looks_like_a_name(span) and len(span) < MIN_TYPO_LEN:
            return
        form_typo = self._form_typo(group, prefer) if knowns else None
        if form_typo is not None:
            out.entities.append(linked(form_typo.entry, "typo", 0.8 * _described(form_typo.entry)))
            return
        typo = self._typo(span, typo_budget, alone=not knowns)
        if typo is not None:
            score, s, e, entry = typo
            o_s, o_e = index[start + s], index[start + e - 1] + 1
            out.entities.append(LinkedEntity(id=entry.id, name=entry.name, type=entry.type.value,
                                             mention=text[o_s:o_e], score=score, method="typo", start=o_s, end=o_e))
            return
        if knowns or looks_like_a_name(span):
            out.near_misses.append(NearMiss(mention=mention, start=o_start, end=o_end,
                                            suggestions=self._suggest(span, knowns)))

    def _variant(self, span: str, knowns: list[Token], prefer: Sequence[NodeType]) -> tuple[_Candidate, float] | None:
        """The span minus its dosage form / salt is exactly a known drug name or alias
        ("布洛芬片" → 布洛芬, "二甲双胍片" → 盐酸二甲双胍片, "高血压病" → 高血压)."""
        if len(knowns) == 1:
            key = knowns[0].key
            assert key is not None
            rest = span.replace(key, "", 1)
            if rest in ("病", "症", "疾病") and self._keys[key][0].entry.type == NodeType.DISEASE:
                return self._keys[key][0], 1.0
        core = strip_salts(span)
        cands = [c for c in self._keys.get(core, []) if c.entry.type in _DRUGLIKE]
        if not cands or core == span:
            return None
        form = form_suffix(span)
        if form:
            # "二甲双胍片": prefer the entity of the written form; a form the KG lacks is the same
            # ingredient with lower confidence
            written = [c for c in cands if normalize_name(c.entry.name).endswith(core + form)]
            if written:
                return self._pick(written, prefer), 1.0
            return self._pick(cands, prefer), 0.75
        return self._pick(cands, prefer), 1.0

    def _components(self, span: str) -> list[LinkTarget]:
        """"坎地沙坦氢氯噻嗪片" → [坎地沙坦, 氢氯噻嗪]: the span minus its form splits exactly into
        two or more generic drug names (a salt suffix may follow each)."""
        core = strip_salts(span)
        n = len(core)
        if n < 6 or n > MAX_COMPONENT_SPAN:
            return []
        # best[i]: a split of core[:i] into component keys (fewest parts), None if none
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            if best[i] is None:
                continue
            for j in range(i + 3, min(n, i + self._component_max) + 1):
                key = core[i:j]
                if key not in self._component_keys:
                    continue
                for k in (j, j + 1):
                    if k > n or (k == j + 1 and core[j] not in SALT_SUFFIXES):
                        continue
                    cand = [*best[i], key]  # type: ignore[misc]
                    if best[k] is None or len(cand) < len(best[k]):  # type: ignore[arg-type]
                        best[k] = cand
        parts = best[n]
        if not parts or len(parts) < 2:
            return []
        return [self._keys[p][0].entry for p in dict.fromkeys(parts)]

    def _form_typo(self, group: list[Token], prefer: Sequence[NodeType]) -> _Candidate | None:
        """A drug name followed by a misspelled dosage form, one character off ("阿莫西林胶襄" →
        阿莫西林胶囊): the graph's name with the intended form. Only when exactly one form fits."""
        if len(group) != 2 or not group[0].known or group[1].known or not group[0].drug:
            return None
        name, tail = group[0].text, group[1].text
        fits = [f for f in form_typos(tail) if (name + f) in self._keys]
        if len(fits) != 1:
            return None
        return self._pick(self._keys[name + fits[0]], prefer)

    def _typo(self, span: str, budget: list[int], alone: bool) -> tuple[float, int, int, LinkTarget] | None:
        """A pinyin-input typo of one graph name: the whole span, or (for a span of unknown
        characters) a window at its start or end whose remainder is not part of the name."""
        if budget[0] <= 0 or len(span) < MIN_TYPO_LEN:
            return None
        budget[0] -= 1
        index = self._typos()
        tries: list[tuple[int, int, bool]] = []
        if len(span) <= index.max_len + 1:
            tries.append((0, len(span), True))
        if alone:
            for length in range(min(len(span) - 1, index.max_len), MIN_TYPO_LEN - 1, -1):
                if not _glues_after(span[length:]):
                    tries.append((0, length, False))
                if not _glues_before(span[:len(span) - length]):
                    tries.append((len(span) - length, len(span), False))
        for s, e, whole in tries:
            hit = index.typo(span[s:e], whole)
            if hit is not None:
                score, key = hit
                return score, s, e, index.entries(key)[0]  # type: ignore[return-value]
        return None

    def _suggest(self, span: str, knowns: list[Token]) -> list[SuggestedEntity]:
        """Contained names (described entities, drugs and diseases first), then close spellings."""
        out: dict[str, SuggestedEntity] = {}
        contained: list[LinkTarget] = []
        for t in knowns:
            assert t.key is not None
            cands = [c.entry for c in self._keys[t.key]]
            # described entries first; a name the graph only mentions is still a real entity to offer
            contained += ([e for e in cands if e.described] or cands)[:2]
        contained.sort(key=lambda e: -TYPE_PRIORITY.get(e.type, 0))
        for e in contained:
            out.setdefault(e.id, SuggestedEntity(id=e.id, name=e.name, type=e.type.value, why=WHY_CONTAINED))
        index = self._typos()
        for probe in dict.fromkeys((span, strip_salts(span))):
            for e in index.close(probe):
                out.setdefault(e.id, SuggestedEntity(id=e.id, name=e.name, type=e.type.value, why=WHY_CLOSE))
        return list(out.values())[:MAX_SUGGESTIONS]

    @staticmethod
    def _pick(cands: list[_Candidate], prefer: Sequence[NodeType]) -> _Candidate:
        if prefer:
            top = cands[0].score
            for c in cands:
                if c.score >= top - 0.05 and c.entry.type in prefer:
                    return c
        return cands[0]

    # -- typo index ------------------------------------------------------------------------------
    def _typos(self) -> TypoIndex:
        if self._typo_index is None:
            with self._typo_lock:
                if self._typo_index is None:
                    self._typo_index = TypoIndex(
                        (normalize_name(e.name), e) for e in self._by_id.values()
                        if e.described and e.type in (NodeType.DRUG, NodeType.DISEASE))
        return self._typo_index

    def warm_up(self) -> None:
        """Build the typo index (and load pypinyin) now rather than on the first misspelled question."""
        from retrieval.linking.typos import sounds_same

        self._typos()
        sounds_same("预热", "预热")


#: Last characters of a word that names a complaint (喉痛, 扭伤, 痰喘): such a word is the symptom,
#: also when the graph holds it only as a mention, never a product named after it.
_COMPLAINT_ENDS = frozenset("痛痒咳嗽喘肿伤疹晕吐")
#: ... unless it says what a medicine does (活血止痛, 化痰平喘: action verbs of TCM efficacy phrases).
_ACTION_CHARS = frozenset(TCM_ACTION_VERBS + "除镇定")
_CLINICAL = (NodeType.SYMPTOM, NodeType.DISEASE)


def _symptom_reading(key: str, cands: list[_Candidate]) -> list[_Candidate]:
    """A drug's alias or form-less variant that is a symptom or disease name (咳嗽 for 咳嗽糖浆, 喉痛
    for 喉痛片) never reads as the product: the symptom reading stays, the drug candidate is dropped
    for this key only (the alias stays in the graph and on the card). A clinical node counts when a
    source describes it, or when the word names a complaint (a mention-only 依达拉奉 "symptom" is an
    extraction slip, and 止泻/定喘 say what a medicine does); a key that is also a drug's own name
    keeps every reading."""
    clinical = [c for c in cands if c.entry.type in _CLINICAL and c.method in ("exact", "alias")
                and not c.entry.name.endswith(("...", "…"))]  # a source's cut-off name is no reading
    drugs = [c for c in cands if c.entry.type in _DRUGLIKE]
    if not clinical or not drugs or any(c.method == "exact" for c in drugs):
        return cands  # no clash, or the word is a drug's own name too (维生素B12)
    if not any(c.entry.described for c in clinical) and \
            not (key[-1:] in _COMPLAINT_ENDS and not set(key) & _ACTION_CHARS):
        return cands
    return [c for c in cands if not (c.entry.type in _DRUGLIKE and c.method != "exact")]


def _described(entry: LinkTarget) -> float:
    return 1.0 if entry.described else 0.75


def _glues_after(rest: str) -> bool:
    """Would `rest`, written right after a name, make it part of a longer name?"""
    return bool(rest) and (ends_with_form(rest) or bool(disease_head(rest)) or rest in SALT_SUFFIXES)


def _glues_before(rest: str) -> bool:
    return bool(rest) and (rest[-1] in MODIFIER_ENDS or len(rest) == 1)


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


