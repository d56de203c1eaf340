"""Question intent: which relationship or property a question asks for, and in which direction.

Keyword rules decide first (fast, exact); when none fires, the question — with its entity
mention removed — is matched against example phrasings of every intent with the embedding
model; below a similarity threshold the intent is `overview` (the entity card's key facts).
Intents carry what to fetch per subject type, so a "症状" question about a *symptom* becomes the
reverse question "which diseases have this symptom".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Flag, auto
from typing import TYPE_CHECKING

import numpy as np

from kg.schema import Direction, NodeType, RelType
from kg.topics import Topic, topic_keys
from retrieval.types import Intent, IntentMethod

if TYPE_CHECKING:
    from retrieval.embedders.base import Embedder

D, S, DR, CK = NodeType.DISEASE, NodeType.SYMPTOM, NodeType.DRUG, NodeType.CHECK


@dataclass(frozen=True, slots=True)
class Fetch:
    """What to read from the graph for one subject type."""

    relations: tuple[tuple[RelType, Direction], ...] = ()
    properties: tuple[str, ...] = ()
    reverse: bool = False


class Trait(Flag):
    """What an intent implies beyond what it fetches, read by retrieval and the answer generator."""

    NONE = 0
    #: a drug answer gets the safety note (禁忌, main 不良反应, kg.vocabulary.SAFETY_FIELDS) beside it
    SAFETY_NOTE = auto()
    #: a disease / symptom question about what to do: its drugs, plus checks and the department
    CARE = auto()
    #: the lists of same-ingredient entries are pooled into the asked drug's one ranked list
    POOLED = auto()
    #: the drug's indication list is checked against its own 禁忌 and reactions (retrieval.evidence.noise)
    NOISE_CHECKED = auto()
    #: a question naming two entities (or a drug class) can have this intent
    PAIR = auto()
    #: the answer sets its entities side by side (no "此外" between them)
    PARALLEL = auto()
    #: a vague intent: a specific one whose keyword is as long wins the tie
    GENERIC = auto()
    #: with a population (孕妇, 儿童 …) a drug question asks whether they may take it
    CAN_TAKE = auto()


@dataclass(frozen=True, slots=True)
class IntentSpec:
    name: str
    label: str  # Chinese, used in answers ("适应症")
    keywords: tuple[str, ...]
    fetch: dict[NodeType, Fetch]
    examples: tuple[str, ...] = field(default=())
    #: False: only its keywords select it (a topic the graph has no data for is never guessed)
    by_embedding: bool = True
    traits: Trait = Trait.NONE

    def plan(self, entity_type: NodeType) -> Fetch | None:
        return self.fetch.get(entity_type)


def _f(*rels: tuple[RelType, Direction], props: Sequence[str] = (), reverse: bool = False) -> Fetch:
    return Fetch(tuple(rels), tuple(props), reverse)


OUT, IN, BOTH = Direction.OUT, Direction.IN, Direction.BOTH
SAFETY_NOTE, CARE, POOLED, NOISE_CHECKED = Trait.SAFETY_NOTE, Trait.CARE, Trait.POOLED, Trait.NOISE_CHECKED
PAIR, PARALLEL, GENERIC, CAN_TAKE = Trait.PAIR, Trait.PARALLEL, Trait.GENERIC, Trait.CAN_TAKE
R = RelType

T = Topic  # which property keys answer which topic: kg.topics
_DRUG_INDICATION = _f((R.INDICATED_FOR, OUT), (R.TREATED_BY, IN), props=topic_keys(T.INDICATION, T.ACTION))
_DISEASE_DRUGS = _f((R.TREATED_BY, OUT), (R.INDICATED_FOR, IN), props=topic_keys(T.DRUG_TEXT, T.DRUG_CUT))
_DISEASE_SYMPTOMS = _f((R.HAS_SYMPTOM, OUT), props=topic_keys(T.SYMPTOMS))

INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec("indication", "适应症", (
        "适应症", "适应证", "适应病症", "适用于", "适用", "主治", "功能主治", "功效", "作用是", "什么作用", "有何作用",
        "啥作用", "治什么", "治啥", "治疗什么", "用于什么", "用于治疗", "能治", "可以治", "能治疗", "干什么的", "干啥的",
        "做什么用", "什么用", "有啥用", "用来", "用途", "治哪些", "治哪种", "是治", "管什么", "对什么病",
        "干啥用", "干什么用", "主要用于", "用于哪", "用在", "针对什么", "对哪些病", "效果是"),
        {DR: _DRUG_INDICATION, NodeType.INGREDIENT: _DRUG_INDICATION},
        ("这个药是治什么的", "这药有什么用", "主要用于哪些疾病", "适用于什么病"),
        traits=SAFETY_NOTE | POOLED | NOISE_CHECKED | CAN_TAKE),
    IntentSpec("adverse_reaction", "不良反应", (
        "副作用", "不良反应", "副反应", "毒副", "伤身", "伤肝", "伤肾", "坏处", "有什么反应", "有啥反应", "后遗",
        "毒性", "安全吗", "有害"),
        {DR: _f((R.ADVERSE_REACTION, OUT), props=topic_keys(T.ADVERSE)),
         NodeType.INGREDIENT: _f((R.ADVERSE_REACTION, OUT), props=topic_keys(T.ADVERSE))},
        ("吃了会不会不舒服", "服用后可能出现哪些问题", "对身体有什么影响"), traits=CAN_TAKE),
    IntentSpec("contraindication", "禁忌", (
        "禁忌", "禁用", "慎用", "不能用", "不宜", "哪些人不能", "什么人不能", "孕妇能", "孕妇可以", "哺乳期",
        "能不能吃", "可以吃吗", "能吃吗", "能用吗", "可以用吗", "注意事项", "注意什么", "要注意",
        # "儿童能吃左氧氟沙星吗": the drug's name sits between 能吃 and 吗
        "能吃", "能用", "能服", "可以吃", "可以用", "可以服"),
        {DR: _f((R.CONTRAINDICATED, OUT), props=topic_keys(T.CONTRAINDICATION, T.CAUTIONS)),
         NodeType.INGREDIENT: _f((R.CONTRAINDICATED, OUT), props=topic_keys(T.CONTRAINDICATION, T.CAUTIONS))},
        ("哪些人不适合吃", "什么情况下不能服用", "孕妇可以用吗"), traits=PAIR | CAN_TAKE),
    IntentSpec("usage", "用法用量", (
        "用法", "用量", "怎么吃", "怎么服", "怎么用", "如何服用", "如何使用", "怎样服用", "吃多少", "服用方法",
        "一次吃", "一天吃", "吃几", "几次", "剂量", "多久吃", "饭前", "饭后", "怎么喝", "服法", "一次几"),
        {DR: _f(props=topic_keys(T.DOSE, T.STRENGTH)), NodeType.INGREDIENT: _f(props=topic_keys(T.DOSE, T.STRENGTH))},
        ("每天吃几次", "一次吃几粒", "应该怎样服用"), traits=SAFETY_NOTE),
    IntentSpec("interaction", "相互作用", (
        "相互作用", "一起吃", "同时吃", "一起用", "同时用", "同服", "合用", "配伍", "同时服用", "一块吃", "搭配"),
        {DR: _f((R.INTERACTS_WITH, BOTH), props=topic_keys(T.INTERACTION)),
         NodeType.INGREDIENT: _f((R.INTERACTS_WITH, BOTH), props=topic_keys(T.INTERACTION))},
        ("和别的药一起吃有没有问题", "能不能和其他药同时服用"), traits=SAFETY_NOTE | PAIR | PARALLEL),
    IntentSpec("comparison", "区别", (
        "区别", "有什么区别", "有何区别", "不同", "有什么不同", "哪个好", "哪个更好", "哪个效果好", "比较", "差别",
        "差异", "对比", "不一样", "哪种好"),
        {DR: _f((R.IN_CATEGORY, OUT), (R.INDICATED_FOR, OUT), props=topic_keys(T.DRUG_TYPE, T.INSERT_INDICATION))},
        ("这两种药有什么不一样", "两个药哪个更好"), traits=PAIR | PARALLEL),
    IntentSpec("transmission", "传播途径", (
        "传染", "传播", "会传", "传人", "遗传吗", "怎么传"),
        {D: _f(props=topic_keys(T.TRANSMISSION))},
        ("会不会传给别人", "通过什么途径传播")),
    IntentSpec("ingredient", "成份", ("成份", "成分", "含有什么", "含什么", "组成", "主要成", "配方", "原料"),
        {DR: _f((R.HAS_INGREDIENT, OUT), props=topic_keys(T.INGREDIENT))},
        ("里面有什么东西", "是由什么做的"), traits=SAFETY_NOTE),
    IntentSpec("symptom", "症状", (
        "症状", "表现", "临床表现", "征兆", "迹象", "体征", "感觉", "什么反应", "不舒服", "会怎样", "会怎么样",
        "早期", "信号", "特征", "病症"),
        {D: _DISEASE_SYMPTOMS, S: _f((R.HAS_SYMPTOM, IN), reverse=True)},
        ("得了这个病身体会怎样", "患病以后有什么感觉", "有哪些临床表现")),
    # "how can I tell whether I have X": the symptoms first, then the checks that confirm it
    IntentSpec("self_check", "症状和检查", (
        "如何知道", "怎么知道", "怎样知道", "咋知道", "如何判断", "怎么判断", "怎样判断", "可以判断", "能判断",
        "判断自己", "判断是不是", "如何确定", "怎么确定", "怎样确定", "如何发现", "怎么发现", "自查", "自测",
        "有没有得", "是不是得了", "是否得了", "是不是患了", "是否患有", "如何识别", "怎么识别", "怎么看出"),
        {D: _f((R.HAS_SYMPTOM, OUT), (R.NEEDS_CHECK, OUT), props=topic_keys(T.SYMPTOMS, T.CHECKS))},
        ("怎么知道自己是不是得了这个病", "有什么表现可以判断", "如何判断自己有没有这个病")),
    IntentSpec("check", "检查", (
        "检查", "化验", "检验", "查什么", "查哪些", "诊断", "确诊", "筛查", "测什么", "拍片", "做什么项目", "去查"),
        {D: _f((R.NEEDS_CHECK, OUT), props=topic_keys(T.CHECKS)), S: _f((R.NEEDS_CHECK, OUT), props=topic_keys(T.CHECKS))},
        ("去医院要做哪些项目", "需要做什么检查才能确诊")),
    IntentSpec("drug", "治疗药物", (
        "什么药", "哪些药", "吃药", "用药", "药物治疗", "治疗药物", "哪种药", "药物", "服什么", "吃啥药", "常用药",
        "的药物", "药物有", "的药有", "药有哪些",
        "啥药", "哪个药", "开什么药", "用什么药", "药品",
        # longer than diet's 能吃什么: "哺乳期妇女失眠能吃什么药" asks for drugs, not food
        "能吃什么药", "可以吃什么药", "能用什么药", "可以用什么药", "能吃哪些药", "能吃啥药"),
        {D: _DISEASE_DRUGS, S: _f((R.INDICATED_FOR, IN), reverse=True)},
        ("应该吃点什么来治", "医生一般开什么", "有什么特效的"), traits=CARE),
    IntentSpec("department", "就诊科室", (
        "科室", "什么科", "哪个科", "哪科", "挂号", "挂什么", "挂哪", "看什么科", "哪个部门"),
        {D: _f((R.IN_DEPARTMENT, OUT), props=topic_keys(T.DEPARTMENT)), S: _f((R.IN_DEPARTMENT, OUT))},
        ("去医院挂什么号", "应该看哪个医生")),
    IntentSpec("cause", "病因", (
        "病因", "原因", "为什么会", "怎么引起", "什么引起", "引起的", "导致", "怎么得的", "诱因", "怎么回事", "成因",
        "为什么得", "怎么会得"),
        {D: _f((R.HAS_CAUSE, OUT), props=topic_keys(T.CAUSE)), S: _f((R.HAS_SYMPTOM, IN), reverse=True)},
        ("为什么会得这个病", "是怎么得上的")),
    IntentSpec("prevention", "预防", ("预防", "避免", "防止", "怎么防", "如何防", "防范", "预防措施"),
        {D: _f(props=topic_keys(T.PREVENTION))},
        ("怎么才能不得这个病", "平时要注意什么才不会得")),
    IntentSpec("complication", "并发症", ("并发症", "合并症", "引发什么", "会引起什么", "导致什么", "后果", "继发"),
        {D: _f((R.COMPLICATION, OUT), props=topic_keys(T.COMPLICATION))},
        ("严重了会怎么样", "会不会引起别的病")),
    IntentSpec("diet", "饮食", (
        "饮食", "吃什么好", "食物", "忌口", "不能吃什么", "能吃什么", "食疗", "菜谱", "食谱", "宜吃", "忌吃", "吃什么菜",
        "补什么", "吃啥好", "多吃", "少吃", "饮食注意"),
        {D: _f((R.GOOD_FOOD, OUT), (R.AVOID_FOOD, OUT), props=topic_keys(T.GOOD_FOOD, T.AVOID_FOOD, T.RECIPES))},
        ("平时吃东西要注意什么", "吃什么对身体恢复有帮助")),
    IntentSpec("treatment", "治疗", (
        "怎么治", "如何治", "治疗方法", "怎么办", "治疗方式", "治好", "疗法", "怎样治", "如何治疗", "怎么治疗",
        "治疗"),
        {D: _f((R.TREATED_BY, OUT), props=topic_keys(T.TREATMENT, T.DRUG_TEXT)),
         S: _f((R.INDICATED_FOR, IN), reverse=True)},
        ("这个病怎么治", "有什么治疗办法"), traits=CARE | GENERIC),
    # whether and how fast it is cured: xywy's 治愈率 / 治疗周期 answer it, not the list of drugs
    IntentSpec("prognosis", "治愈率与疗程", (
        "能治愈", "可以治愈", "治愈吗", "治愈率", "能治好", "治得好", "能好吗", "会好吗", "好治吗", "能根治", "根治",
        "治疗周期", "疗程", "多久能好", "多长时间能好", "多久好", "能痊愈", "痊愈", "能不能好", "预后"),
        {D: _f(props=topic_keys(T.PROGNOSIS))},
        ("这个病能好吗", "需要多长时间恢复")),
    IntentSpec("prevalence", "患病比例与易感人群", (
        "发病率", "患病率", "患病比例", "多常见", "常见吗", "多少人得", "得的人多", "易感人群", "哪些人容易",
        "什么人容易", "谁容易得", "高发人群", "好发人群", "容易得"),
        {D: _f(props=topic_keys(T.PREVALENCE))},
        ("这个病常见吗", "什么样的人容易得")),
    # questions the graph holds no data for: asked, they get an honest "not in the knowledge base"
    # naming the entity and the topic, instead of some other list about the entity
    # crawled fee estimates are regional and dated: never shown (see models.generators.focus), so a
    # cost question is refused for diseases as for drugs
    IntentSpec("cost", "费用", (
        "多少钱", "费用", "花费", "花多少", "贵不贵", "贵吗", "价格", "价钱", "一盒多少"),
        {D: _f(), DR: _f(), NodeType.INGREDIENT: _f()}, by_embedding=False),
    IntentSpec("insurance", "医保", ("医保", "报销", "能报吗", "社保", "农合"),
        {D: _f(props=topic_keys(T.INSURANCE)), DR: _f(props=topic_keys(T.INSURANCE, T.DRUG_TYPE))}, by_embedding=False),
    *(IntentSpec(name, label, keywords, {DR: _f(props=props), NodeType.INGREDIENT: _f(props=props)},
                 by_embedding=False)
      for name, label, keywords, props in (
          ("manufacturer", "生产厂家", ("生产厂家", "厂家", "哪个公司", "哪家公司", "什么公司", "厂商", "生产的"),
           topic_keys(T.MANUFACTURER)),
          ("approval", "批准文号", ("批准文号", "批号", "国药准字"), topic_keys(T.APPROVAL)),
          ("shelf_life", "有效期", ("保质期", "有效期", "过期"), topic_keys(T.SHELF_LIFE)),
          ("storage", "贮藏方法", ("贮藏", "储存", "保存", "存放"), topic_keys(T.STORAGE)),
          ("purchase", "购买渠道", ("哪里买", "哪里可以买", "哪儿买", "在哪买", "去哪买", "买得到", "买到", "哪里有卖",
                                "药店有", "网上买", "购买"), topic_keys(T.PURCHASE)))),
    # 质子泵抑制剂有哪些: chosen by retrieval.pairs.drug_classes (a class named in the question), never by keywords
    IntentSpec("class_members", "同类药物", (), {NodeType.CATEGORY: _f((R.IN_CLASS, IN))}, by_embedding=False),
    IntentSpec("referral", "医院与医生推荐", (
        "哪家医院", "哪个医院", "什么医院", "医院好", "好医院", "推荐医院", "医院推荐", "专家", "名医", "哪个医生好",
        "推荐医生", "推荐一个医生", "挂谁的号", "哪里治", "去哪治", "去哪里治", "哪里看"),
        {D: _f(props=topic_keys(T.REFERRAL)), DR: _f(props=topic_keys(T.REFERRAL)), S: _f(props=topic_keys(T.REFERRAL))},
        by_embedding=False),
    IntentSpec("disease_of_symptom", "相关疾病", (
        "哪些病", "什么病", "什么疾病", "哪些疾病", "是什么病", "哪种病", "啥病", "什么原因"),
        {S: _f((R.HAS_SYMPTOM, IN), reverse=True),
         D: _f((R.HAS_SYMPTOM, IN), (R.COMPLICATION, IN), reverse=True)},  # 头痛 is also a disease
        ("出现这种情况可能是得了什么", "这是哪种病的表现")),
)

OVERVIEW = IntentSpec("overview", "概况", ("是什么", "什么是", "介绍", "简介", "概述", "了解", "是啥"), {},
                      ("介绍一下", "说说这个", "这是什么东西", "给我讲讲", "想了解一下"),
                      traits=SAFETY_NOTE | NOISE_CHECKED | GENERIC | CAN_TAKE)
BY_NAME: dict[str, IntentSpec] = {s.name: s for s in (*INTENTS, OVERVIEW)}



def has_trait(intent: str, trait: Trait) -> bool:
    """Whether the intent named `intent` has `trait` (an unknown name has none)."""
    spec = BY_NAME.get(intent)
    return spec is not None and trait in spec.traits


def intents_with(trait: Trait) -> frozenset[str]:
    """The names of the intents that have `trait`."""
    return frozenset(name for name, spec in BY_NAME.items() if trait in spec.traits)


#: Intents that imply a subject type, used to break ties between same-name entities.
IMPLIED_TYPES: dict[str, tuple[NodeType, ...]] = {
    name: tuple(spec.fetch) for name, spec in BY_NAME.items() if spec.fetch
}

_PUNCT = re.compile(r"[\s，。？！、,.?!:：；;\"'“”（）()]+")


class IntentClassifier:
    """Rules first; the optional embedder handles phrasings the rules miss."""

    def __init__(self, embedder: Embedder | None = None, threshold: float = 0.9) -> None:
        self._embedder = embedder
        self._threshold = threshold
        self._example_vecs: np.ndarray | None = None
        self._example_intents: list[str] = []

    def warm_up(self) -> None:
        if self._embedder is None or self._example_vecs is not None:
            return
        texts: list[str] = []
        for spec in (*INTENTS, OVERVIEW):
            if not spec.by_embedding:
                continue
            for ex in (*spec.examples, *spec.keywords[:6]):
                texts.append(ex)
                self._example_intents.append(spec.name)
        self._example_vecs = self._embedder.embed_queries(texts)

    def rule_candidates(self, text: str) -> list[tuple[str, int, int]]:
        """(intent, longest keyword length, position) for every intent whose keyword occurs."""
        found: list[tuple[str, int, int]] = []
        for spec in (*INTENTS, OVERVIEW):
            best = None
            for kw in spec.keywords:
                pos = text.find(kw)
                if pos >= 0 and (best is None or len(kw) > best[0]):
                    best = (len(kw), pos)
            if best:
                found.append((spec.name, best[0], best[1]))
        return found

    def classify(self, question: str, entity_type: NodeType | None, mention: str = "") -> Intent:
        text = question.replace(mention, " ") if mention else question
        cands = self.rule_candidates(text)
        compatible = [c for c in cands if entity_type is None or BY_NAME[c[0]].plan(entity_type) is not None]
        if compatible:
            # longest cue wins; on a tie a specific intent beats the generic treatment/overview ones
            name, length, _ = max(compatible, key=lambda c: (c[1], not has_trait(c[0], GENERIC), -c[2]))
            spec = BY_NAME[name]
            plan = spec.plan(entity_type) if entity_type else None
            return Intent(name=name, score=1.0, method=IntentMethod.RULE, reverse=bool(plan and plan.reverse))
        if cands and entity_type is None:
            name = max(cands, key=lambda c: (c[1], -c[2]))[0]
            return Intent(name=name, score=0.9, method=IntentMethod.RULE)
        emb = self._by_embedding(text, entity_type)
        if emb is not None:
            return emb
        return Intent(name="overview", score=0.5, method=IntentMethod.DEFAULT)

    def _by_embedding(self, text: str, entity_type: NodeType | None) -> Intent | None:
        if self._embedder is None:
            return None
        self.warm_up()
        assert self._example_vecs is not None
        cleaned = _PUNCT.sub(" ", text).strip()
        if not cleaned:
            return None
        q = self._embedder.embed_queries([cleaned])[0]
        sims = self._example_vecs @ q
        best: dict[str, float] = {}
        for intent, s in zip(self._example_intents, sims, strict=True):
            if entity_type is not None and intent != "overview" and BY_NAME[intent].plan(entity_type) is None:
                continue
            best[intent] = max(best.get(intent, -1.0), float(s))
        if not best:
            return None
        name = max(best, key=best.__getitem__)
        if best[name] < self._threshold:
            return None
        plan = BY_NAME[name].plan(entity_type) if entity_type else None
        return Intent(name=name, score=round(best[name], 4), method=IntentMethod.EMBEDDING, reverse=bool(plan and plan.reverse))


def implied_types(question: str, classifier: IntentClassifier) -> list[NodeType]:
    """Subject types the question's wording implies (before linking), best first."""
    out: list[NodeType] = []
    for name, _, _ in sorted(classifier.rule_candidates(question), key=lambda c: -c[1]):
        for t in IMPLIED_TYPES.get(name, ()):
            if t not in out:
                out.append(t)
    return out


