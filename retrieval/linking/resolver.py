"""What a question is about: its linked mentions, the entity it asks about (inherited from an earlier
turn for a follow-up), its qualifiers and intent — or why it cannot be answered (near miss, no entity,
not medical).

The first stage of `retrieval.retriever.Retriever`, apart from the evidence it then plans."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kg.normalize import strip_format
from kg.schema import NodeType
from retrieval.intents import IntentClassifier, implied_types, is_follow_up
from retrieval.linking.linker import EntityLinker
from retrieval.linking.qualifiers import find_qualifiers, is_condition_follow_up, phase_name, with_condition
from retrieval.pairs.interactions import pair_partner
from retrieval.types import Intent, IntentMethod, LinkedEntity, LinkMethod, NearMiss, Qualifiers

#: Below this a mention is not treated as "the" entity of the question.
LINK_THRESHOLD = 0.6
#: Earlier turns a follow-up may reach back through (bounds the work on long histories).
MAX_HISTORY_TURNS = 8
#: A mention covering less of the question than this, when nothing medical is asked, is not its topic.
MIN_COVERAGE = 0.5


@dataclass
class Resolution:
    """The outcome of linking one turn: its mentions, the entity it is about, or why none."""

    entities: list[LinkedEntity]
    main: LinkedEntity | None
    near_misses: list[NearMiss] = field(default_factory=list)
    refusal: str = ""
    qualifiers: Qualifiers = field(default_factory=Qualifiers)
    turn: str = ""  # the earlier turn an inherited entity comes from


def main_entity(found: list[LinkedEntity]) -> LinkedEntity | None:
    """The entity a question is about: the best mention at or above LINK_THRESHOLD (lists are sorted)."""
    for ent in found:  # already sorted best first
        if ent.score >= LINK_THRESHOLD:
            return ent
    return None


class Resolver:
    """Links a turn (and walks back its history) with the retriever's linker and intent classifier."""

    def __init__(self, linker: Callable[[], EntityLinker], intents: IntentClassifier) -> None:
        self._linker = linker  # the retriever builds its linker at warm-up
        self.intents = intents

    @property
    def linker(self) -> EntityLinker:
        return self._linker()

    def resolve(self, question: str, history: Sequence[str] = ()) -> Resolution:
        """What the question is about, or why it cannot be answered.

        A near miss (a name the graph does not have) refuses the turn. A turn inherits the entity of
        an earlier one only when it names nothing itself *and* asks a medical follow-up
        (副作用, 禁忌, 怎么用, 孕妇能吃吗 …); an earlier turn that named an unknown entity stops the
        walk back, so "那氟美沙星片呢" is never answered with the drug before it."""
        question, history = strip_format(question), [strip_format(t) for t in history]
        prefer = implied_types(question, self.intents)
        own = self.linker.analyse(question, prefer=prefer)
        if own.near_misses:
            return Resolution(own.entities, None, own.near_misses, "near_miss")
        qualifiers = find_qualifiers(question, own.entities)
        main = main_entity(own.entities)
        if main is not None:
            linked = [e for e in own.entities if e.score >= LINK_THRESHOLD]
            if history and is_condition_follow_up(question, linked, self.intents):
                # "孩子咳嗽能用吗" after a drug turn: 咳嗽 is the condition asked about, the drug stays
                earlier = self._inherit(history, prefer)
                if earlier.main is not None and earlier.main.type in (NodeType.DRUG.value, NodeType.INGREDIENT.value):
                    return Resolution([earlier.main, *own.entities], earlier.main,
                                      qualifiers=with_condition(qualifiers, main))
            # 能和克拉霉素一起吃吗 after 辛伐他汀: the earlier drug completes the pair
            partner = pair_partner(question, own.entities, history, self.linker, main_entity, MAX_HISTORY_TURNS)
            return Resolution([*own.entities, partner] if partner else own.entities, main, qualifiers=qualifiers)
        if not is_follow_up(question, self.intents) and not qualifiers.phase:  # "慢性的呢？" follows up
            return Resolution(own.entities, None, refusal="not_follow_up" if history else "no_entity")
        earlier = self._inherit(history, prefer)
        if earlier.main is not None and earlier.main.type == NodeType.DISEASE.value:
            # "急性期怎么治疗" after 胰腺炎: the phase's own entry (急性胰腺炎) when the graph describes one
            entry = self.linker.described_named(phase_name(qualifiers, earlier.main.name), NodeType.DISEASE)
            if entry is not None:
                refined = earlier.main.model_copy(update={"id": entry.id, "name": entry.name})
                qualifiers = qualifiers.model_copy(update={"refined_from": earlier.main.name})
                earlier = Resolution([refined], refined, turn=earlier.turn)
        return Resolution([*earlier.entities, *own.entities], earlier.main, earlier.near_misses,
                          earlier.refusal, qualifiers, earlier.turn)

    def intent(self, question: str, main: LinkedEntity, res: Resolution) -> Intent:
        """What the turn asks about `main`; a follow-up that only adds a qualifier ("孩子呢？" after
        "腹泻吃什么药？") asks the earlier question again for it."""
        mention = main.mention if main.method != "history" else ""
        intent = self.intents.classify(question, NodeType(main.type), mention)
        if res.turn and res.qualifiers.words and intent.method != "rule":
            earlier = self.intents.classify(res.turn, NodeType(main.type), main.mention)
            intent = earlier if earlier.method == "rule" else intent
        return intent

    def _inherit(self, history: Sequence[str], prefer: Sequence[NodeType]) -> Resolution:
        """The entity of the latest earlier turn that names one (method `history`), or why none."""
        for turn in list(reversed(history))[:MAX_HISTORY_TURNS]:
            earlier = self.linker.analyse(turn, prefer=prefer)
            if earlier.near_misses:
                return Resolution([], None, earlier.near_misses, "history_near_miss")
            found = main_entity(earlier.entities)
            if found is not None:
                inherited = found.model_copy(update={"method": LinkMethod.HISTORY, "start": -1, "end": -1})
                return Resolution([inherited], inherited, turn=turn)
        return Resolution([], None, refusal="no_entity")


def off_topic(question: str, main: LinkedEntity, intent: Intent) -> bool:
    """Nothing medical was asked and the name is a small part of the question ("太阳系有几颗行星"
    mentions 太阳): not a question about that entity (refusal `not_medical`)."""
    return intent.method == IntentMethod.DEFAULT and main.method != LinkMethod.HISTORY and \
        _coverage(question, main.mention) < MIN_COVERAGE


def _coverage(question: str, mention: str) -> float:
    """Share of the question's characters (punctuation and spaces aside) that the mention covers."""
    content = "".join(ch for ch in question if ch.isalnum())
    return len(mention) / len(content) if content else 0.0
