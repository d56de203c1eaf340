"""Entity linking: the KG entity a question names *as a whole*, or a near miss with suggestions.

An Aho-Corasick automaton holds every normalized surface form (names, aliases, and the
dosage-form/salt-stripped variants of drug names: `retrieval.linking.keys`, scored by
`retrieval.linking.scores`); matches are resolved longest-first without overlap.
`retrieval.linking.mentions` then cuts the question into medical-term spans; a span links only
when it is exactly a known name (`exact`, `alias`), a known name with its dosage form or salt
removed or added (`variant`), a pinyin-input typo of one (`typo`, via `retrieval.linking.typos`), or a
combination that splits exactly into generic drug names (`components`). A known name that covers
only part of a span (头孢呋辛 in 头孢呋辛坦丁片, 美林 in 美林洛芬片) is never linked: the span is a
near miss, and the names it contains and close spellings become suggestions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kg.normalize import DOSAGE_FORMS, SALT_SUFFIXES, core_name, normalize_name
from kg.schema import TYPE_PRIORITY, NameEntry, NodeType
from retrieval.linking import scores
from retrieval.linking.keys import (
    DRUGLIKE,
    MIN_COMPONENT_LEN,
    QUESTION_VOCABULARY,
    Candidate,
    LinkTarget,
    name_keys,
)
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

WHY_CONTAINED = "名称中包含的已知条目"
WHY_CLOSE = "拼写相近"
MAX_SUGGESTIONS = 5
#: Spans of unknown characters tried as typos per text: bounds the work on long junk input.
MAX_TYPO_RUNS = 64
MAX_COMPONENT_SPAN = 40
#: A combination name shorter than this (without salt) cannot hold two generics.
MIN_COMBINATION_LEN = 6
#: Characters after a run that may still glue onto its last name (a dosage form, a salt, a disease head).
GLUE_LOOKAHEAD = 4
#: Entities offered per name a near miss contains (described ones first).
CONTAINED_PER_NAME = 2
_FORMS = frozenset(DOSAGE_FORMS)


@dataclass
class Linking:
    """What one text names: whole mentions (best first) and near misses."""

    entities: list[LinkedEntity] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)


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


class EntityLinker:
    """Built once from `GraphStore.name_index()`; `link()` is pure and thread-safe."""

    def __init__(self, entries: Iterable[NameEntry], described: set[str] | None = None,
                 min_key_len: int = 2) -> None:
        import ahocorasick  # imported here: building is the only place that needs it

        tables = name_keys(entries, described, min_key_len)
        self._by_id: dict[str, LinkTarget] = tables.by_id
        self._keys: dict[str, list[Candidate]] = tables.keys
        self._automaton = ahocorasick.Automaton()
        for key in self._keys:
            self._automaton.add_word(key, key)
        for word in QUESTION_VOCABULARY | CONTEXT_WORDS:  # blockers: occupy their span, link nothing
            if word not in self._keys and len(word) >= 2:
                self._automaton.add_word(word, word)
        self._automaton.make_automaton()
        self._component_keys = tables.component_keys  # generics a combination may be written from
        self._component_max = max((len(k) for k in self._component_keys), default=0)
        self._typo_index: TypoIndex | None = None
        self._typo_lock = threading.Lock()

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
            if cand.score < scores.NAME_VARIANT:
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
            for group in glue(run, after=norm[run[-1].end:run[-1].end + GLUE_LOOKAHEAD]):
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
        if not cands or cands[0].method == "exact" or cands[0].entry.type not in DRUGLIKE:
            return False
        for start, end, key in spans:
            if span[0] < start < span[1] < end and key in self._keys:
                best = self._keys[key][0]
                if best.entry.described and best.entry.type in (NodeType.DISEASE, NodeType.SYMPTOM):
                    return True
        return False

    def _is_drug(self, key: str) -> bool:
        return self._keys[key][0].entry.type in DRUGLIKE

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
                out.entities.append(linked(cand.entry, "variant", min(cand.score, scores.NAME_VARIANT) * factor
                                           * _described(cand.entry)))
                return
            parts = self._components(span)
            if parts:
                for entry in parts:
                    out.entities.append(linked(entry, "components", scores.COMPONENTS))
                return
        elif not looks_like_a_name(span) and len(span) < MIN_TYPO_LEN:
            return
        form_typo = self._form_typo(group, prefer) if knowns else None
        if form_typo is not None:
            out.entities.append(linked(form_typo.entry, "typo", scores.FORM_TYPO * _described(form_typo.entry)))
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

    def _variant(self, span: str, knowns: list[Token], prefer: Sequence[NodeType]) -> tuple[Candidate, float] | None:
        """The span minus its dosage form / salt is exactly a known drug name or alias
        ("布洛芬片" → 布洛芬, "二甲双胍片" → 盐酸二甲双胍片, "高血压病" → 高血压)."""
        if len(knowns) == 1:
            key = knowns[0].key
            assert key is not None
            rest = span.replace(key, "", 1)
            if rest in ("病", "症", "疾病") and self._keys[key][0].entry.type == NodeType.DISEASE:
                return self._keys[key][0], scores.EXACT
        core = strip_salts(span)
        cands = [c for c in self._keys.get(core, []) if c.entry.type in DRUGLIKE]
        if not cands or core == span:
            return None
        form = form_suffix(span)
        if form:
            # "二甲双胍片": prefer the entity of the written form; a form the KG lacks is the same
            # ingredient with lower confidence
            written = [c for c in cands if normalize_name(c.entry.name).endswith(core + form)]
            if written:
                return self._pick(written, prefer), scores.EXACT
            return self._pick(cands, prefer), scores.MISSING_FORM
        return self._pick(cands, prefer), scores.EXACT

    def _components(self, span: str) -> list[LinkTarget]:
        """"坎地沙坦氢氯噻嗪片" → [坎地沙坦, 氢氯噻嗪]: the span minus its form splits exactly into
        two or more generic drug names (a salt suffix may follow each)."""
        core = strip_salts(span)
        n = len(core)
        if n < MIN_COMBINATION_LEN or n > MAX_COMPONENT_SPAN:
            return []
        # best[i]: a split of core[:i] into component keys (fewest parts), None if none
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(n):
            if best[i] is None:
                continue
            for j in range(i + MIN_COMPONENT_LEN, min(n, i + self._component_max) + 1):
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

    def _form_typo(self, group: list[Token], prefer: Sequence[NodeType]) -> Candidate | None:
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
            contained += ([e for e in cands if e.described] or cands)[:CONTAINED_PER_NAME]
        contained.sort(key=lambda e: -TYPE_PRIORITY.get(e.type, 0))
        for e in contained:
            out.setdefault(e.id, SuggestedEntity(id=e.id, name=e.name, type=e.type.value, why=WHY_CONTAINED))
        index = self._typos()
        for probe in dict.fromkeys((span, strip_salts(span))):
            for e in index.close(probe):
                out.setdefault(e.id, SuggestedEntity(id=e.id, name=e.name, type=e.type.value, why=WHY_CLOSE))
        return list(out.values())[:MAX_SUGGESTIONS]

    @staticmethod
    def _pick(cands: list[Candidate], prefer: Sequence[NodeType]) -> Candidate:
        if prefer:
            top = cands[0].score
            for c in cands:
                if c.score >= top - scores.PREFER_MARGIN and c.entry.type in prefer:
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


def _described(entry: LinkTarget) -> float:
    return scores.EXACT if entry.described else scores.UNDESCRIBED


def _glues_after(rest: str) -> bool:
    """Would `rest`, written right after a name, make it part of a longer name?"""
    return bool(rest) and (ends_with_form(rest) or bool(disease_head(rest)) or rest in SALT_SUFFIXES)


def _glues_before(rest: str) -> bool:
    return bool(rest) and (rest[-1] in MODIFIER_ENDS or len(rest) == 1)
