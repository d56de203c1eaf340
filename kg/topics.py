"""Which property keys answer which topic: the one table.

Sources write long texts under their own keys (CMeKG's 适应症, CareGPT's 适应证, xywy's 症状详情, a
site's cut-off list under 症状_截断 — see kg/sources/*). A topic names the keys that hold one kind of
text, in the order they are read (the first key a source writes leads). Questions (retrieval.intents),
the entity card's sections (app.cards), answers (models.generators.extractive) and the fine-tuning
questions (models.finetune.questions) all compose their keys from this table, so a key a new source
writes is added here once.
"""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    # a drug's monograph
    INDICATION = "indication"  # what the drug treats, in prose
    #: a package insert's indication paragraph (CareGPT's 适应证, a patent medicine's 功能主治)
    INSERT_INDICATION = "insert_indication"
    ACTION = "action"  # a herb's 功效 (CMeKG), read with its indications
    ADVERSE = "adverse_reaction"
    CONTRAINDICATION = "contraindication"
    CAUTIONS = "cautions"
    WARNINGS = "warnings"
    DOSE = "dose"
    STRENGTH = "strength"  # 规格, 剂型: what a dose is counted in
    INTERACTION = "interaction"
    INGREDIENT = "ingredient"
    DRUG_TYPE = "drug_type"  # 药品类型: 西药/中成药, OTC, 医保
    CLASS_TEXT = "class_text"  # a source's own class words (分类, 用途分类)
    MANUFACTURER = "manufacturer"
    APPROVAL = "approval"
    SHELF_LIFE = "shelf_life"
    STORAGE = "storage"
    PURCHASE = "purchase"
    REFERRAL = "referral"  # hospitals and doctors
    # a disease's page
    OVERVIEW = "overview"
    SYMPTOMS = "symptoms"
    CHECKS = "checks"
    DRUG_TEXT = "drug_text"  # a disease's drug treatment in prose
    DRUG_CUT = "drug_cut"  # a site's drug list items that match no node
    DEPARTMENT = "department"
    CAUSE = "cause"
    PREVENTION = "prevention"
    COMPLICATION = "complication"
    GOOD_FOOD = "good_food"
    AVOID_FOOD = "avoid_food"
    RECIPES = "recipes"
    TREATMENT = "treatment"
    PROGNOSIS = "prognosis"  # whether and how fast it is cured
    PREVALENCE = "prevalence"
    TRANSMISSION = "transmission"
    INSURANCE = "insurance"
    NURSING = "nursing"


#: Topic → the property keys that hold it, in reading order (`*_截断`: list items a source cut off).
TOPIC_KEYS: dict[Topic, tuple[str, ...]] = {
    Topic.INDICATION: ("适应证", "适应症", "功能主治", "主治"),
    Topic.INSERT_INDICATION: ("适应证", "功能主治"),
    Topic.ACTION: ("功效", "功用"),
    Topic.ADVERSE: ("不良反应",),
    Topic.CONTRAINDICATION: ("禁忌证", "禁忌"),
    Topic.CAUTIONS: ("注意事项",),
    Topic.WARNINGS: ("警示语",),
    Topic.DOSE: ("用法用量", "用量"),
    Topic.STRENGTH: ("规格", "剂型"),
    Topic.INTERACTION: ("药物相互作用",),
    Topic.INGREDIENT: ("成份", "组成"),
    Topic.DRUG_TYPE: ("药品类型",),
    Topic.CLASS_TEXT: ("分类", "用途分类"),
    Topic.MANUFACTURER: ("生产厂家", "生产企业"),
    Topic.APPROVAL: ("批准文号",),
    Topic.SHELF_LIFE: ("有效期",),
    Topic.STORAGE: ("贮藏",),
    Topic.PURCHASE: ("购买渠道",),
    Topic.REFERRAL: ("推荐医院",),
    Topic.OVERVIEW: ("简介",),
    Topic.SYMPTOMS: ("症状_截断", "症状详情"),
    Topic.CHECKS: ("检查_截断", "检查"),
    Topic.DRUG_TEXT: ("药物治疗",),
    Topic.DRUG_CUT: ("常用药物_截断",),
    Topic.DEPARTMENT: ("就诊科室", "科室_截断"),
    Topic.CAUSE: ("病因", "常见病因"),
    Topic.PREVENTION: ("预防",),
    Topic.COMPLICATION: ("并发症", "并发症_截断"),
    Topic.GOOD_FOOD: ("宜食", "宜吃食物_截断"),
    Topic.AVOID_FOOD: ("忌食", "忌吃食物_截断"),
    Topic.RECIPES: ("推荐食谱",),
    Topic.TREATMENT: ("治疗方式", "治疗", "治疗周期", "治愈率"),
    Topic.PROGNOSIS: ("治愈率", "治疗周期", "治疗方式"),
    Topic.PREVALENCE: ("患病比例", "易感人群"),
    Topic.TRANSMISSION: ("传播途径", "传染性", "易感人群"),
    Topic.INSURANCE: ("医保",),
    Topic.NURSING: ("护理",),
}


def topic_keys(*topics: Topic) -> tuple[str, ...]:
    """The keys of `topics`, in order, each once."""
    return tuple(dict.fromkeys(k for t in topics for k in TOPIC_KEYS[t]))
