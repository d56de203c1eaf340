"""The candidate pool of a treatment question for a population, beyond the disease's own drug list.

Two ties the graph holds under other disease nodes:

- **Population forms of the disease** (妊娠期高血压, 小儿感冒, 老年人高血压 for 孕妇/儿童/老人 + 高血压): a
  source tying a drug to the population's own form of the disease says the population is treated with
  it, so those drugs join the pool and lead the answer (after the same label and class-rule filter as
  every other candidate — retrieval.safety.patient).
- **The base disease** of a population-specific node (妊娠期尿路感染 → 尿路感染, 小儿哮喘 → 哮喘): when
  the linked node is such a form with few drugs of its own (< ENOUGH_OWN), the base disease's candidates
  join the pool behind its own, filtered for the population; an answer whose node has no drug ties at
  all says in one short clause that the list is the base disease's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kg.schema import Direction, Entity, Fact, NodeType, RelType
from retrieval.evidence.candidates import POOL_UNREAD, POPULATION_PREFIXES, population_base
from retrieval.rendering import prose_sentences
from retrieval.safety.population import Population
from retrieval.types import Evidence

#: A population form with at least this many drugs of its own answers from them alone (the base
#: disease's list, hundreds of products to judge, is read only for a thin one).
ENOUGH_OWN = 10
POOL_FIELD = "人群用药·来源"

FindDisease = Callable[[str], Entity | None]
DrugFacts = Callable[[Entity], list[Fact]]


@dataclass
class PoolExtra:
    """Drug facts to add to the asked disease's own, the ids that lead, and the clause to say."""

    facts: list[Fact] = field(default_factory=list)
    lead: dict[str, float] = field(default_factory=dict)  # drug id → weight (retrieval.evidence.salience lead)
    notes: list[Evidence] = field(default_factory=list)


def drug_facts(facts: Callable[[str, Sequence[RelType], Direction], list[Fact]]) -> DrugFacts:
    """Both readings of "drugs for X" of one disease node, from a fact reader."""
    def read(entity: Entity) -> list[Fact]:
        return [f for f in (*facts(entity.id, [RelType.TREATED_BY], Direction.OUT),
                            *facts(entity.id, [RelType.INDICATED_FOR], Direction.IN))
                if f.target_type == NodeType.DRUG and not f.flag]
    return read


def variant_names(name: str, pops: Sequence[Population]) -> list[str]:
    """The population forms of a disease name: 高血压 + 孕妇 → 妊娠期高血压, 妊娠高血压 …"""
    if population_base(name, [p.key for p in pops], POOL_UNREAD) is not None:
        return []  # already a population form
    return [f"{p}{name}" for pop in pops for p, (key, _) in POPULATION_PREFIXES.items()
            if key == pop.key and p not in POOL_UNREAD]


def population_pool(entity: Entity, pops: Sequence[Population], own: Sequence[Fact], find: FindDisease,
                    read: DrugFacts) -> PoolExtra:
    """Facts of the population forms of `entity` (leading) and, when `entity` is itself such a form,
    of its base disease (behind its own drugs)."""
    out = PoolExtra()
    if not pops or entity.type not in (NodeType.DISEASE, NodeType.SYMPTOM):
        return out
    own_ids = {f.target_id for f in own if f.target_type == NodeType.DRUG}
    seen = {entity.id}
    for name in variant_names(entity.name, pops):
        node = find(name)
        if node is None or node.id in seen:
            continue
        seen.add(node.id)
        facts = read(node)
        out.facts += facts
        out.lead |= dict.fromkeys((f.target_id for f in facts), 1.0)
    form = population_base(entity.name, [p.key for p in pops], POOL_UNREAD) if len(own_ids) < ENOUGH_OWN else None
    base = form.base if form is not None else ""
    node = find(base) if base else None
    if node is not None and node.id not in seen:
        out.facts += read(node)
        out.lead |= dict.fromkeys(own_ids, 1.0)  # the population form's own drugs stay first
        if not own_ids:
            label = "、".join(p.label for p in pops)
            out.notes.append(Evidence(
                index=0, entity_id=node.id, entity_name=node.name, entity_type=node.type.value,
                field=POOL_FIELD, heading=f"{entity.name}用药", datasets=list(node.sources), origin="kg",
                sentences=prose_sentences(f"知识库未收录{entity.name}的专用药物，所列为{node.name}的药物，"
                                          f"已按{label}用药安全筛选", node.sources)))
    return out
