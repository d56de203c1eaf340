"""Entity linking: every KG entity a question mentions, by name, alias, variant or small typo.

An Aho-Corasick automaton holds every normalized surface form (names, aliases, and the
dosage-form/salt-stripped variants of drug names); matches are resolved longest-first without
overlap. A fuzzy pass (rapidfuzz over a character-bigram candidate set) only runs when exact
matching found no confident entity, and is strict on purpose: an unknown drug must come back
as "nothing found", not as a look-alike.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kg.normalize import DOSAGE_FORMS, MAX_NAME_LEN, core_name, normalize_name, strip_dosage_form
from kg.schema import NodeType
from retrieval.types import LinkedEntity

#: Words that are entity names somewhere in a noisy KG but, inside a question, are just the
#: vocabulary of asking. They never produce a link on their own.
QUESTION_VOCABULARY: frozenset[str] = frozenset(
    normalize_name(w)
    for w in """
    适应症 适应证 适应病症 主治 功能主治 功效 作用 用途 副作用 不良反应 禁忌 禁忌症 禁忌证 注意事项 用法 用量 用法用量
    剂量 相互作用 成份 成分 症状 临床表现 表现 检查 化验 检验 治疗 药物 药品 用药 科室 病因 原因 预防 并发症 饮食
    食物 食疗 疾病 病 药 医生 医院 患者 病人 问题 情况 什么 哪些 怎么 如何 为什么 可以 能否 是否 介绍 简介 概述
    感觉 反应 身体 儿童 孕妇 老人 老年人 小孩 宝宝 男性 女性 不适 疼痛 治疗方法 方法 影响 危害 好处 效果 能治
    一下 一般 需要 应该 注意 常见 主要 其他 以及 还有 哪个 这个 那个 有没有 吃什么 什么药 这种药 这个药 该药 此药
    正常 异常 原理 机制 诊断 鉴别 分类 类型 区别 作用机制 说明书 说明 发作 复发 护理 预后 传染 传播
    用于 引起 导致 出现 发生 患有 得了 怀疑 确诊 服用 使用 吃了 用了 开了 不良 情况下
    """.split()
)

#: Characters that may touch a mention without making it part of a longer unknown name.
_JOINERS = set("的是有能吃用和与跟及得了患治疗会什么哪怎可以请问我你他她它这那对于关服该应在后前时中要想让给被把就都也还又或者及其之呢吗吧啊呀嘛么？?，,。.！!、 ：:；;（）()“”\"'")


@dataclass(frozen=True, slots=True)
class NameEntry:
    id: str
    type: NodeType
    name: str
    described: bool = True


@dataclass(frozen=True, slots=True)
class _Candidate:
    entry: NameEntry
    method: str  # exact | alias | variant
    score: float


def _normalize_with_map(text: str) -> tuple[str, list[int]]:
    """normalize_name applied per character, keeping a map back to original offsets."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
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

    def __init__(self, entries: Iterable[tuple[str, str, str, Sequence[str]]], described: set[str] | None = None,
                 min_key_len: int = 2) -> None:
        import ahocorasick  # imported here: building is the only place that needs it

        self._by_id: dict[str, NameEntry] = {}
        keys: dict[str, list[_Candidate]] = defaultdict(list)
        for eid, etype, name, aliases in entries:
            try:
                ntype = NodeType(etype)
            except ValueError:
                ntype = NodeType.CONCEPT
            entry = NameEntry(eid, ntype, name, described is None or eid in described)
            self._by_id[eid] = entry
            forms: list[tuple[str, str, float]] = [(name, "exact", 1.0)]
            forms += [(a, "alias", 0.97) for a in aliases]
            if ntype in (NodeType.DRUG, NodeType.INGREDIENT):
                for base, score in [(name, 0.9), *((a, 0.85) for a in aliases)]:
                    nb = normalize_name(base)
                    for variant in {strip_dosage_form(nb), core_name(nb)}:
                        if variant != nb:
                            forms.append((variant, "variant", score))
            for form, method, score in forms:
                key = normalize_name(form)
                if len(key) < min_key_len or len(key) > MAX_NAME_LEN or key in QUESTION_VOCABULARY:
                    continue
                if method == "variant" and len(key) < 3:
                    continue  # "太阳" from 太阳膏, "减肥" from 减肥胶囊: everyday words, not drug names
                if len(key) == 2 and not _CJK.search(key):
                    continue  # two latin letters/digits ("ct", "b1") match everywhere
                keys[key].append(_Candidate(entry, method, score))
        self._keys: dict[str, list[_Candidate]] = {k: self._rank(v) for k, v in keys.items()}
        self._automaton = ahocorasick.Automaton()
        for key in self._keys:
            self._automaton.add_word(key, key)
        for word in QUESTION_VOCABULARY:  # blockers: occupy their span, link nothing
            if word not in self._keys and len(word) >= 2:
                self._automaton.add_word(word, word)
        self._automaton.make_automaton()
        self._fuzzy_names: dict[str, list[NameEntry]] | None = None
        self._bigrams: dict[str, set[str]] | None = None

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
                                                    -_TYPE_RANK.get(c.entry.type, 0),
                                                    c.entry.name[-1:] not in _FORM_ENDINGS,  # generic first
                                                    len(c.entry.name), c.entry.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def entry(self, entity_id: str) -> NameEntry | None:
        return self._by_id.get(entity_id)

    def same_ingredient(self, name: str, limit: int = 3) -> list[NameEntry]:
        """Described drugs whose name reduces to the same ingredient ("尼麦角林片" for "尼麦角林胶囊")."""
        key = core_name(name)
        out: list[NameEntry] = []
        for cand in self._keys.get(key, []):
            e = cand.entry
            if cand.score < 0.9:
                continue  # reached through an alias only: a brand entry, not another dosage form
            if e.described and e.type == NodeType.DRUG and normalize_name(e.name) != normalize_name(name):
                out.append(e)
        return out[:limit]

    # -- linking -----------------------------------------------------------------------------
    def link(self, text: str, prefer: Sequence[NodeType] = (), fuzzy: bool = True) -> list[LinkedEntity]:
        """Mentions in `text`, best first. `prefer` breaks ties between same-name entities."""
        norm, index = _normalize_with_map(text)
        spans: list[tuple[int, int, str]] = []
        for end, key in self._automaton.iter(norm):
            spans.append((end - len(key) + 1, end + 1, key))
        # spans whose best entity is described are placed first, then longest first, so a noisy
        # mention-only node ("治疗消化性溃疡") cannot swallow the disease inside it
        spans.sort(key=lambda s: (s[2] in self._keys and not self._keys[s[2]][0].entry.described,
                                  -(s[1] - s[0]), s[0]))
        taken = [False] * len(norm)
        chosen: list[tuple[int, int, str]] = []
        for start, end, key in spans:
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            chosen.append((start, end, key))
        chosen.sort()
        results: list[LinkedEntity] = []
        for start, end, key in chosen:
            if key not in self._keys:
                continue  # question vocabulary
            cands = self._keys[key]
            form = _form_after(norm, end)
            if form and cands[0].method == "variant":
                # "二甲双胍片": the question names the dosage form too — prefer that form, and
                # treat a form the KG lacks as the same ingredient with lower confidence
                same_form = [c for c in cands if normalize_name(c.entry.name).endswith(key + form)]
                if same_form:
                    cands, end = same_form, end + len(form)
                    taken[end - len(form):end] = [True] * len(form)
                    factor = 1.0
                else:
                    factor = 0.75
            else:
                factor = self._containment(norm, start, end)
            cand = self._pick(cands, prefer)
            score = cand.score * factor * (1.0 if cand.entry.described else 0.75)
            o_start, o_end = index[start], index[end - 1] + 1
            results.append(LinkedEntity(id=cand.entry.id, name=cand.entry.name, type=cand.entry.type.value,
                                        mention=text[o_start:o_end], score=round(score, 4), method=cand.method,
                                        start=o_start, end=o_end))
        if fuzzy and not any(r.score >= 0.8 and r.type in (NodeType.DRUG, NodeType.DISEASE) for r in results):
            results += self._fuzzy(text, norm, taken)
        return sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start))

    @staticmethod
    def _pick(cands: list[_Candidate], prefer: Sequence[NodeType]) -> _Candidate:
        if prefer:
            top = cands[0].score
            for c in cands:
                if c.score >= top - 0.05 and c.entry.type in prefer:
                    return c
        return cands[0]

    @staticmethod
    def _containment(norm: str, start: int, end: int) -> float:
        """Penalty when the mention is glued to a following dosage form or 病/症 — the question
        then names a longer entity the KG does not have (布洛芬 in 布洛芬凝露片)."""
        glued = 0
        if end < len(norm) and (_form_after(norm, end) or norm[end] in "病症炎癌瘤"):
            glued = 1
        return (1.0, 0.5)[glued]

    # -- fuzzy ---------------------------------------------------------------------------------
    def _ensure_fuzzy(self) -> None:
        if self._bigrams is not None:
            return
        names: dict[str, list[NameEntry]] = defaultdict(list)
        bigrams: dict[str, set[str]] = defaultdict(set)
        for entry in self._by_id.values():
            if not entry.described or entry.type not in (NodeType.DRUG, NodeType.DISEASE):
                continue
            key = normalize_name(entry.name)
            if len(key) < 4:
                continue  # one edit in a 3-character name is a different name
            names[key].append(entry)
            for i in range(len(key) - 1):
                bigrams[key[i:i + 2]].add(key)
        self._fuzzy_names, self._bigrams = dict(names), dict(bigrams)

    def _fuzzy(self, text: str, norm: str, taken: list[bool]) -> list[LinkedEntity]:
        """Typos only, the way they happen with pinyin input: substitutions must sound the same
        (非布斯他片 → 非布司他片); a dropped or extra character is accepted only in long names.
        A name that merely looks alike (瑞格列汀片 vs 瑞格列奈片) is a different drug: not linked."""
        from rapidfuzz.distance import Levenshtein

        self._ensure_fuzzy()
        assert self._bigrams is not None and self._fuzzy_names is not None
        best: tuple[float, int, int, NameEntry] | None = None
        for seg_start, seg in _segments(norm):
            if len(seg) < 4:
                continue
            votes: dict[str, int] = defaultdict(int)
            for i in range(len(seg) - 1):
                for key in self._bigrams.get(seg[i:i + 2], ()):
                    votes[key] += 1
            for key, v in votes.items():
                if v < max(1, len(key) - 3):
                    continue
                for sub_start in range(0, max(1, len(seg) - len(key) + 2)):
                    for length in (len(key) - 1, len(key), len(key) + 1):
                        sub = seg[sub_start:sub_start + length]
                        if len(sub) < 4 or sub == key:
                            continue
                        if Levenshtein.distance(sub, key, score_cutoff=1) != 1:
                            continue
                        if len(sub) == len(key):
                            if not _sounds_same(sub, key):
                                continue
                            score = 0.8
                        elif len(key) >= 6 and sub == seg:
                            score = 0.7  # the whole written name is the graph's name ± one character
                        else:
                            continue
                        s, e = seg_start + sub_start, seg_start + sub_start + len(sub)
                        entries = self._fuzzy_names[key]
                        if len(entries) == 1 and (best is None or score > best[0]
                                                  or (score == best[0] and e - s > best[2] - best[1])):
                            best = (score, s, e, entries[0])
        if best is None:
            return []
        score, s, e, entry = best
        _, index = _normalize_with_map(text)
        o_start, o_end = index[s], index[e - 1] + 1
        return [LinkedEntity(id=entry.id, name=entry.name, type=entry.type.value, mention=text[o_start:o_end],
                             score=round(score, 4), method="fuzzy", start=o_start, end=o_end)]


