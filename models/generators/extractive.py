"""The default generator: a fluent Chinese answer composed from the evidence itself, no LLM.

Every sentence it writes restates one evidence item and cites it, so it is exact by
construction; the citation check downstream still verifies it like any other generator.
The direct answer comes first: sentences that match the question's qualifier (孕妇, 儿童, 剂量 …),
then ranked lists cut to their top items ("等N项"), then prose clipped to its first sentences
with a pointer to the rest of the cited evidence, then the safety note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from kg.topics import TOPIC_KEYS, Topic
from kg.vocabulary import SAFETY_FIELDS, field_family
from models.generators.base import GenerationRequest, Generator
from models.generators.focus import Qualifier, clip, is_fee, qualifiers, select, sentences
from retrieval.intents import Trait, has_trait
from retrieval.pairs import TABLE_ONLY_FIELDS
from retrieval.types import Evidence, EvidenceItem

#: How many list items an answer shows; the evidence keeps the full ranked list and the same N.
TOP_ITEMS = 8
SAFETY_TOP = 5
MIN_STRONG = 2
MIN_CUT = 4  # short lists (科室) are shown whole
#: Items a drug's indication list shows at least, corroborated ones first.
MIN_DRUG_ITEMS = 6
#: A drug's indication list up to this long is listed whole (less its weak items)
SHOW_WHOLE = 10
#: Statements that are the reverse reading of a disease page's drug list (or a herb's 主治 list):
#: alone they are no evidence of a drug's indication.
REVERSE_ONLY = frozenset({"39health:drug", "xywy:common_drug", "xywy:recommand_drug", "cmekg:相关药物", "cmekg:主治"})
#: Corroborated items of the asked list shown after the top ones (the rest stays in the evidence).
MORE_ITEMS = 24
#: Characters of a prose text an answer quotes before pointing to the rest of the evidence.
PROSE_CHARS = 120
FOCUS_CHARS = 160
FOLD = "详见证据"
#: the priority `_pieces` gives its own fold pointer: merged into the one 详见证据 sentence at the end
FOLD_PIECE = 3
#: Characters an answer says before pointing to the rest of its evidence: the bottom line first, in
#: whole sentences; the card and the evidence hold the rest (the first section is always said whole).
ANSWER_CHARS = 350
CLOSING = "以上内容来自知识库，请结合临床判断并以药品说明书为准。"
_MARK = re.compile(r"\[(\d+)\]")
_COUNT = re.compile(r"等\d+项$")
LIST_PROSE = TOPIC_KEYS[Topic.INDICATION]
#: Evidence fields read after the list they qualify, not pulled first by the question's qualifier.
AFTER_LIST = "人群用药"
#: Evidence fields said first and whole: a verdict for the patient asked about.
FIRST = "用药结论"


class _Said(NamedTuple):
    """One sentence to say: a heading, its names (a list) or its prose body, the evidence it cites."""

    head: str
    names: list[str]
    body: str
    indices: list[int]
    entity_id: str


def _merge_same_heading(items: list[Evidence]) -> list[_Said]:
    """Items that share a heading (one relation from several datasets) become one sentence listing
    the union and citing every source."""
    out: list[_Said] = []
    where: dict[tuple[str, str], int] = {}
    for ev in items:
        listy = _listy(ev)
        key = (ev.entity_id, field_family(ev.field) or ev.heading)
        if listy and key in where:
            said = out[where[key]]
            merged = said.names + [x for x in ev.names if x not in said.names]
            out[where[key]] = said._replace(names=merged, indices=[*said.indices, ev.index])
            continue
        if listy:
            where[key] = len(out)
        out.append(_Said(ev.heading, list(ev.names) if listy else [], "" if listy else ev.body,
                         [ev.index], ev.entity_id))
    return out


def _listy(ev: Evidence) -> bool:
    """A ranked list the answer cuts to its top items (a list shown by class is said whole)."""
    return ev.origin == "kg" and bool(ev.target_name) and bool(ev.heading) and bool(ev.names)


def _marks(indices: list[int]) -> str:
    return "".join(f"[{i}]" for i in indices)


def _list_body(listed: list[str], question: str, top: int, strong: int = 0) -> str:
    """Top items of a ranked list, items the question names first, and "等N项" for the rest. When at
    least MIN_STRONG leading items are corroborated (`strong`, from the evidence), only those are shown."""
    names = _unique([n for n in listed if n])
    named = [n for n in names if len(n) >= 2 and n in question]
    ordered = named + [n for n in names if n not in named]
    if strong >= MIN_STRONG and len(names) > MIN_CUT:
        top = min(top, strong + len(named))
    shown = ordered[:top]
    more = f"等{len(names)}项" if len(names) > len(shown) else ""
    return "、".join(shown) + more


def _unique(names: list[str]) -> list[str]:
    """Items once each: a repeat, or one written with other separators ("恶心，呕吐" beside 恶心 and
    呕吐), is left out."""
    seen: set[str] = set()
    out: list[str] = []
    for n in names:
        parts = [p for p in re.split(r"[，,；;/]", n) if p]
        key = re.sub(r"\s+", "", n)
        if key in seen or (len(parts) > 1 and all(p in seen for p in parts)):
            continue
        seen.add(key)
        out.append(n)
    return out


def _cited(items: str, marks: str) -> str:
    """'A、B等9项' + '[1]' → 'A、B[1]等9项': the marker closes the listed items, so the count never
    reads as part of the last item."""
    m = _COUNT.search(items)
    return f"{items[:m.start()]}{marks}{m.group()}" if m else f"{items}{marks}"


def _weak(item: EvidenceItem) -> bool:
    """A list item a drug's answer does not show: a clause fragment, an efficacy phrase
    (retrieval.evidence.noise), or one weak statement alone."""
    return item.support == 0 or item.flag == "tcm_action" or (item.support <= 1 and set(item.sources) <= REVERSE_ONLY)


def _is_safety(ev: Evidence) -> bool:
    return any(ev.field.startswith(f) for f in SAFETY_FIELDS)


#: Subjects whose asked list continues after the top items ("其余还有…") with its further reliable
#: items (corroborated, or from a curated list: Evidence.reliable); a drug's extracted lists do not.
CONTINUED_TYPES = frozenset({"Disease", "Symptom"})


class ExtractiveGenerator(Generator):
    name = "extractive"
    local = True

    def generate(self, request: GenerationRequest) -> str:
        return "".join(self.stream(request))

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """The answer's sections within ANSWER_CHARS: the first (the bottom line) always, then the
        direct answer's further sections, the safety note, then supplementary passages, as long as
        each fits whole; what does not fit is pointed to as 详见证据[n]."""
        pieces = list(self._pieces(request))
        if not pieces:
            return
        size = 0
        kept: list[tuple[bool, int, str]] = []
        rest: list[int] = []
        order = sorted(range(len(pieces)), key=lambda i: (i > 0, pieces[i][0]))
        for i in order:
            kind, text = pieces[i]
            n = len(_MARK.sub("", text))
            if kind == FOLD_PIECE or (kept and size + n > ANSWER_CHARS):
                rest += [int(m) for m in _MARK.findall(text)]
                continue
            kept.append((kind == 2, i, text))
            size += n
        for _, _, text in sorted(kept):  # in their order, supplementary passages after the safety note
            yield text
        if rest:
            yield f"{FOLD}{_marks(list(dict.fromkeys(rest)))}。"
        yield CLOSING

    def _pieces(self, request: GenerationRequest) -> Iterator[tuple[int, str]]:
        """(priority, sentence): 0 the direct answer, 1 the safety note, 2 supplementary passages,
        3 a fold pointer."""
        evidence = request.evidence
        if not evidence:
            return
        intent = request.intent.name if request.intent else "overview"
        question = request.question
        asked = question
        for ent in request.entities[:1]:  # 小儿砷中毒 names a disease, not a population
            asked = asked.replace(ent.mention, " ") if ent.mention else asked
        quals = qualifiers(asked)
        kg = [e for e in evidence if e.origin == "kg"]
        passages = [e for e in evidence if e.origin != "kg"]
        answer_items = [e for e in kg if not (has_trait(intent, Trait.SAFETY_NOTE) and _is_safety(e))]
        safety = [e for e in kg if has_trait(intent, Trait.SAFETY_NOTE) and _is_safety(e)]

        focused: set[int] = set()
        whole: set[int] = set()
        for ev in kg:  # retrieval's verdict on "may this patient take it" leads (retrieval.safety.patient)
            if ev.field.startswith(FIRST) and ev.heading:
                whole.add(ev.index)
                yield 0, f"{ev.text}[{ev.index}]。"
        # the sentences that answer the question's qualifier, before anything else — unless retrieval
        # already answered the population (a filtered drug list and its note: retrieval.safety.patient)
        if quals and not any(e.field.startswith(AFTER_LIST) for e in kg):
            for piece, index in self._focused([*kg, *passages], quals):
                focused.add(index)
                yield 0, piece
        listy = {e.index for e in answer_items if _listy(e)}
        previous = answer_items[0].entity_id if answer_items else ""
        main_id = previous
        parallel = has_trait(intent, Trait.PARALLEL)  # entities side by side: no "此外"
        folded: list[int] = []
        strong = {e.index: int(e.score) for e in answer_items if _listy(e)}
        reliable = {e.index: e.reliable for e in answer_items}
        fields = {e.index: e.field for e in answer_items}
        grouped = {e.index for e in answer_items if any(i.group for i in e.items)}
        ev_field = fields.__getitem__
        # an indication text is the source the ranked indication list is checked against: with the
        # list in the answer, the text itself is folded (its clauses are not items)
        listed = intent == "indication" and any(_listy(e) and field_family(e.field) for e in answer_items)
        for head, names, body, indices, entity_id in _merge_same_heading(answer_items):
            lead = "此外，" if entity_id != previous and not parallel else ""
            previous = entity_id
            if indices[0] in listy:
                # indication lists carry the extraction noise: there only corroborated items lead
                field = next(e.field for e in answer_items if e.index == indices[0])
                cut = strong.get(indices[0], 0) if len(indices) == 1 and field_family(field) else 0
                rest = [n for n in names if n]
                ev_type = next(e.entity_type for e in answer_items if e.index == indices[0])
                top = TOP_ITEMS
                if ev_type == "Drug" and field_family(field):
                    # a drug's own indications (retrieval.evidence.noise has put generic and contradicted ones
                    # last): a short list whole, a long one its corroborated items and at least
                    # MIN_DRUG_ITEMS; never a clause fragment (用于…) or an item only a disease page's
                    # drug list states (the reverse reading: 39health 上皮样囊肿 → 蛇胆陈皮片)
                    weak = {i.name for e in answer_items if e.index in indices for i in e.items if _weak(i)}
                    kept = [n for n in rest if n not in weak]
                    names = kept + [n for n in rest if n in weak]
                    if len(rest) <= SHOW_WHOLE:
                        cut, top = len(kept), SHOW_WHOLE
                    else:
                        cut = max(cut, min(MIN_DRUG_ITEMS, len(kept)))
                yield 0, f"{lead}{head}包括：{_cited(_list_body(names, question, top, cut), _marks(indices))}。"
                # a drug's lists continue only with further *corroborated* items (the rest stay in the
                # evidence); a disease's asked list (symptoms, checks, drugs) continues with its next items
                strong_only = cut >= MIN_STRONG and len(rest) > MIN_CUT
                more = (rest[TOP_ITEMS:cut] if strong_only
                        else rest[TOP_ITEMS:reliable[indices[0]]] if ev_type in CONTINUED_TYPES else [])[:MORE_ITEMS]
                if entity_id != main_id:
                    more = []
                if more:  # further corroborated items of the asked list, after the direct answer
                    yield 0, f"其余还有：{'、'.join(more)}{_marks(indices)}。"
                continue
            if indices[0] in whole:
                continue
            if indices[0] in focused or (listed and ev_field(indices[0]).startswith(LIST_PROSE)) or \
                    ev_field(indices[0]) in TABLE_ONLY_FIELDS:  # the comparison table shows these rows
                folded += indices  # said already, or summarized by the ranked list above
                continue
            if indices[0] in grouped:  # drugs by class (retrieval.evidence.salience): already short, said whole
                yield 0, f"{lead}{head}：{body}{_marks(indices)}。" if head else f"{lead}{body}{_marks(indices)}。"
                continue
            text, cut = clip([s for s in sentences(body)], PROSE_CHARS)
            if not text:
                if not is_fee(body) and body.strip():
                    folded += indices
                continue
            yield 0, f"{lead}{head}：{text}{_marks(indices)}。" if head else f"{lead}{text}{_marks(indices)}。"
            if cut:
                folded += indices
        bodies = [e.text for e in kg]
        for ev in passages[:3]:
            body = ev.body
            if any((body or ev.text)[:40] in b for b in bodies):
                continue  # the same text is already cited from the graph
            text, _ = clip(sentences(body), PROSE_CHARS)
            if text:
                yield 2, f"补充资料：{ev.heading + '：' if ev.heading else ''}{text}[{ev.index}]。"
        if folded:
            yield FOLD_PIECE, f"{FOLD}{_marks(list(dict.fromkeys(folded)))}。"
        if safety:
            for i, (head, names, body, indices, _) in enumerate(_merge_same_heading(safety)):
                if indices[0] in focused:
                    continue
                if any(e.index == indices[0] and _listy(e) for e in safety):
                    body = _cited(_list_body(names, question, SAFETY_TOP), _marks(indices))
                else:
                    body, _ = clip(sentences(body), PROSE_CHARS // 2)
                    body = f"{body}{_marks(indices)}" if body else ""
                if body:
                    yield 1, f"{'' if i else '用药安全提示：'}{head}：{body}。"

    @staticmethod
    def _focused(items: list[Evidence], quals: list[Qualifier]) -> Iterator[tuple[str, int]]:
        """Matching sentences of prose items, and matching entries of lists, one cited sentence each;
        a sentence already said (the same text reached twice) is not repeated."""
        said: set[str] = set()
        for ev in items:
            head, body = ev.heading, ev.body
            if not head or ev.field.startswith((AFTER_LIST, FIRST)):
                continue  # a population note follows the list it qualifies (retrieval.safety.patient)
            if any(i.group for i in ev.items):
                continue  # drugs by class: the population check belongs to retrieval, not to a clause cut
            if _listy(ev):
                if not ev.field.startswith("CONTRAINDICATED"):
                    continue  # a population qualifier selects who must not take a drug, not list items
                names = [n for n in ev.names if any(q.match.search(n) for q in quals)]
                if names:
                    yield f"{head}包括：{'、'.join(names[:TOP_ITEMS])}[{ev.index}]。", ev.index
                continue
            hit, _ = select(body, quals)
            hit = [h for h in hit if h.rstrip("。；;") not in said]
            said.update(h.rstrip("。；;") for h in hit)
            if hit:
                text, _ = clip(hit, FOCUS_CHARS)
                yield f"{head}：{text}[{ev.index}]。", ev.index
