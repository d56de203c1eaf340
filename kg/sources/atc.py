"""The WHO ATC classification with Chinese names (`atc_zh.csv`, see ../shared/data/atc/README.md).

`qizhen kg ingest --source atc atc_zh.csv` writes:

- one `Category` node per ATC class of levels 1–4, identified by its code (kg.classes.class_node_id)
  and named by its Chinese display name (kg.classes.table), with properties ATC代码, 级别 and 英文名
  and the code as alias; each linked to its parent class by
  a RELATED_TO edge (predicate 上级分类), skipping unnamed levels;
- an IN_CLASS edge (dataset and predicate "atc") from every Drug already in the graph whose
  generic name (name or alias, without salt, dosage form, brand) or English alias is a level-5
  substance of the table, to that substance's level-4 class — every class the table gives it
  (阿司匹林: B01AC and A01AD), systemic groups first.

Substances are matched against the graph's names (`KnownNames`): ingest after the drug sources.
Drugs the table lacks get their class from the INN stem / source class pass that runs after
every ingest (kg.drug_classes), so a graph without this source still has stem classes.
Licence: the Chinese names are from Chinese Wikipedia (CC BY-SA); the codes are WHO's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kg.classes import AtcTable, class_node_id, table_classes
from kg.schema import Entity, NodeType, Relation, RelType
from kg.sources.base import KnownNames, Reject, Source, SourceRecord

DATASET = "atc"
PARENT = "上级分类"
MAX_CLASSES = 3


def category_entity(code: str, name: str, level: int, english: str, dataset: str) -> Entity:
    """The node of one ATC class: id from the code (kg.classes.class_node_id), the code as alias."""
    props: dict[str, str | list[str]] = {"ATC代码": code, "级别": str(level)}
    if english:
        props["英文名"] = english
    return Entity(id=class_node_id(code), type=NodeType.CATEGORY, name=name, aliases=[code], properties=props,
                  sources=[dataset], described=True)


class AtcSource(Source):
    uses_known_names = True

    def __init__(self, path: str | Path, dataset: str = DATASET) -> None:
        self.path = Path(path)
        self.name = dataset

    def total(self) -> int | None:
        if not self.path.exists():
            raise FileNotFoundError(f"no such file: {self.path}")
        return None

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        table = AtcTable.load(self.path)
        ids: dict[str, str] = {}  # class code → node id
        for code, row in table.rows.items():
            if row.level >= 5:
                continue
            name = table.display_name(code)
            if not name:
                yield Reject.of(self.name, self.path, code, "ATC class without a name (its children link to the "
                                                             "nearest named ancestor)")
                continue
            entity = category_entity(code, name, row.level, row.name_en, self.name)
            ids[code] = entity.id
            rels = []
            parent = next((ids[a.code] for a in table.lineage(row.parent) if a.code in ids), None) if row.parent else None
            if parent is not None:
                rels.append(Relation(entity.id, RelType.RELATED_TO, parent, self.name, PARENT))
            yield SourceRecord([entity], rels).at(self.path, code)
        for e in known.of_types(NodeType.DRUG) if known else []:
            english = next((a for a in e.aliases if a.isascii() and len(a) > 3), "")
            found = table_classes(e.name, english, table)
            for alias in e.aliases if not found else ():
                if not alias.isascii():
                    found = table_classes(alias, "", table)
                    if found:
                        break
            rels = [Relation(e.id, RelType.IN_CLASS, class_node_id(c.code), self.name, DATASET)
                    for c in found[:MAX_CLASSES] if c.code in ids]
            if rels:
                yield SourceRecord([], rels).at(self.path, e.name)