def _pinyin_key(syllable: str) -> str:
    """Fold the confusions of pinyin typing: zh/z, ch/c, sh/s, -ng/-n, l/n."""
    s = syllable
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if s.startswith(a):
            s = b + s[2:]
    if s.endswith("ng"):
        s = s[:-1]
    return "n" + s[1:] if s.startswith("l") else s


def _sounds_same(a: str, b: str) -> bool:
    from pypinyin import lazy_pinyin

    pa, pb = lazy_pinyin(a), lazy_pinyin(b)
    return len(pa) == len(pb) and all(_pinyin_key(x) == _pinyin_key(y) for x, y in zip(pa, pb, strict=True))


def _form_after(norm: str, end: int) -> str:
    """The dosage form the text continues with at `end` ("片" in "二甲双胍片怎么吃"), or ''."""
    tail = norm[end:end + 6]
    for form in DOSAGE_FORMS:  # longest first
        if tail.startswith(form):
            return form
    return ""


def _segments(norm: str) -> Iterable[tuple[int, str]]:
    """Maximal runs of non-separator characters, with question vocabulary cut out."""
    for m in re.finditer(r"[^|]+", norm):
        seg, base = m.group(), m.start()
        # cut at the first question word so "非布斯他片的适应症" yields "非布斯他片"
        cut = len(seg)
        for w in ("的", "有什么", "是什么", "能治", "怎么", "有哪些", "吃什么", "需要", "可以", "会不会", "用于"):
            pos = seg.find(w)
            if 0 < pos < cut:
                cut = pos
        yield base, seg[:cut]
        if cut < len(seg):
            yield base + cut, seg[cut:]


_TYPE_RANK = {NodeType.DISEASE: 7, NodeType.DRUG: 6, NodeType.SYMPTOM: 5, NodeType.CHECK: 4,
              NodeType.INGREDIENT: 4, NodeType.FOOD: 3, NodeType.DEPARTMENT: 3, NodeType.CATEGORY: 2,
              NodeType.CAUSE: 1, NodeType.CONCEPT: 0}
