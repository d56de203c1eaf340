"""The project's one vocabulary: how node types, relationships (both directions), datasets and
safety fields read in Chinese, and the key suffix a source uses for cut-off list items.

Read a label from these tables rather than writing it again: a label changed here changes every
place that reads it (a module that keeps its own copy does not follow)."""

from __future__ import annotations

from kg.schema import Direction, NodeType, RelType

#: How each node type reads in Chinese (card badges, answer headers, links).
TYPE_LABELS: dict[str, str] = {
    NodeType.DRUG: "药品", NodeType.DISEASE: "疾病", NodeType.SYMPTOM: "症状", NodeType.CHECK: "检查",
    NodeType.DEPARTMENT: "科室", NodeType.INGREDIENT: "成分", NodeType.FOOD: "食物", NodeType.CATEGORY: "类别",
    NodeType.CAUSE: "病因", NodeType.CONCEPT: "条目",
}

#: How each relationship reads from its subject's side ("非布司他片的适应症").
REL_LABELS: dict[RelType, str] = {
    RelType.INDICATED_FOR: "适应症",
    RelType.ADVERSE_REACTION: "不良反应",
    RelType.CONTRAINDICATED: "禁忌",
    RelType.INTERACTS_WITH: "相互作用",
    RelType.HAS_INGREDIENT: "成份",
    RelType.IN_CATEGORY: "分类",
    RelType.IN_CLASS: "药物类别",
    RelType.HAS_SYMPTOM: "症状",
    RelType.NEEDS_CHECK: "检查",
    RelType.TREATED_BY: "治疗药物",
    RelType.IN_DEPARTMENT: "就诊科室",
    RelType.COMPLICATION: "并发症",
    RelType.HAS_CAUSE: "病因",
    RelType.GOOD_FOOD: "宜吃食物",
    RelType.AVOID_FOOD: "忌吃食物",
    RelType.RELATED_TO: "相关",
}

#: How a relationship reads from its object's side ("可用于治疗痛风的药物"); {name} is the object.
INCOMING_LABELS: dict[RelType, str] = {
    RelType.INDICATED_FOR: "可用于治疗{name}的药物",
    RelType.ADVERSE_REACTION: "可引起{name}的药物",
    RelType.CONTRAINDICATED: "以{name}为禁忌的药物",
    RelType.INTERACTS_WITH: "与{name}有相互作用的药物",
    RelType.HAS_INGREDIENT: "含有{name}的药物",
    RelType.IN_CATEGORY: "属于{name}的药物",
    RelType.IN_CLASS: "{name}类药物",
    RelType.HAS_SYMPTOM: "可出现{name}的疾病",
    RelType.NEEDS_CHECK: "需做{name}的疾病",
    RelType.TREATED_BY: "可用{name}治疗的疾病",
    RelType.IN_DEPARTMENT: "在{name}就诊的疾病",
    RelType.COMPLICATION: "可并发{name}的疾病",
    RelType.HAS_CAUSE: "由{name}引起的疾病",
    RelType.GOOD_FOOD: "宜吃{name}的疾病",
    RelType.AVOID_FOOD: "忌吃{name}的疾病",
    RelType.RELATED_TO: "与{name}相关的条目",
}

#: Evidence field names (relationship values, "TYPE<-" for incoming) → Chinese; property names pass through.
FIELD_LABELS: dict[str, str] = {rel.value: label for rel, label in REL_LABELS.items()}

#: Dataset names → how a clinician sees them (citations, card badges).
SOURCE_LABELS: dict[str, str] = {"cmekg": "CMeKG", "xywy": "寻医问药", "39health": "39健康", "caregpt": "药品手册",
                                 "jsonl": "用户数据", "atc": "ATC分类表（维基百科）", "inn-stem": "INN词干推断", "name-pattern": "药名模式推断",
                                 "source-class": "来源分类文本",
                                 "qizhen-class-safety": "人群用药类别规则（QiZhen，依据FDA/国家处方集/Beers等）"}

