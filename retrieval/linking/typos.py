"""Typo matching in bounded, linear time: names one edit away, found through an index.

Every candidate name (a described drug or disease, ≥ 4 characters) is indexed under its length and
its first and second half. A written name one substitution, insertion or deletion away from a
graph name shares one of those halves with it (pigeonhole), so a lookup costs a handful of dict
reads and a short candidate list — never a scan over all names or all substrings.

What counts as a typo is the pinyin-input rule: a substitution must sound the same
(非布斯他片 → 非布司他片); a dropped or extra character is accepted only in long names written
whole. Anything else one edit away is only a *close spelling*, offered as a suggestion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from retrieval.linking import scores

MIN_TYPO_LEN = 4  # one edit in a 3-character name is a different name
LONG_NAME = 6  # insertions/deletions only in names at least this long


class _Entry(Protocol):
    id: str
    name: str


def _pinyin_key(syllable: str) -> str:
    """Fold the confusions of pinyin typing: zh/z, ch/c, sh/s, -ng/-n, l/n."""
    s = syllable
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if s.startswith(a):
            s = b + s[2:]
    if s.endswith("ng"):
        s = s[:-1]
    return "n" + s[1:] if s.startswith("l") else s


def sounds_same(a: str, b: str) -> bool:
    from pypinyin import lazy_pinyin

    pa, pb = lazy_pinyin(a), lazy_pinyin(b)
    return len(pa) == len(pb) and all(_pinyin_key(x) == _pinyin_key(y) for x, y in zip(pa, pb, strict=True))


class TypoIndex:
    def __init__(self, names: Iterable[tuple[str, _Entry]]) -> None:
        self._names: dict[str, list[_Entry]] = defaultdict(list)
        self._halves: dict[tuple[int, int, str], list[str]] = defaultdict(list)
        for key, entry in names:
            if len(key) < MIN_TYPO_LEN:
                continue
            if key not in self._names:
                h = len(key) // 2
                self._halves[(len(key), 0, key[:h])].append(key)
                self._halves[(len(key), 1, key[h:])].append(key)
            self._names[key].append(entry)
        self.max_len = max((len(k) for k in self._names), default=0)

    def __len__(self) -> int:
        return len(self._names)

    def entries(self, key: str) -> list[_Entry]:
        return self._names.get(key, [])

    def neighbours(self, w: str) -> list[str]:
        """Graph names exactly one edit (substitution, insertion, deletion) away from `w`."""
        from rapidfuzz.distance import Levenshtein

        L = len(w)
        if L < MIN_TYPO_LEN - 1 or L > self.max_len + 1:
            return []
        found: dict[str, None] = {}
        for n in (L, L + 1, L - 1):
            h = n // 2
            if n == L:
                probes = ((0, w[:h]), (1, w[h:]))
            elif n == L + 1:  # w lost one character of the name
                probes = ((0, w[:h]), (1, w[h - 1:]))
            else:  # w has one extra character
                probes = ((0, w[:h]), (1, w[h + 1:]))
            for side, half in probes:
                for key in self._halves.get((n, side, half), ()):
                    found[key] = None
        return [k for k in found if k != w and Levenshtein.distance(w, k, score_cutoff=1) == 1]

    def typo(self, w: str, whole: bool) -> tuple[float, str] | None:
        """(score, key) when `w` is a pinyin-input typo of exactly one graph name."""
        best: tuple[float, str] | None = None
        for key in self.neighbours(w):
            if len(self._names[key]) != 1:
                continue  # ambiguous: two entities share the name
            if len(key) == len(w):
                if not sounds_same(w, key):
                    continue
                score = scores.SAME_SOUND_TYPO
            elif whole and len(key) >= LONG_NAME and not (w.startswith(key) or w.endswith(key)
                                                          or key.startswith(w) or key.endswith(w)):
                score = scores.ONE_CHAR_TYPO  # the whole written name is the graph's name ± one character inside it
            else:
                continue
            if best is None or score > best[0]:
                best = (score, key)
        return best

    def close(self, w: str, limit: int = 3) -> list[_Entry]:
        """Close spellings of `w` (one edit away, any sound) for suggestions."""
        out: list[_Entry] = []
        for key in sorted(self.neighbours(w)):
            out += self._names[key]
        return out[:limit]

