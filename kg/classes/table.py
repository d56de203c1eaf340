"""The ATC table (`atc_zh.csv`: code, level, name_zh, name_en, parent_code) as a lookup:
substance names (Chinese or English) → their level-5 rows, and every class code → its display
name, the one name its `Category` node carries.

Display names: the table's Chinese name, else `kg.classes.names`; a name that more than one
code carries (苯并二氮卓衍生物类 is both N05BA and N05CD) gets its code appended, so two classes
never share a node (node ids derive from names).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kg.classes.atc_names import TABLE_NAMES
from kg.classes.names import CLASS_NAMES, GROUP_NAMES
from kg.errors import InvalidInput
from kg.normalize import normalize_name

COLUMNS = ("code", "level", "name_zh", "name_en", "parent_code")
#: combination rows ("氟化钠，复方", "Combinations", "和…") never stand for a single substance
_COMBO = re.compile(r"复方|合剂|combination|和|与| and ", re.IGNORECASE)
#: anatomical groups in the order a product most likely means (systemic before topical)
GROUP_PREFERENCE = "JLCNABMRHGPVDS"
#: level-2 groups of local (oral, skin, eye, ear, nose, rectal) use: a product's systemic class comes first
LOCAL_GROUPS = ("A01", "C05", "D", "G01", "M02", "R01", "R02", "S")


@dataclass(frozen=True)
class AtcRow:
    code: str
    level: int
    name_zh: str
    name_en: str
    parent: str


class AtcTable:
    """Rows by code, level-5 rows by normalized Chinese and English name."""

    def __init__(self, rows: list[AtcRow]) -> None:
        self.rows = {r.code: r for r in rows}
        self.by_zh: dict[str, list[AtcRow]] = {}
        self.by_en: dict[str, list[AtcRow]] = {}
        for r in rows:
            if r.level != 5:
                continue
            if r.name_zh and not _COMBO.search(r.name_zh):
                self.by_zh.setdefault(normalize_name(r.name_zh), []).append(r)
            if r.name_en and not _COMBO.search(r.name_en):
                self.by_en.setdefault(r.name_en.strip().lower(), []).append(r)
        self._names = _display_names(rows)

    @classmethod
    def load(cls, path: str | Path) -> AtcTable:
        path = Path(path)
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                if tuple(reader.fieldnames or ()) != COLUMNS:
                    raise InvalidInput(f"{path}: expected columns {','.join(COLUMNS)}, got {reader.fieldnames}")
                rows = [AtcRow(r["code"].strip(), int(r["level"]), r["name_zh"].strip(), r["name_en"].strip(),
                               r["parent_code"].strip()) for r in reader if r["code"].strip()]
        except (ValueError, KeyError) as e:
            raise InvalidInput(f"{path}: not an ATC table ({e})") from None
        return cls(rows)

    def display_name(self, code: str) -> str:
        return self._names.get(code) or builtin_name(code)

    def substance(self, names: list[str], english: str = "") -> list[AtcRow]:
        """Level-5 rows of the first Chinese name variant the table has, else of the English name."""
        for n in names:
            found = self.by_zh.get(normalize_name(n))
            if found:
                return _preferred(found)
        for e in english_variants(english):
            found = self.by_en.get(e)
            if found:
                return _preferred(found)
        return []

    def lineage(self, code: str) -> list[AtcRow]:
        """The row and its ancestors, nearest first."""
        out: list[AtcRow] = []
        row = self.rows.get(code)
        while row is not None:
            out.append(row)
            row = self.rows.get(row.parent) if row.parent else None
        return out


def _preferred(rows: list[AtcRow]) -> list[AtcRow]:
    return sorted(rows, key=lambda r: (r.code.startswith(LOCAL_GROUPS), GROUP_PREFERENCE.find(r.code[0]) % 99, r.code))


def _display_names(rows: list[AtcRow]) -> dict[str, str]:
    raw = {r.code: r.name_zh or CLASS_NAMES.get(r.code) or GROUP_NAMES.get(r.code, "") for r in rows if r.level < 5}
    for code in list(CLASS_NAMES) + list(GROUP_NAMES):
        raw.setdefault(code, CLASS_NAMES.get(code) or GROUP_NAMES.get(code, ""))
    counts = Counter(n for n in raw.values() if n)
    return {c: (f"{n}（{c}）" if counts[n] > 1 else n) for c, n in raw.items() if n}


def builtin_name(code: str) -> str:
    """The bundled name of a class the table may lack (kg.classes.names)."""
    return TABLE_NAMES.get(code) or CLASS_NAMES.get(code) or GROUP_NAMES.get(code, "")


_EN_NOISE = re.compile(
    r"\b(?:tablets?|capsules?|injection|for|and|sodium|potassium|calcium|hydrochloride|hcl|sulfate|sulphate|"
    r"besylate|besilate|mesylate|mesilate|maleate|fumarate|tartrate|succinate|citrate|phosphate|acetate|"
    r"bromide|chloride|dispersible|sustained|extended|controlled|release|enteric|coated|film|oral|solution|"
    r"suspension|granules?|syrup|drops?|eye|ear|nasal|spray|aerosol|inhalation|powder|cream|ointment|gel|"
    r"patch|suppositor(?:y|ies)|lyophilized|sterile|dry|chewable|orally|disintegrating|soft|hard|"
    r"xinafoate|propionate|furoate|dipropionate|monohydrate|dihydrate|trihydrate|hydrobromide|lactate|"
    r"gluconate|magnesium|zinc|delayed|effervescent|buccal|sublingual|vaginal|topical|liniment|emulsion|"
    r"compound|vial|infusion|concentrate|tabs?|caps?)\b", re.IGNORECASE)


def english_variants(english: str) -> list[str]:
    """'Amlodipine Besylate Tablets' → ['amlodipine']; the whole cleaned phrase, then its first word."""
    if not english or not english.isascii():
        return []
    words = _EN_NOISE.sub(" ", re.sub(r"\(.*?\)|[^A-Za-z\- ]", " ", english)).split()
    if not words:
        return []
    phrase = " ".join(words).lower()
    return list(dict.fromkeys([phrase, words[0].lower()]))
