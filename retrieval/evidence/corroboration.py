"""Which of a disease's drugs a second place confirms, and which end an attack (retrieval.evidence.salience's rules).

**Corroboration.** A drug tied to a disease by one consumer site's list alone, whose own label does not
name the disease (甲减 → 地高辛 from 39health; 地高辛's label is about heart failure), is not offered
beside corroborated ones: it is counted and flagged `uncorroborated`. Corroborated = two sources tie it,
or the disease's own treatment text names it (CMeKG 药物治疗), or the drug's own label names the
disease, one of its synonyms or its parent — as the drug's indication edge (CMeKG 适应症, CareGPT
适应证), in its indication text, or as an indication edge to a node whose name contains it.

**Relief.** An attack (`Qualifiers.reliever`) puts each class's reliever members first, the classes
holding one before the others, and takes the controllers out into their own group (retrieval.evidence.relievers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from kg.schema import Entity
from retrieval.evidence.relievers import Role, role

if TYPE_CHECKING:
    from retrieval.evidence.candidates import Pool
    from retrieval.evidence.drug_grouping import DrugGrouping
    from retrieval.evidence.salience import Generic

#: Herbs of CMeKG's materia-medica 主治 lists: never a tie.
HERB_SOURCE = "cmekg:主治"
#: Leading generics whose labels (禁忌, indications) are read.
MAX_CHECKED = 20
#: A class's strength grows by this much per log of its further generics.
CLASS_BREADTH = 0.6
#: Ties that need no second source: the disease's own treatment text (CMeKG 药物治疗, the closest the
#: sources come to a guideline) and the drug's own label stating the indication (read from the drug).
OWN_LABEL_SOURCES = frozenset({"cmekg:药物治疗", "cmekg:适应症", "caregpt:适应证", "cmekg:功能主治", "jsonl:"})
#: The label fields that state a drug's indications.
INDICATION_PROPS = ("适应症", "适应证", "功能主治", "主治", "用途")
#: EvidenceItem.flag of a drug one source alone ties to the disease, whose label does not name it.
UNCORROBORATED = "uncorroborated"


def ties(g: Generic) -> set[str]:
    """The distinct statements tying a generic to the disease (one statement read from both ends, CMeKG's
    适应症 and its reverse 相关药物, counts once; herbs' 主治 lists do not count)."""
    out = {s for m in g.items for s in m.sources} - {HERB_SOURCE}
    if "cmekg:适应症" in out:
        out.discard("cmekg:相关药物")
    return out


def _labelled(generics: list[Generic], names: Sequence[str],
              entities: Callable[[list[str]], list[Entity]] | None,
              indications: Callable[[str], list[str]] | None = None) -> set[str]:
    """Generics whose products' own indications name the disease, one of its synonyms or its parent:
    in their indication text (适应症 / 适应证 / 功能主治) or as an indication edge to another node whose
    name contains it (盐酸伐昔洛韦片 → 带状疱疹病毒感染 for 带状疱疹). Reads the two best products of each."""
    if not generics or not names or (entities is None and indications is None):
        return set()
    ids = [m.entity_id for g in generics for m in g.items[:2]]
    texts: dict[str, str] = {}
    for e in entities(ids) if entities is not None else ():
        texts[e.id] = "\n".join(v if isinstance(v, str) else "、".join(v) for k, v in e.properties.items()
                                if k.startswith(INDICATION_PROPS))
    if indications is not None:
        for i in ids:
            texts[i] = texts.get(i, "") + "\n" + "、".join(indications(i))
    return {g.name for g in generics if any(n in texts.get(m.entity_id, "") for m in g.items[:2] for n in names)}


def corroborated(generics: list[Generic], names: Sequence[str],
                 entities: Callable[[list[str]], list[Entity]] | None,
                 indications: Callable[[str], list[str]] | None = None) -> set[str]:
    """Generics a second place confirms: two sources tie them, the disease's own treatment text names
    them (CMeKG 药物治疗, the closest the sources come to a guideline), or the drug's own label names
    the disease, a synonym or its parent — as an indication edge of the drug (CMeKG 适应症, CareGPT
    适应证, 功能主治: `OWN_LABEL_SOURCES`) or in its indication text. 甲减 → 地高辛 (one consumer site's
    list; the label is about heart failure) is not."""
    sure = {g.name for g in generics if len(ties(g)) >= 2 or ties(g) & OWN_LABEL_SOURCES}
    return sure | _labelled([g for g in generics[:MAX_CHECKED] if g.name not in sure], names, entities, indications)


def role_of(g: Generic, table: DrugGrouping) -> Role:
    """The generic's role in an attack, by its name, else its ATC class code."""
    return role(g.name, table.codes.get(g.klass.removeprefix("ATC:"), "") if g.klass.startswith("ATC:") else "")


def relief_order(classes: dict[str, list[Generic]], table: DrugGrouping, tier: Mapping[str, int] | None = None,
                 ) -> tuple[list[tuple[str, list[Generic]]], list[Generic]]:
    """An attack asks for relievers (retrieval.evidence.relievers): each class's reliever members first, classes
    with a reliever before the others (showing only those), then by `tier` (retrieval.evidence.salience: own and
    corroborated drugs first), controllers taken out into their own group."""
    controllers: list[Generic] = []
    kept: list[tuple[str, list[Generic], bool]] = []
    for key, members in classes.items():
        roles = {g.name: role_of(g, table) for g in members}
        controllers += [g for g in members if roles[g.name] == Role.CONTROLLER]
        rest = [g for g in members if roles[g.name] != Role.CONTROLLER]
        relief = [g for g in rest if roles[g.name] == Role.RELIEVER]
        if rest:
            kept.append((key, relief or rest, bool(relief)))
    tier = tier or {}
    kept.sort(key=lambda kv: (not kv[2], tier.get(kv[1][0].name, 0),
                              -(kv[1][0].score + CLASS_BREADTH * math.log(len(kv[1])))))
    return [(k, m) for k, m, _ in kept], sorted(controllers, key=lambda g: -g.score)


def tiers(western: list[Generic], sure: set[str], pool: Pool | None) -> dict[str, int]:
    """Generic → its tier: the asked node's (or a synonym's) corroborated drugs first, then the
    parent's, then the uncorroborated ones kept (a child's own curated list leads its parent's)."""
    def parent_only(g: Generic) -> bool:
        nodes = {n for m in g.items for n in m.nodes}
        return pool is not None and bool(nodes) and all(pool.kind_of(n) == "parent" for n in nodes)

    return {g.name: 2 * (g.name not in sure) + parent_only(g) for g in western}
