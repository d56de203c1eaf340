"""The project's one vocabulary: how node types, relationships (both directions), datasets and
safety fields read in Chinese, and the key suffix a source uses for cut-off list items.

Every layer imports these tables from here (answers, prompts, evidence, cards, the UI); no copy
lives anywhere else, so a label changed here changes everywhere at once."""

from __future__ import annotations

from kg.schema import NodeType, RelType

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
                                 "jsonl": "用户数据", "atc": "ATC分类表（维基百科）", "inn-stem": "INN词干推断",
                                 "source-class": "来源分类文本",
                                 "qizhen-class-safety": "人群用药类别规则（QiZhen，依据FDA/国家处方集/Beers等）"}

#: Evidence fields that make up a drug's safety note (禁忌, main 不良反应).
SAFETY_FIELDS: tuple[str, ...] = ("CONTRAINDICATED", "禁忌", "禁忌证", "ADVERSE_REACTION", "不良反应")
#: Drug questions that get that safety note besides their answer.
SAFETY_INTENTS: frozenset[str] = frozenset({"indication", "usage", "overview", "interaction", "ingredient"})

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


def field_label(field: str) -> str:
    """'INDICATED_FOR' → 适应症; 'TREATED_BY<-' stays a code for callers that know the entity (see
    INCOMING_LABELS); a property name reads as itself, a cut-off list key with its note."""
    if field.endswith(TRUNCATED_SUFFIX):
        return field.removesuffix(TRUNCATED_SUFFIX) + TRUNCATED_LABEL
    return FIELD_LABELS.get(field, field)


def is_truncated_key(key: str) -> bool:
    return key.endswith(TRUNCATED_SUFFIX)