#: Two readings of one fact family say the same thing: a drug's 适应症 and the diseases that list it as
#: treatment ("treats"); a disease's 治疗药物 and the drugs indicated for it ("treated"). Ranked as one
#: list (retrieval.evidence.ranking) and said as one sentence (models.generators.extractive).
FAMILY: dict[tuple[RelType, Direction], str] = {
    (RelType.INDICATED_FOR, Direction.OUT): "treats",
    (RelType.TREATED_BY, Direction.IN): "treats",
    (RelType.TREATED_BY, Direction.OUT): "treated",
    (RelType.INDICATED_FOR, Direction.IN): "treated",
}
#: The suffix of an evidence field read from the object's side ("TREATED_BY<-").
INCOMING_SUFFIX = "<-"

#: Evidence fields that make up a drug's safety note (禁忌, main 不良反应).
SAFETY_FIELDS: tuple[str, ...] = ("CONTRAINDICATED", "禁忌", "禁忌证", "ADVERSE_REACTION", "不良反应")

#: A property key ending in this holds list items a source cut off with "..." that match no node.
#: why the cleaning stage flagged a fact (kg.cleaning.Reason), for people
FLAG_LABELS: dict[str, str] = {"trial_design": "临床试验用语", "lab_analyte": "化验指标名称", "generic_word": "泛指词",
                               "wrong_type": "类型不符", "near_duplicate": "重复条目", "tcm_action": "功效用语，非病症",
                               "superseded": "已由ATC表分类取代"}

TRUNCATED_SUFFIX = "_截断"
TRUNCATED_LABEL = "（原文名称不全）"


def type_label(node_type: str) -> str:
    return TYPE_LABELS.get(node_type, node_type)


def source_label(dataset: str) -> str:
    return SOURCE_LABELS.get(dataset, dataset)


def field_code(rel: RelType, direction: Direction) -> str:
    """The evidence field of a relationship read one way: 'INDICATED_FOR', 'TREATED_BY<-'."""
    return rel.value if direction == Direction.OUT else f"{rel.value}{INCOMING_SUFFIX}"


def parse_field(field: str) -> tuple[RelType, Direction] | None:
    """'TREATED_BY<-' → (TREATED_BY, IN); None for a property name."""
    code = field.removesuffix(INCOMING_SUFFIX)
    try:
        rel = RelType(code)
    except ValueError:
        return None
    return rel, Direction.IN if code != field else Direction.OUT


def field_family(field: str) -> str | None:
    """The FAMILY of an evidence field ('TREATED_BY<-' → 'treats'), None outside a family."""
    parsed = parse_field(field)
    return FAMILY.get(parsed) if parsed else None


def rel_label(rel: RelType, direction: Direction, name: str) -> str:
    """A relationship read from the subject's side (适应症) or from the object's, `name`
    (可用于治疗痛风的药物): a card section's title, a citation's field."""
    return REL_LABELS[rel] if direction == Direction.OUT else INCOMING_LABELS[rel].format(name=name)


def rel_heading(rel: RelType, direction: Direction, name: str, predicate: str = "") -> str:
    """An evidence list's heading: '非布司他片的适应症' (or the source's own `predicate`) for
    outgoing facts, '可用于治疗痛风的药物' for incoming ones."""
    if direction == Direction.OUT:
        return f"{name}的{predicate or REL_LABELS[rel]}"
    return INCOMING_LABELS[rel].format(name=name)


def field_label(field: str, entity: str = "") -> str:
    """An evidence field in Chinese: 'INDICATED_FOR' → 适应症; 'TREATED_BY<-' → 可用{entity}治疗的疾病
    given the entity (a code without it); a property name reads as itself, a cut-off list key with
    its note."""
    if field.endswith(TRUNCATED_SUFFIX):
        return field.removesuffix(TRUNCATED_SUFFIX) + TRUNCATED_LABEL
    parsed = parse_field(field)
    if parsed is None:
        return field
    rel, direction = parsed
    if direction == Direction.IN and not entity:
        return field
    return rel_label(rel, direction, entity)


def is_truncated_key(key: str) -> bool:
    return key.endswith(TRUNCATED_SUFFIX)
