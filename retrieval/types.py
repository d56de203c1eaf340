"""Typed results of retrieval: what the linker found and the ranked evidence."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field

from kg.schema import Direction, NodeType, RelType
from retrieval.rendering import GroupStyle, NoteKind, render_body, render_evidence


class LinkMethod(StrEnum):
    """How a mention reached its entity (the JSON value is the lower-case name)."""

    EXACT = "exact"  # the entity's own name
    ALIAS = "alias"  # one of its aliases
    VARIANT = "variant"  # a normalized form (dosage form, salt, suffix dropped)
    TYPO = "typo"  # a near spelling
    COMPONENTS = "components"  # one of the parts of a compound name (one block of evidence each)
    HISTORY = "history"  # inherited from an earlier turn
    CLASS = "class"  # a drug class term (retrieval.pairs.drug_classes)


class IntentMethod(StrEnum):
    RULE = "rule"  # a cue word of the intent table
    EMBEDDING = "embedding"  # nearest intent examples
    DEFAULT = "default"  # nothing matched: an overview


class Refusal(StrEnum):
    """Why nothing was retrieved ('' when something was)."""

    NONE = ""
    NEAR_MISS = "near_miss"  # the asked name is not in the graph; suggestions offered
    NO_ENTITY = "no_entity"  # no entity named and no history to inherit one
    NOT_FOLLOW_UP = "not_follow_up"  # a history exists but the question does not follow it
    HISTORY_NEAR_MISS = "history_near_miss"  # the inherited question's own near miss
    NOT_MEDICAL = "not_medical"  # a linked word the question is not about


class LinkedEntity(BaseModel):
    id: str
    name: str
    type: NodeType
    mention: str = Field(description="the text span in the question (or history) that matched")
    score: float = Field(ge=0.0, le=1.0, description="linking confidence")
    method: LinkMethod = Field(default=LinkMethod.EXACT, description="how the mention was linked (LinkMethod)")
    start: int = -1
    end: int = -1


class SuggestedEntity(BaseModel):
    """A KG entity offered instead of a name the graph does not have; the user chooses."""

    id: str
    name: str
    type: str
    why: str = Field(description="名称中包含的已知条目 | 拼写相近")


class NearMiss(BaseModel):
    """A medical-term span in the question that no KG entity matches as a whole."""

    mention: str
    start: int = -1
    end: int = -1
    suggestions: list[SuggestedEntity] = []


class Intent(BaseModel):
    name: str = Field(description="e.g. indication, adverse_reaction, symptom, check, drug, overview")
    score: float = 1.0
    method: IntentMethod = IntentMethod.RULE
    reverse: bool = Field(default=False, description="asks for the subject given the object (什么药能治X)")


class Qualifiers(BaseModel):
    """What the question says about the situation, beside its entity (retrieval.linking.qualifiers):
    `急性发作吃什么药` → phase attack; `孩子咳嗽能用吗` after a drug turn → population child, condition 咳嗽."""

    phase: str = Field(default="", description="attack | acute | chronic | maintenance | early | late | ''")
    time: str = Field(default="", description="night | ''")
    population: str = Field(default="", description="child | infant | elderly | pregnant | lactating | hepatic | "
                            "renal | allergic | ''")
    condition: str = Field(default="", description="the symptom or disease a drug follow-up names (咳嗽)")
    condition_id: str = ""
    refined_from: str = Field(default="", description="the inherited entity a phase refined (胰腺炎 → 急性胰腺炎)")
    words: list[str] = Field(default_factory=list, description="the qualifier words as written, in order")

    @property
    def reliever(self) -> bool:
        """An attack or an acute phase asks for relievers, not controllers."""
        return self.phase in ("attack", "acute")

    @property
    def child(self) -> bool:
        return self.population in ("child", "infant")


class EvidenceItem(BaseModel):
    """One item of a ranked list (an indication, a reaction, a drug for a disease), typed so that
    planners and generators read its support and flags instead of parsing the evidence text."""

    name: str
    entity_id: str = ""
    type: str = ""
    datasets: list[str] = []
    sources: list[str] = Field(default_factory=list, description="dataset:predicate of each statement")
    support: int = Field(default=0, description="independent statements (retrieval.evidence.ranking.RankedItem.supports)")
    score: float = 0.0
    flag: str = Field(default="", description="why the item does not lead: contraindicated_self | "
                      "also_adverse | generic | tcm_pattern | '' (usable)")
    reason: str = Field(default="", description="the source sentence behind the flag (禁忌 text …)")
    class_code: str = ""
    class_name: str = ""
    group: str = Field(default="", description="the answer group it is shown in (a class name, 中成药)")
    via: str = Field(default="", description="a disease's drug: the synonym or parent node whose edges alone tie "
                     "it (retrieval.evidence.candidates); '' when the asked node's own edges do")


class EvidenceSentence(BaseModel):
    """One sentence of a prose evidence, with the datasets that wrote it."""

    text: str
    datasets: list[str] = []


class EvidenceGroup(BaseModel):
    """A group of a list shown by class (retrieval.evidence.salience): "类名（a、b）"."""

    label: str = ""
    names: list[str] = []
    style: GroupStyle = GroupStyle.PLAIN


class EvidenceNote(BaseModel):
    """Items a list holds back, and why (retrieval.rendering writes the sentence)."""

    kind: NoteKind
    count: int = 0
    names: list[str] = []
    subject: str = Field(default="", description="the disease a label bans the drugs for")


class Evidence(BaseModel):
    """One numbered item the answer may cite; `index` is 1-based and stable within an answer.

    The data: a `heading` ("X的适应症"), then either a list (`names` shown, in order; `groups` when
    shown by class; `total` when more are ranked than shown; `notes` on what is held back) or prose
    (`sentences`). `text` and `source` are rendered from it (retrieval.rendering), never parsed back."""

    model_config = ConfigDict(extra="forbid")

    index: int
    entity_id: str
    entity_name: str
    entity_type: str
    field: str = Field(description="relationship type (INDICATED_FOR …) or property name (简介, 病因 …)")
    heading: str = Field(default="", description="what the body is: X的适应症, 可用于治疗痛风的药物 …")
    relation: RelType | None = Field(default=None, description="a relationship's type; None for a property")
    direction: Direction | None = None
    names: list[str] = Field(default_factory=list, description="a list's shown names, in order (every one, "
                             "where `items` types only the first MAX_TYPED)")
    groups: list[EvidenceGroup] = Field(default_factory=list, description="a list shown by class")
    total: int = Field(default=0, description="the list's full length when fewer names are shown (等N项); 0 when whole")
    unit: str = Field(default="项", description="the counter word of `total` (项, 种)")
    notes: list[EvidenceNote] = Field(default_factory=list, description="what the list holds back and why")
    sentences: list[EvidenceSentence] = Field(default_factory=list, description="a prose body, sentence by sentence")
    datasets: list[str] = Field(default_factory=list, description="the datasets that state it; each a source's "
                                "dataset name: cmekg | xywy | 39health | caregpt | jsonl | atc …")
    score: float = 0.0
    reliable: int = Field(default=0, description="for a ranked list: how many leading items are corroborated "
                          "or stated by a curated (not machine-extracted) source list")
    target_id: str | None = None
    target_name: str | None = None
    target_type: str | None = None
    origin: str = Field(default="kg", description="kg | dense | lexical")
    items: list[EvidenceItem] = Field(default_factory=list, description="a ranked list's items, in order")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """The evidence as a reader or a prompt sees it (retrieval.rendering.render_evidence)."""
        return render_evidence(self)

    @property
    def body(self) -> str:
        """The text after the heading (retrieval.rendering.render_body)."""
        return render_body(self)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source(self) -> str:
        """`datasets` comma-joined (cmekg,xywy): the form the API and prompts have always shown."""
        return ",".join(self.datasets)


class Verdict(StrEnum):
    """What two drugs' label texts say about taking them together (retrieval.pairs.interactions), strongest first."""

    AVOID = "避免合用"
    SEPARATE = "间隔服用"  # an absorption interaction (a metal cation and a drug it binds): take apart in time
    CAUTION = "慎用"
    MONITOR = "需监测"
    LISTED = "有相互作用记载"  # listed as interacting, the text does not say how much
    NOT_FOUND = "未见记载"


class PairVerdict(BaseModel):
    """The verdict of an interaction question: said once, first, citing the sentences it rests on."""

    drugs: list[str]
    verdict: Verdict
    evidence: list[int] = Field(default_factory=list, description="indices of the evidence it rests on")


class RetrievalResult(BaseModel):
    question: str
    resolved_question: str = Field(description="question with follow-up references resolved")
    entities: list[LinkedEntity] = Field(default_factory=list, description="every linked mention; with ≥ 2 drugs "
                                         "(comparisons, interactions) all of them, each with its method")
    near_misses: list[NearMiss] = Field(default_factory=list, description="asked names the graph does not have")
    refusal: Refusal = Field(default=Refusal.NONE, description="why nothing was retrieved (Refusal; '' when "
                             "something was)")
    intent: Intent
    qualifiers: Qualifiers = Field(default_factory=Qualifiers, description="phase, population, time and "
                                   "condition the question adds to its entity (retrieval.linking.qualifiers)")
    evidence: list[Evidence] = []
    pair: PairVerdict | None = Field(default=None, description="interaction questions: the pair's verdict")
    snapshot: str = ""
    timings_ms: dict[str, float] = {}