#: Words that make a turn without a name of its own a medical follow-up besides the intent cues
#: (the population asked about, severity, contagion …).
FOLLOW_UP_CUES: tuple[str, ...] = (
    "孕妇", "怀孕", "哺乳", "喂奶", "儿童", "小孩", "孩子", "宝宝", "婴儿", "老人", "老年", "肝肾", "过敏",
    "严重吗", "要紧吗", "危险吗", "传染", "遗传", "会死", "能好", "好得了", "复发", "手术", "能吃吗", "能用吗",
    "能喝吗", "吃多久", "用多久", "多久", "停药", "过量", "漏服", "饭前", "饭后", "空腹", "喝酒", "饮酒")


def is_follow_up(question: str, classifier: IntentClassifier) -> bool:
    """Does a turn that names nothing ask a medical question about what came before?

    An intent cue (副作用, 禁忌, 怎么用, 吃多少 …) or a follow-up cue (孕妇能用吗, 严重吗); an
    off-topic turn ("帮我订一张机票") has none, and is refused instead of inheriting."""
    if any(cue in question for cue in FOLLOW_UP_CUES):
        return True
    if any(name != "overview" for name, _, _ in classifier.rule_candidates(question)):
        return True
    intent = classifier._by_embedding(question, None)
    return intent is not None and intent.name != "overview"
