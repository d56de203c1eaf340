"""Citation check after generation: every [n] must resolve, every factual sentence must be
supported by the evidence it cites; what fails is removed from the citations and reported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from models.types import Citation
from retrieval.types import Evidence

_MARKER = re.compile(r"\[(\d+(?:\s*[,，、-]\s*\d+)*)\]")
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]?")
_NON_CONTENT = re.compile(r"[\s\W\d_a-zA-Z]+")
#: Sentences that carry no medical claim (frames, disclaimers) and need no citation.
_BOILERPLATE = ("知识库", "仅供参考", "遵医嘱", "请咨询", "补充资料", "用药安全提示", "如下", "以下")
SUPPORT_THRESHOLD = 0.5
#: A pointer to the rest of cited evidence ("详见证据[2]"): no claim, but its markers resolve.
_FOLD = ("详见证据", "其余内容见证据")
#: Connective frames an answer wraps facts in; they are not claims, so support ignores them.
_FRAMES = re.compile(r"用药安全提示|补充资料|此外|另外|包括|主要有|有以下|根据|知识库中?|相关信息|的是|可以|可能|常见")


@dataclass
class CitationReport:
    text: str
    citations: list[Citation] = field(default_factory=list)
    removed_markers: list[int] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def _expand(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,，、]\s*", group):
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            out += list(range(a, b + 1)) if 0 < b - a < 50 else [a, b]
        elif part:
            out.append(int(part))
    return out


def _bigrams(text: str) -> set[str]:
    s = _NON_CONTENT.sub("", text)
    return {s[i:i + 2] for i in range(len(s) - 1)}


def support(sentence: str, evidence_texts: list[str]) -> float:
    """Share of the sentence's character bigrams found in the evidence (1.0 = all)."""
    grams = _bigrams(_FRAMES.sub("", _MARKER.sub("", sentence)))
    if not grams:
        return 1.0
    pool: set[str] = set()
    for t in evidence_texts:
        pool |= _bigrams(t)
    return len(grams & pool) / len(grams)


_TRAILING_MARKERS = re.compile(r"([。！？!?])((?:\[\d+(?:\s*[,，、-]\s*\d+)*\])+)")


def verify(text: str, evidence: list[Evidence]) -> CitationReport:
    # "…药？[1][2]。": markers written after a sentence's end belong to that sentence
    text = _TRAILING_MARKERS.sub(r"\2\1", text)
    by_index = {e.index: e for e in evidence}
    report = CitationReport(text="")
    cited: set[int] = set()
    pieces: list[str] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group()
        refs = [n for g in _MARKER.findall(sentence) for n in _expand(g)]
        bad = sorted({n for n in refs if n not in by_index})
        report.removed_markers += [n for n in bad if n not in report.removed_markers]
        good = [n for n in dict.fromkeys(refs) if n in by_index]
        bare = _MARKER.sub("", sentence)
        if (not _NON_CONTENT.sub("", bare) or (not good and any(b in bare for b in _BOILERPLATE))
                or bare.strip().startswith(_FOLD)):
            cited.update(good)
            pieces.append(bare if not good else sentence if not bad else _rewrite(sentence, good))
            continue
        texts = [by_index[n].text for n in good] if good else [e.text for e in evidence]
        if support(bare, texts) < SUPPORT_THRESHOLD:
            report.unsupported.append(bare.strip())
            pieces.append(bare)  # keep the words, never as cited
            continue
        cited.update(good)
        pieces.append(_rewrite(sentence, good) if (bad or good != refs) else sentence)
    report.text = "".join(pieces).strip()
    report.citations = [
        Citation(index=n, entity=by_index[n].entity_name, entity_type=by_index[n].entity_type,
                 field=by_index[n].field, text=by_index[n].text, source=by_index[n].source,
                 entity_id=by_index[n].entity_id, heading=by_index[n].heading, items=list(by_index[n].names),
                 datasets=list(by_index[n].datasets))
        for n in sorted(cited)
    ]
    return report


def _rewrite(sentence: str, good: list[int]) -> str:
    """Drop every marker, then put the valid ones back where the first marker stood."""
    first = _MARKER.search(sentence)
    bare = _MARKER.sub("", sentence)
    if not first or not good:
        return bare
    pos = len(_MARKER.sub("", sentence[: first.start()]))
    return bare[:pos] + "".join(f"[{n}]" for n in good) + bare[pos:]
