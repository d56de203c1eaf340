"""Class-level population safety rules (dataset `qizhen-class-safety`): what a drug class means for a
pregnant woman, a breastfeeding mother, a child, an older person or a patient with kidney or liver
impairment, written from standard clinical references — not read from any product's label.

Many products in the graph carry no text for a population (an ACE inhibitor's label extract without
its 孕妇禁用 sentence), so a filter that reads labels alone offers them as choices. These rules fill
that gap by class: a rule matches a drug by an ATC code prefix of its IN_CLASS classes (kg.classes)
or, for products without a class edge and for combinations, by a generic-name pattern.

Each rule carries its verdict (禁用 / 慎用 / 可用, `preferred` for a first choice), the population,
a short reason and the reference it follows. Evidence cites it as its own dataset with support
"类别规则", so a reader sees a class rule, not the product's label. How a rule meets a product's own
label text is decided in retrieval.safety.population (`verdict_for`): an explicit label verdict wins, except
that a class ban is not lifted by a label that only cautions or only gives a dose.

References (short names used in `ref`):
  FDA    FDA pregnancy / lactation labelling and class safety communications
  CNF    中国国家处方集（化学药品与生物制品卷）
  NMPA   国家药监局说明书修订公告（class label revisions）
  Beers  AGS Beers Criteria 2023 (older adults)
  KDIGO  KDIGO / 中国2型糖尿病防治指南 (drugs in kidney impairment)
  WHO    WHO / 中国儿童用药指南 (children's first choices)
  LactMed NIH LactMed (drugs in breastfeeding)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from kg.schema import Entity
from retrieval.safety.population import ClassReader, Population, SafetyVerdict, Verdict

DATASET = "qizhen-class-safety"
SUPPORT = "类别规则"
#: Where a rule's reason is shown: the field of its SafetyVerdict.
FIELD = "类别规则"


@dataclass(frozen=True, slots=True)
class ClassRule:
    population: str  # retrieval.safety.population.Population.key
    verdict: Verdict
    label: str  # the class as a reader names it ("血管紧张素转换酶抑制剂")
    codes: tuple[str, ...]  # ATC code prefixes
    names: re.Pattern[str] | None  # generic-name pattern (products without a class edge, combinations)
    reason: str
    ref: str
    preferred: bool = False  # a first choice for the population (可用-首选)

    def matches(self, name: str, codes: Iterable[str]) -> bool:
        if any(c.startswith(p) for c in codes for p in self.codes):
            return True
        return bool(self.names and self.names.search(name))


_C, _K, _A = Verdict.CONTRAINDICATED, Verdict.CAUTION, Verdict.ALLOWED


def _r(pop: str, verdict: Verdict, label: str, codes: str, names: str, reason: str, ref: str,
       preferred: bool = False) -> ClassRule:
    return ClassRule(pop, verdict, label, tuple(codes.split()), re.compile(names) if names else None,
                     reason, ref, preferred)


# generic-name patterns shared by several populations
_ACEI = r"普利(?!酮)"
_ARB = r"沙坦"
_STATIN = r"他汀"
_FQ = r"沙星"
_TETRA = r"四环素|多西环素|米诺环素|土霉素|金霉素|地美环素|美他环素"
_AMINOGLY = r"庆大霉素|阿米卡星|妥布霉素|链霉素|卡那霉素|奈替米星|依替米星|异帕米星|新霉素|大观霉素"
_CODEINE = r"可待因|福尔可定|乙基吗啡"
_SALICYL = r"阿司匹|阿咖|赖氨匹林|卡巴匹林|贝诺酯|水杨酸镁|双水杨酯|二氟尼柳"
_NSAID = r"布洛芬|萘普生|双氯芬酸|吲哚美辛|酮洛芬|洛索洛芬|美洛昔康|吡罗昔康|氯诺昔康|塞来昔布|依托考昔|尼美舒利|氟比洛芬|醋氯芬酸|萘丁美酮|酮咯酸|帕瑞昔布"
_NSAID_CODES = "M01AA M01AB M01AC M01AE M01AG M01AH M01AX01 M01AX17"
_BZD_LONG = r"地西泮|氟西泮|氯氮䓬|硝西泮|氟硝西泮|氯硝西泮|夸西泮|氯䓬酸"
_BZD = _BZD_LONG + r"|艾司唑仑|阿普唑仑|三唑仑|劳拉西泮|奥沙西泮|咪达唑仑|替马西泮|溴替唑仑"
_Z = r"唑吡坦|佐匹克隆|扎来普隆"
_ANTIHIST1 = r"苯海拉明|氯苯那敏|扑尔敏|异丙嗪|赛庚啶|羟嗪|茶苯海明|曲普利啶|酮替芬|美克洛嗪|溴苯那敏"
_TCA = r"阿米替林|丙米嗪|丙咪嗪|氯米帕明|多塞平|去甲替林|地昔帕明|曲米帕明"
_ANTINEO = r"甲氨蝶呤|环磷酰胺|氟尿嘧啶|卡培他滨|他莫昔芬|来曲唑|阿那曲唑"
_RETINOID = r"维A酸|异维A酸|阿维A|维胺酯|阿达帕林|他扎罗汀|贝沙罗汀"
_SULFONYLUREA = r"格列本脲|格列美脲|格列齐特|格列吡嗪|氯磺丙脲|甲苯磺丁脲"
_PENICILLIN = r"西林|青霉素"
_CEPH = r"头孢"

RULES: tuple[ClassRule, ...] = (
    # -- pregnancy --------------------------------------------------------------------------------
    _r("pregnancy", _C, "血管紧张素转换酶抑制剂", "C09A C09B", _ACEI,
       "妊娠中晚期可致胎儿肾损害、羊水过少甚至死亡", "FDA"),
    _r("pregnancy", _C, "血管紧张素II受体拮抗剂", "C09C C09D", _ARB,
       "妊娠中晚期可致胎儿肾损害、羊水过少甚至死亡", "FDA"),
    _r("pregnancy", _C, "肾素抑制剂", "C09X", r"阿利吉仑", "作用于肾素-血管紧张素系统，胎儿毒性", "FDA"),
    _r("pregnancy", _C, "他汀类", "C10AA C10BA C10BX", _STATIN, "妊娠期禁用（胆固醇合成对胎儿发育必需）", "CNF"),
    _r("pregnancy", _C, "维生素K拮抗剂", "B01AA", r"华法林|醋硝香豆素|苯丙香豆素", "致胎儿华法林综合征、出血", "FDA"),
    _r("pregnancy", _C, "四环素类", "J01AA", _TETRA, "影响胎儿牙齿和骨骼发育", "CNF"),
    _r("pregnancy", _C, "喹诺酮类", "J01MA", _FQ, "动物实验损伤幼年关节软骨，孕妇避免使用", "CNF"),
    _r("pregnancy", _C, "氨基糖苷类", "J01GB J01GA", _AMINOGLY, "可致胎儿耳毒性（第八对脑神经损害）", "FDA"),
    _r("pregnancy", _C, "氯霉素类", "J01BA", r"氯霉素|甲砜霉素", "可致新生儿灰婴综合征", "CNF"),
    _r("pregnancy", _C, "前列腺素类", "A02BB G02AD", r"米索前列醇|卡前列|地诺前列|吉美前列素", "可致流产、子宫收缩", "FDA"),
    _r("pregnancy", _C, "维A酸类", "D10BA D05BB D10AD L01XF", _RETINOID, "强致畸", "FDA"),
    _r("pregnancy", _C, "抗肿瘤药与抗代谢药", "L01", _ANTINEO, "致畸、胚胎毒性", "FDA"),
    _r("pregnancy", _C, "丙戊酸类", "N03AG", r"丙戊酸", "神经管缺陷等严重致畸", "FDA"),
    _r("pregnancy", _K, "其他抗癫痫药", "N03AF N03AB N03AA", r"卡马西平|苯妥英|苯巴比妥|托吡酯",
       "有致畸风险，须专科权衡", "CNF"),
    _r("pregnancy", _C, "利巴韦林", "J05AP01", r"利巴韦林", "明确致畸和胚胎毒性", "FDA"),
    _r("pregnancy", _C, "金刚烷胺类", "N04BB J05AC", r"烷胺|金刚乙胺", "动物实验致畸，孕妇禁用", "CNF"),
    _r("pregnancy", _C, "沙利度胺类", "", r"沙利度胺|来那度胺|泊马度胺", "强致畸", "FDA"),
    _r("pregnancy", _C, "抗孕激素", "G03XB", r"米非司酮", "终止妊娠", "CNF"),
    _r("pregnancy", _C, "免疫抑制剂（来氟米特、霉酚酸类）", "L04AA", r"来氟米特|特立氟胺|麦考酚|霉酚酸", "致畸", "FDA"),
    _r("pregnancy", _C, "雄激素与同化激素", "G03B A14A", r"睾酮|达那唑|苯丙酸诺龙|司坦唑醇", "女胎男性化", "FDA"),
    _r("pregnancy", _C, "雌激素", "G03C", r"己烯雌酚|雌二醇|炔雌醇|尼尔雌醇|结合雌激素", "妊娠期禁用", "CNF"),
    _r("pregnancy", _C, "5α还原酶抑制剂", "G04CB", r"非那雄胺|度他雄胺", "致男胎外生殖器异常", "FDA"),
    _r("pregnancy", _C, "内皮素受体拮抗剂", "C02KX", r"波生坦|安立生坦|马昔腾坦", "致畸", "FDA"),
    _r("pregnancy", _C, "麦角生物碱", "N02CA G02AB", r"麦角胺|麦角新碱|甲麦角新碱|双氢麦角", "可致子宫收缩", "CNF"),
    _r("pregnancy", _C, "碘化物与放射性碘", "V10XA H03C", r"碘化钾|碘化钠|碘\[?131|放射性碘|复方碘",
       "可致胎儿甲状腺肿、甲减", "CNF"),
    _r("pregnancy", _C, "阿片类镇咳药", "R05DA01 R05DA03 R05DA04 R05DA08", _CODEINE,
       "可致新生儿呼吸抑制和戒断，孕期不用于止咳", "FDA"),
    _r("pregnancy", _K, "右美沙芬", "R05DA09", r"美沙芬|美芬", "妊娠早期（3个月内）禁用，之后在医师指导下使用", "CNF"),
    _r("pregnancy", _C, "非甾体抗炎药", _NSAID_CODES, _NSAID, "妊娠20周后可致胎儿肾损害、羊水过少，晚期致动脉导管早闭；"
       "解热镇痛首选对乙酰氨基酚", "FDA"),
    _r("pregnancy", _C, "水杨酸类", "N02BA B01AC06", _SALICYL, "解热镇痛剂量可致出血、动脉导管早闭", "CNF"),
    _r("pregnancy", _C, "苯二氮䓬类", "N05BA N05CD", _BZD, "妊娠早期致畸风险，晚期致新生儿松弛、戒断", "FDA"),
    _r("pregnancy", _C, "刺激性泻药", "A06AB", r"番泻叶|比沙可啶|酚酞|蓖麻油|大黄|匹可硫酸钠",
       "可引起子宫收缩；孕期首选容积性或渗透性泻药", "CNF"),
    _r("pregnancy", _C, "磺酰脲类等口服降糖药", "A10BB A10BH A10BK A10BG A10BF", _SULFONYLUREA +
       r"|格列汀|格列净|格列酮", "妊娠期血糖控制首选胰岛素", "CNF"),
    _r("pregnancy", _K, "二甲双胍", "A10BA", r"二甲双胍", "妊娠期首选胰岛素，二甲双胍须专科指导", "CNF"),
    _r("pregnancy", _K, "噻嗪类利尿药", "C03A C03B", r"氢氯噻嗪|吲达帕胺|氯噻酮", "减少血容量，妊娠高血压不作首选", "CNF"),
    _r("pregnancy", _K, "甲硝唑类", "P01AB J01XD", r"甲硝唑|替硝唑|奥硝唑", "妊娠早期（3个月内）禁用", "CNF"),
    _r("pregnancy", _K, "磺胺类", "J01E", r"磺胺|甲氧苄啶", "妊娠晚期可致新生儿核黄疸，早期拮抗叶酸", "CNF"),
    _r("pregnancy", _K, "甲巯咪唑", "H03BB", r"甲巯咪唑|卡比马唑", "妊娠早期首选丙硫氧嘧啶", "CNF"),
    _r("pregnancy", _A, "丙硫氧嘧啶", "H03BA", r"丙硫氧嘧啶", "妊娠早期甲亢首选", "CNF", True),
    _r("pregnancy", _A, "妊娠期降压首选药", "C02AB", r"拉贝洛尔|甲基多巴|硝苯地平",
       "妊娠期高血压的推荐药物", "CNF", True),
    _r("pregnancy", _A, "青霉素类", "J01C", _PENICILLIN, "妊娠期可用的抗菌药", "CNF", True),
    _r("pregnancy", _A, "头孢菌素类", "J01DB J01DC J01DD J01DE", _CEPH, "妊娠期可用的抗菌药", "CNF", True),
    _r("pregnancy", _A, "磷霉素", "J01XX01", r"磷霉素", "妊娠期尿路感染可用", "CNF", True),
    _r("pregnancy", _K, "呋喃妥因", "J01XE", r"呋喃妥因", "妊娠晚期（足月）禁用，早中期可用于尿路感染", "CNF"),
    _r("pregnancy", _A, "对乙酰氨基酚", "N02BE01", r"对乙酰氨基酚|扑热息痛", "妊娠期解热镇痛首选", "FDA", True),
    _r("pregnancy", _A, "胰岛素", "A10A", r"胰岛素", "妊娠期降糖首选", "CNF", True),
    _r("pregnancy", _A, "渗透性与容积性泻药", "A06AD A06AC", r"乳果糖|聚乙二醇|欧车前|小麦纤维素|甲基纤维素",
       "不被吸收，孕期便秘首选", "CNF", True),
    _r("pregnancy", _A, "肝素类", "B01AB", r"肝素", "不通过胎盘，妊娠期抗凝首选", "CNF", True),
    _r("pregnancy", _A, "吸入短效β2受体激动剂与吸入糖皮质激素", "R03AC02 R03BA02", r"沙丁胺醇|布地奈德",
       "妊娠期哮喘推荐", "CNF", True),
    # -- lactation --------------------------------------------------------------------------------
    _r("lactation", _C, "阿片类镇咳镇痛药", "R05DA01 R05DA04 N02AX02", _CODEINE + r"|曲马多",
       "超快代谢者乳汁中吗啡过量，婴儿呼吸抑制", "FDA"),
    _r("lactation", _C, "金刚烷胺类", "N04BB J05AC", r"烷胺|金刚乙胺", "经乳汁排出，哺乳期禁用", "CNF"),
    _r("lactation", _C, "利巴韦林", "J05AP01", r"利巴韦林", "哺乳期禁用", "CNF"),
    _r("lactation", _C, "水杨酸类", "N02BA", _SALICYL, "经乳汁可致婴儿瑞夷综合征和出血，哺乳期首选对乙酰氨基酚或布洛芬", "LactMed"),
    _r("lactation", _C, "喹诺酮类", "J01MA", _FQ, "经乳汁排出，可影响婴儿软骨发育", "CNF"),
    _r("lactation", _C, "四环素类", "J01AA", _TETRA, "影响婴儿牙齿和骨骼", "CNF"),
    _r("lactation", _C, "氯霉素类", "J01BA", r"氯霉素|甲砜霉素", "婴儿骨髓抑制、灰婴综合征", "CNF"),
    _r("lactation", _C, "苯二氮䓬类", "N05BA N05CD", _BZD, "婴儿嗜睡、喂养困难；哺乳期避免", "LactMed"),
    _r("lactation", _C, "抗肿瘤药与抗代谢药", "L01", _ANTINEO, "哺乳期禁用", "FDA"),
    _r("lactation", _C, "维A酸类", "D10BA L01XF", _RETINOID, "哺乳期禁用", "FDA"),
    _r("lactation", _C, "他汀类", "C10AA", _STATIN, "哺乳期禁用", "CNF"),
    _r("lactation", _C, "碘化物与放射性碘", "V10XA H03C", r"碘化钾|碘化钠|碘\[?131|放射性碘", "婴儿甲状腺抑制", "CNF"),
    _r("lactation", _C, "麦角生物碱", "N02CA G02CB", r"麦角胺|溴隐亭|卡麦角林", "抑制泌乳、婴儿麦角中毒", "CNF"),
    _r("lactation", _C, "锂盐", "N05AN", r"碳酸锂|锂盐", "婴儿血锂中毒", "LactMed"),
    _r("lactation", _C, "胺碘酮", "C01BD01", r"胺碘酮", "婴儿甲状腺毒性", "LactMed"),
    _r("lactation", _C, "雌激素", "G03C", r"己烯雌酚|炔雌醇|尼尔雌醇", "减少泌乳", "CNF"),
    _r("lactation", _K, "甲硝唑类", "P01AB J01XD", r"甲硝唑|替硝唑|奥硝唑", "用药期间及停药后12–72小时暂停哺乳", "CNF"),
    _r("lactation", _K, "第一代抗组胺药", "R06AA R06AB R06AD", _ANTIHIST1, "婴儿嗜睡、激惹，可减少泌乳", "LactMed"),
    _r("lactation", _A, "对乙酰氨基酚", "N02BE01", r"对乙酰氨基酚|扑热息痛", "哺乳期解热镇痛首选", "LactMed", True),
    _r("lactation", _A, "布洛芬", "M01AE01", r"布洛芬", "乳汁中含量极低，哺乳期首选的非甾体抗炎药", "LactMed", True),
    _r("lactation", _A, "青霉素类与头孢菌素类", "J01C J01DB J01DC J01DD J01DE", _PENICILLIN + "|" + _CEPH,
       "哺乳期可用的抗菌药", "LactMed"),
    _r("lactation", _A, "胰岛素", "A10A", r"胰岛素", "不进入乳汁", "LactMed", True),
    _r("lactation", _A, "哺乳期可用的降压药", "", r"硝苯地平|拉贝洛尔|依那普利",
       "乳汁中含量低，哺乳期推荐", "LactMed", True),
    # -- children ---------------------------------------------------------------------------------
    _r("children", _C, "喹诺酮类", "J01MA", _FQ, "损伤发育期关节软骨，18岁以下禁用", "CNF"),
    _r("children", _C, "四环素类", "J01AA", _TETRA, "牙齿黄染、骨发育不良，8岁以下禁用", "CNF"),
    _r("children", _C, "可待因类镇咳镇痛药", "R05DA04 R05DA01 N02AX02", _CODEINE + r"|曲马多",
       "12岁以下禁用（呼吸抑制致死风险）", "NMPA"),
    _r("children", _C, "水杨酸类", "N02BA B01AC06", _SALICYL, "病毒感染时可致瑞夷综合征，16岁以下不用于解热", "CNF"),
    _r("children", _C, "尼美舒利", "M01AX17", r"尼美舒利", "12岁以下禁用（肝损害）", "NMPA"),
    _r("children", _C, "吡唑酮类", "N02BB", r"安乃近|氨基比林|安替比林|保泰松", "粒细胞缺乏风险，儿童禁用或不宜", "NMPA"),
    _r("children", _C, "阿片类止泻药", "A07DA", r"洛哌丁胺|地芬诺酯|阿片酊|复方樟脑酊|樟脑酊",
       "婴幼儿可致呼吸抑制、麻痹性肠梗阻，2岁以下禁用，儿童腹泻不作常规使用", "WHO"),
    _r("children", _K, "氨基糖苷类", "J01GB J01GA", _AMINOGLY, "耳肾毒性，儿童须监测血药浓度", "CNF"),
    _r("children", _K, "氯霉素类", "J01BA", r"氯霉素|甲砜霉素", "新生儿灰婴综合征", "CNF"),
    _r("children", _K, "吩噻嗪类抗组胺药", "R06AD", r"异丙嗪", "2岁以下禁用（呼吸抑制）", "FDA"),
    _r("children", _K, "甲氧氯普胺", "A03FA01", r"甲氧氯普胺", "锥体外系反应多见，1岁以下禁用", "NMPA"),
    _r("children", _K, "茶碱类", "R03DA", r"茶碱", "治疗窗窄，儿童须监测血药浓度", "CNF"),
    _r("children", _K, "苯二氮䓬类", "N05BA N05CD", _BZD, "儿童慎用，新生儿禁用", "CNF"),
    _r("children", _A, "对乙酰氨基酚", "N02BE01", r"对乙酰氨基酚|扑热息痛", "儿童解热首选", "WHO", True),
    _r("children", _A, "布洛芬", "M01AE01", r"布洛芬", "6个月以上儿童解热首选", "WHO", True),
    _r("children", _A, "口服补液盐与锌", "A07CA A12CB", r"口服补液盐|补液盐|葡萄糖酸锌|硫酸锌", "儿童腹泻首选", "WHO", True),
    _r("children", _A, "蒙脱石", "A07BC", r"蒙脱石", "儿童腹泻可用的吸附剂", "WHO", True),
    _r("children", _A, "止泻微生物", "A07FA", r"双歧杆菌|枯草杆菌|布拉氏酵母|酪酸梭菌|乳酸菌|地衣芽孢杆菌",
       "儿童腹泻可用的益生菌", "WHO", True),
    _r("children", _A, "吸入短效β2受体激动剂与吸入糖皮质激素", "R03AC02 R03AC03 R03BA02 R03BB01",
       r"沙丁胺醇|特布他林|布地奈德|异丙托溴铵", "儿童哮喘急性发作和控制的首选吸入药", "WHO", True),
    _r("children", _A, "儿童可用的祛痰药", "R05CB", r"氨溴索|乙酰半胱氨酸|羧甲司坦|溴己新|愈创甘油醚",
       "儿童可用的祛痰药", "CNF", True),
    _r("children", _A, "青霉素类", "J01C", _PENICILLIN, "儿童可用的抗菌药", "CNF"),
    # -- elderly (Beers) --------------------------------------------------------------------------
    _r("elderly", _C, "长效苯二氮䓬类", "", _BZD_LONG, "半衰期长，易致跌倒、骨折和认知损害，老年人应避免", "Beers"),
    _r("elderly", _K, "苯二氮䓬类", "N05BA N05CD", _BZD, "跌倒、认知损害风险，老年人避免长期使用", "Beers"),
    _r("elderly", _K, "非苯二氮䓬类催眠药", "N05CF", _Z, "跌倒风险，宜短期、低剂量", "Beers"),
    _r("elderly", _C, "巴比妥类", "N05CA N03AA", r"苯巴比妥|司可巴比妥|异戊巴比妥", "依赖、过量风险高，老年人应避免", "Beers"),
    _r("elderly", _K, "第一代抗组胺药", "R06AA R06AB R06AD", _ANTIHIST1, "强抗胆碱作用，致意识混乱、便秘、尿潴留", "Beers"),
    _r("elderly", _C, "三环类抗抑郁药", "", r"阿米替林|丙米嗪|丙咪嗪|氯米帕明|去甲替林",
       "强抗胆碱和镇静作用，直立性低血压", "Beers"),
    _r("elderly", _K, "多塞平", "N06AA12", r"多塞平", "每日超过6 mg时应避免，小剂量可用于失眠", "Beers"),
    _r("elderly", _C, "中枢性α受体激动剂与利血平", "C02AC C02AA", r"可乐定|利血平|胍那苄",
       "中枢不良反应和直立性低血压，不作老年人一线降压药", "Beers"),
    _r("elderly", _K, "甲基多巴", "C02AB", r"甲基多巴", "不作老年人一线降压药", "Beers"),
    _r("elderly", _C, "长效磺酰脲类", "A10BB01 A10BB02", r"格列本脲|氯磺丙脲", "严重持久低血糖", "Beers"),
    _r("elderly", _K, "其他磺酰脲类", "A10BB", r"格列美脲|格列齐特|格列吡嗪", "低血糖风险", "Beers"),
    _r("elderly", _C, "哌替啶", "N02AB02", r"哌替啶|度冷丁", "代谢物蓄积致神经毒性", "Beers"),
    _r("elderly", _K, "骨骼肌松弛药", "M03B", r"卡立普多|美索巴莫|环苯扎林|氯唑沙宗|巴氯芬", "抗胆碱和镇静作用", "Beers"),
    _r("elderly", _K, "非甾体抗炎药", _NSAID_CODES, _NSAID, "消化道出血、肾损害风险，避免长期使用", "Beers"),
    _r("elderly", _K, "短效硝苯地平", "", r"^硝苯地平(?:片|胶囊|软胶囊)?$", "普通片可致低血压、心肌缺血，宜用缓释/控释制剂", "Beers"),
    _r("elderly", _K, "抗胆碱能抗帕金森药", "N04A", r"苯海索|丙环定", "强抗胆碱作用", "Beers"),
    _r("elderly", _C, "矿物油", "", r"液体石蜡|矿物油", "误吸风险", "Beers"),
    _r("elderly", _K, "甲氧氯普胺", "A03FA01", r"甲氧氯普胺", "锥体外系反应和迟发性运动障碍", "Beers"),
    # -- kidney -----------------------------------------------------------------------------------
    _r("kidney", _C, "二甲双胍", "A10BA", r"二甲双胍", "eGFR<30禁用，<45不宜起始（乳酸酸中毒）", "KDIGO"),
    _r("kidney", _C, "格列本脲", "A10BB01", r"格列本脲|氯磺丙脲", "经肾排泄，致持久低血糖", "KDIGO"),
    _r("kidney", _K, "其他磺酰脲类", "A10BB", r"格列美脲|格列齐特|格列吡嗪", "肾功能不全时低血糖风险，须减量", "KDIGO"),
    _r("kidney", _A, "格列喹酮", "A10BB08", r"格列喹酮", "主要经胆道排泄，轻中度肾功能不全可用", "KDIGO", True),
    _r("kidney", _A, "利格列汀", "A10BH05", r"利格列汀", "主要经胆肠排泄，肾功能不全无需调整剂量", "KDIGO", True),
    _r("kidney", _K, "其他DPP-4抑制剂", "A10BH", r"西格列汀|沙格列汀|阿格列汀|维格列汀", "按肾功能减量", "KDIGO"),
    _r("kidney", _A, "格列奈类", "A10BX02", r"瑞格列奈", "主要经肝代谢，肾功能不全可用", "KDIGO", True),
    _r("kidney", _A, "胰岛素", "A10A", r"胰岛素", "各期肾功能不全均可使用，按血糖调整剂量", "KDIGO", True),
    _r("kidney", _K, "SGLT2抑制剂", "A10BK", r"格列净", "eGFR下降时降糖作用减弱，须按eGFR使用", "KDIGO"),
    _r("kidney", _K, "α-葡萄糖苷酶抑制剂", "A10BF", r"阿卡波糖|伏格列波糖|米格列醇", "严重肾功能不全禁用", "CNF"),
    _r("kidney", _K, "非甾体抗炎药", _NSAID_CODES, _NSAID, "可致急性肾损伤，肾功能不全避免使用", "KDIGO"),
    _r("kidney", _K, "氨基糖苷类", "J01GB J01GA", _AMINOGLY, "肾毒性，须按肌酐清除率调整并监测血药浓度", "CNF"),
    _r("kidney", _C, "呋喃妥因", "J01XE", r"呋喃妥因", "肌酐清除率<60 mL/min时疗效差、毒性蓄积", "Beers"),
    _r("kidney", _C, "四环素类（多西环素除外）", "", r"(?<!多西)四环素|土霉素|金霉素|地美环素",
       "加重氮质血症", "CNF"),
    _r("kidney", _K, "保钾利尿药", "C03DA C03DB", r"螺内酯|依普利酮|氨苯蝶啶|阿米洛利", "高钾血症风险", "KDIGO"),
    _r("kidney", _K, "地高辛", "C01AA05", r"地高辛", "经肾排泄，须减量并监测血药浓度", "CNF"),
    _r("kidney", _K, "秋水仙碱", "M04AC01", r"秋水仙碱", "须减量，严重肾功能不全禁用", "CNF"),
    _r("kidney", _K, "别嘌醇", "M04AA01", r"别嘌醇", "按肾功能减量", "CNF"),
    _r("kidney", _K, "抗病毒药（阿昔洛韦类）", "J05AB", r"阿昔洛韦|伐昔洛韦|更昔洛韦", "按肌酐清除率调整剂量", "CNF"),
    _r("kidney", _K, "锂盐", "N05AN", r"碳酸锂", "经肾排泄，易蓄积中毒", "CNF"),
    # -- liver ------------------------------------------------------------------------------------
    _r("liver", _C, "他汀类", "C10AA C10BA", _STATIN, "活动性肝病禁用", "CNF"),
    _r("liver", _C, "酮康唑（口服）", "J02AB02", r"酮康唑(?!乳膏|洗剂|软膏)", "肝毒性", "NMPA"),
    _r("liver", _C, "甲氨蝶呤", "L01BA01", r"甲氨蝶呤", "肝毒性", "CNF"),
    _r("liver", _C, "丙戊酸类", "N03AG", r"丙戊酸", "肝衰竭风险", "CNF"),
    _r("liver", _K, "对乙酰氨基酚", "N02BE01", r"对乙酰氨基酚", "肝功能不全须减量（每日不超过2 g）", "CNF"),
    _r("liver", _K, "抗结核药（异烟肼、利福平、吡嗪酰胺）", "J04AC J04AB J04AK", r"异烟肼|利福平|吡嗪酰胺",
       "肝毒性，须监测肝功能", "CNF"),
    _r("liver", _K, "非甾体抗炎药", _NSAID_CODES, _NSAID, "肝损害风险", "CNF"),
    _r("liver", _K, "苯二氮䓬类", "N05BA N05CD", _BZD, "肝功能不全时蓄积，可诱发肝性脑病", "CNF"),
    _r("liver", _K, "胺碘酮", "C01BD01", r"胺碘酮", "肝毒性", "CNF"),
)

_STRENGTH = {Verdict.CONTRAINDICATED: 3, Verdict.CAUTION: 2, Verdict.ALLOWED: 1, Verdict.UNKNOWN: 0}


def rules_for(population: str) -> list[ClassRule]:
    return [r for r in RULES if r.population == population]


@dataclass(frozen=True, slots=True)
class _Index:
    rules: tuple[ClassRule, ...]
    any_name: re.Pattern[str]  # every name pattern of the population at once: one search per drug
    prefixes: tuple[str, ...]


def _build_index() -> dict[str, _Index]:
    out: dict[str, _Index] = {}
    for pop in dict.fromkeys(r.population for r in RULES):
        rules = tuple(rules_for(pop))
        names = "|".join(f"(?:{r.names.pattern})" for r in rules if r.names)
        out[pop] = _Index(rules, re.compile(names or r"(?!x)x"), tuple({p for r in rules for p in r.codes}))
    return out


_INDEX = _build_index()


def class_rule(population: str, name: str, codes: Sequence[str] = ()) -> ClassRule | None:
    """The rule of the population for a drug (its name and its classes' ATC codes). Rules naming the
    drug's generic are more specific than a class code alone (利格列汀 is an A10BH DPP-4 inhibitor, yet
    needs no dose change in kidney impairment); among those left the strongest wins: 禁用 over 慎用 over
    可用, so a combination with one banned ingredient is banned."""
    index = _INDEX.get(population)
    if index is None:
        return None
    named_any = bool(index.any_name.search(name))
    if not named_any and not any(c.startswith(index.prefixes) for c in codes):
        return None  # the common case, checked at once (a disease's list judges hundreds of products)
    hits = [r for r in index.rules if r.matches(name, codes)]
    named = [r for r in hits if r.names and r.names.search(name)] if named_any else []
    return max(named or hits, key=lambda r: _STRENGTH[r.verdict]) if hits else None


@lru_cache(maxsize=20_000)
def _cached_rule(population: str, name: str, codes: tuple[str, ...]) -> ClassRule | None:
    return class_rule(population, name, codes)


def class_reader(codes: Callable[[Entity], Sequence[str]]) -> ClassReader:
    """A drug's class-rule verdict per population, reading its ATC codes with `codes`."""
    def read(drug: Entity, pop: Population) -> SafetyVerdict | None:
        rule = _cached_rule(pop.key, drug.name, tuple(codes(drug)))
        if rule is None:
            return None
        return SafetyVerdict(drug.id, drug.name, pop.key, rule.verdict, describe(rule), FIELD, DATASET,
                             rule.preferred, rule)
    return read


def rule_parts(v: SafetyVerdict) -> tuple[str, str, str]:
    """(class, reason, reference) of a class-rule verdict; empty when the verdict is a label's."""
    if v.field != FIELD or v.rule is None:
        return "", "", ""
    return v.rule.label, v.rule.reason, v.rule.ref


def describe(rule: ClassRule) -> str:
    """The rule as one short citable sentence: "按药物类别（血管紧张素转换酶抑制剂）：妊娠中晚期…（FDA）"."""
    return f"{rule.label}：{rule.reason}（类别规则，依据{rule.ref}）"
