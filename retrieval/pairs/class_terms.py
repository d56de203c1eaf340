"""A small table of the drug classes label texts name in interaction and allergy sentences.

Label texts rarely name the other drug of a pair; they name its class: 与大环内酯类合用, 禁止与CYP3A4强效
抑制剂合用, 对头孢菌素类过敏者禁用. `class_names_of(name)` says which of these classes a drug belongs to
(by its generic name's stem or suffix), `class_aliases(cls)` how texts write that class. The table is a
stop-gap until the ATC classes of `kg/classes.py` (issue 21) are in the graph: then `class_names_of`
becomes one call to that module's `class_names_of`, and `class_aliases` keeps the text spellings.

Pure functions, no graph access: i17pop's can-X-take-Y answers share `allergy_terms` and the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.normalize import core_name


@dataclass(frozen=True)
class ClassTerm:
    """One class: its display name, how texts write it, its members' generic names and name endings."""

    name: str
    aliases: tuple[str, ...]
    members: tuple[str, ...] = ()
    endings: tuple[str, ...] = ()
    #: broader classes whose sentences also apply (a cephalosporin is a β-lactam)
    parents: tuple[str, ...] = ()
    #: absorption role: "cation" (aluminium, magnesium, calcium, iron, zinc salts) binds a "chelator"
    #: (quinolones, tetracyclines, bisphosphonates) in the gut, so a listed pair means 间隔服用
    absorption: str = ""
    #: the metal a cation family's drugs bring (a label lists just 钙 or 镁 among interacting drugs)
    elements: tuple[str, ...] = ()


_T = ClassTerm
CLASSES: tuple[ClassTerm, ...] = (
    _T("大环内酯类", ("大环内酯类", "大环内酯"), ("红霉素", "克拉霉素", "阿奇霉素", "罗红霉素", "交沙霉素", "乙酰螺旋霉素",
                                            "地红霉素")),
    _T("青霉素类", ("青霉素类", "青霉素"), ("青霉素", "阿莫西林", "氨苄西林", "哌拉西林", "苯唑西林", "氯唑西林", "美洛西林",
                                      "巴氨西林", "苄星青霉素"), ("西林",), ("β-内酰胺类",)),
    _T("头孢菌素类", ("头孢菌素类", "头孢菌素", "头孢类"), (), (), ("β-内酰胺类",)),
    _T("β-内酰胺类", ("β-内酰胺类", "β-内酰胺", "β内酰胺", "内酰胺类")),
    _T("喹诺酮类", ("喹诺酮类", "氟喹诺酮", "喹诺酮"), (), ("沙星",), absorption="chelator"),
    _T("硝基咪唑类", ("硝基咪唑类", "硝基咪唑"), ("甲硝唑", "替硝唑", "奥硝唑", "塞克硝唑")),
    _T("唑类抗真菌药", ("唑类抗真菌", "吡咯类抗真菌", "咪唑类抗真菌", "三唑类抗真菌"),
       ("酮康唑", "伊曲康唑", "氟康唑", "伏立康唑", "泊沙康唑", "咪康唑")),
    _T("CYP3A4抑制剂", ("CYP3A4抑制剂", "CYP3A4强效抑制剂", "CYP3A4强抑制剂", "CYP3A4的强效抑制剂", "CYP3A4抑制药",
                     "3A4抑制剂", "P4503A4抑制剂", "细胞色素P450 3A4抑制剂"),
       ("克拉霉素", "红霉素", "酮康唑", "伊曲康唑", "伏立康唑", "泊沙康唑", "利托那韦", "地尔硫䓬", "维拉帕米", "胺碘酮")),
    _T("他汀类", ("他汀类", "HMG-CoA还原酶抑制剂", "HMGCoA还原酶抑制剂", "HMG CoA 还原酶抑制剂", "羟甲基戊二酰辅酶A还原酶抑制剂"),
       (), ("他汀",)),
    _T("非甾体抗炎药", ("非甾体抗炎药", "非甾体类抗炎药", "非甾体抗炎镇痛药", "非甾体类消炎药", "非甾体", "NSAIDs", "NSAID"),
       ("阿司匹林", "布洛芬", "双氯芬酸", "萘普生", "吲哚美辛", "塞来昔布", "美洛昔康", "洛索洛芬", "依托考昔", "尼美舒利",
        "氟比洛芬", "酮洛芬", "保泰松")),
    _T("解热镇痛药", ("解热镇痛药", "解热镇痛"), ("对乙酰氨基酚", "安乃近", "氨基比林")),
    _T("抗凝药", ("抗凝血药", "抗凝药", "口服抗凝", "香豆素类", "抗凝剂"), ("华法林", "肝素", "利伐沙班", "达比加群", "阿哌沙班",
                                                              "依诺肝素", "那屈肝素")),
    _T("抗血小板药", ("抗血小板药", "抗血小板", "血小板聚集抑制", "血小板聚集功能降低"), ("阿司匹林", "氯吡格雷", "替格瑞洛", "双嘧达莫", "西洛他唑",
                                                      "吲哚布芬")),
    _T("强心苷类", ("洋地黄类", "洋地黄", "强心苷", "强心甙", "洋地黄甙"), ("地高辛", "洋地黄毒苷", "去乙酰毛花苷", "毛花苷丙")),
    _T("抗心律失常药", ("抗心律失常药", "抗心律失常"), ("胺碘酮", "普罗帕酮", "美西律", "索他洛尔", "奎尼丁", "决奈达隆")),
    _T("质子泵抑制剂", ("质子泵抑制剂", "质子泵抑制药", "质子泵"), ("奥美拉唑", "兰索拉唑", "泮托拉唑", "雷贝拉唑", "埃索美拉唑",
                                                      "艾司奥美拉唑", "艾普拉唑")),
    _T("H2受体拮抗剂", ("H2受体拮抗剂", "H2受体阻滞剂", "H2受体拮抗药", "组胺H2受体", "H₂受体"), (), ("替丁",)),
    _T("血管紧张素II受体拮抗剂", ("血管紧张素II受体拮抗剂", "血管紧张素Ⅱ受体拮抗剂", "血管紧张素II拮抗剂", "血管紧张素Ⅱ拮抗剂",
                            "ARB"), (), ("沙坦",)),
    _T("血管紧张素转换酶抑制剂", ("血管紧张素转换酶抑制剂", "血管紧张素转化酶抑制剂", "ACEI", "ACE抑制剂"), (), ("普利",)),
    _T("钙通道阻滞剂", ("钙通道阻滞剂", "钙拮抗剂", "钙拮抗药", "钙离子拮抗剂", "钙通道阻断剂"), ("地尔硫䓬", "维拉帕米"), ("地平",)),
    _T("选择性β1受体阻滞剂", ("选择性β1受体阻滞剂", "β1受体阻滞剂", "心脏选择性β受体阻滞剂"),
       ("美托洛尔", "比索洛尔", "阿替洛尔", "艾司洛尔", "倍他洛尔", "奈必洛尔"), (), ("β受体阻滞剂",)),
    _T("非选择性β受体阻滞剂", ("非选择性β受体阻滞剂",), ("普萘洛尔", "索他洛尔", "纳多洛尔", "噻吗洛尔", "吲哚洛尔"), (),
       ("β受体阻滞剂",)),
    _T("β受体阻滞剂", ("β受体阻滞剂", "β-受体阻滞剂", "β受体阻断药", "β阻滞剂", "β-肾上腺素受体阻滞剂"), (), ("洛尔",)),
    _T("抗酸药", ("抗酸药", "抗酸剂", "制酸剂", "制酸药", "含铝", "含镁", "铝、镁", "镁、铝", "铝镁", "多价金属离子",
                "金属阳离子", "金属离子"),
       ("铝碳酸镁", "氢氧化铝", "碳酸钙", "氧化镁", "三硅酸镁", "铝镁加", "镁加铝", "磷酸铝", "硫糖铝", "碳酸氢钠",
        "氢氧化镁", "复方氢氧化铝"), absorption="cation", elements=("铝", "镁")),
    _T("铁剂", ("铁剂", "铁制剂", "含铁", "亚铁盐", "铁盐", "补铁", "金属阳离子", "金属离子"),
       ("硫酸亚铁", "富马酸亚铁", "琥珀酸亚铁", "葡萄糖酸亚铁", "乳酸亚铁", "多糖铁复合物", "蛋白琥珀酸铁", "右旋糖酐铁",
        "蔗糖铁", "枸橼酸铁铵"), ("亚铁",), absorption="cation", elements=("铁",)),
    _T("钙剂", ("钙剂", "钙补充剂", "含钙", "钙盐", "补钙", "金属阳离子", "金属离子"),
       ("碳酸钙", "葡萄糖酸钙", "乳酸钙", "枸橼酸钙", "醋酸钙", "氯化钙", "磷酸氢钙", "碳酸钙D3"), absorption="cation",
       elements=("钙",)),
    _T("锌剂", ("锌剂", "锌制剂", "含锌", "锌盐", "金属阳离子"), ("葡萄糖酸锌", "硫酸锌", "甘草锌"), absorption="cation",
       elements=("锌",)),
    _T("镁剂", ("镁剂", "镁盐", "含镁", "金属阳离子"), ("硫酸镁", "氧化镁", "氢氧化镁", "门冬氨酸钾镁"),
       absorption="cation", elements=("镁",)),
    _T("四环素类", ("四环素类", "四环素"), ("四环素", "多西环素", "米诺环素", "土霉素", "金霉素", "美他环素"), ("环素",),
       absorption="chelator"),
    _T("双膦酸盐类", ("双膦酸盐", "二膦酸盐", "双磷酸盐"), (), ("膦酸",), absorption="chelator"),
    _T("锂盐", ("锂盐", "锂剂", "锂制剂", "碳酸锂"), ("碳酸锂", "枸橼酸锂"), elements=("锂",)),
    _T("磺胺类", ("磺胺类", "磺胺药", "磺胺"), ("磺胺甲噁唑", "复方磺胺甲噁唑", "磺胺嘧啶", "柳氮磺吡啶")),
    _T("抗组胺药（H1受体拮抗剂）", ("H1受体拮抗剂", "H1受体阻滞剂", "抗组胺药", "抗组织胺药"),
       ("氯雷他定", "地氯雷他定", "西替利嗪", "左西替利嗪", "氯苯那敏", "苯海拉明", "异丙嗪", "依巴斯汀", "非索非那定",
        "咪唑斯汀", "酮替芬")),
    _T("磺酰脲类", ("磺酰脲类", "磺脲类"), (), ("格列",)),
    _T("双胍类", ("双胍类",), ("二甲双胍", "苯乙双胍")),
    _T("选择性5-羟色胺再摄取抑制剂", ("5-羟色胺再摄取抑制剂", "SSRI", "SSRIs"), ("氟西汀", "帕罗西汀", "舍曲林", "西酞普兰",
                                                                "艾司西酞普兰", "氟伏沙明")),
    _T("单胺氧化酶抑制剂", ("单胺氧化酶抑制剂", "单胺氧化酶抑制药", "MAO抑制剂", "MAOI"), ("司来吉兰", "雷沙吉兰", "吗氯贝胺",
                                                                    "苯乙肼", "呋喃唑酮", "利奈唑胺")),
    _T("苯二氮䓬类", ("苯二氮䓬类", "苯二氮卓类", "苯二氮䓬"), ("地西泮", "阿普唑仑", "艾司唑仑", "劳拉西泮", "氯硝西泮", "咪达唑仑",
                                                   "三唑仑")),
    _T("阿片类", ("阿片类", "麻醉性镇痛药", "阿片"), ("吗啡", "可待因", "曲马多", "芬太尼", "羟考酮", "哌替啶")),
    _T("糖皮质激素", ("糖皮质激素", "皮质激素", "肾上腺皮质激素"), ("泼尼松", "泼尼松龙", "地塞米松", "氢化可的松", "甲泼尼龙",
                                                       "倍他米松")),
    _T("噻嗪类利尿剂", ("噻嗪类", "利尿剂", "利尿药"), ("氢氯噻嗪", "吲达帕胺", "氯噻酮")),
    _T("保钾利尿剂", ("保钾利尿", "利尿剂", "利尿药"), ("螺内酯", "氨苯蝶啶", "阿米洛利")),
)
BY_NAME = {c.name: c for c in CLASSES}
_SALT_TAIL = re.compile(r"(?:钾|钠|钙|镁|锌)$")
#: What is left of a simple salt without its metal is no drug name: 碳酸钙 stays 碳酸钙, not 碳酸.
_ACID_RESIDUE = frozenset(("碳酸", "硫酸", "盐酸", "醋酸", "乳酸", "磷酸", "枸橼酸", "葡萄糖酸", "氯化", "碳酸氢", "磷酸氢",
                           "氧化", "氢氧化", "门冬氨酸", "甘油磷酸", "硝酸", "溴化", "碘化"))


def generic_of(name: str) -> str:
    """The generic name a drug's entry reduces to: 氯沙坦钾片 → 氯沙坦, 盐酸胺碘酮片 → 胺碘酮."""
    core = core_name(name)
    bare = _SALT_TAIL.sub("", core)
    return bare if len(bare) >= 2 and bare not in _ACID_RESIDUE else core


def class_names_of(name: str) -> list[str]:
    """The table's classes of a drug (and their broader classes), most specific first. A member is
    looked up by its generic and by its whole core name: a salt can be the drug itself (铝碳酸镁, 碳酸钙)."""
    generic = generic_of(name)
    keys = tuple(dict.fromkeys((generic, core_name(name))))
    out: list[str] = []
    for c in CLASSES:
        if any(k in c.members or any(k.endswith(e) for e in c.endings) for k in keys) or \
                (c.name == "头孢菌素类" and generic.startswith("头孢")):
            for n in (c.name, *c.parents):
                if n not in out:
                    out.append(n)
    return out


def class_aliases(class_name: str) -> tuple[str, ...]:
    """How label texts write a class (its table aliases, else the name itself)."""
    c = BY_NAME.get(class_name)
    return c.aliases if c else (class_name,)


def class_text_terms(name: str) -> list[str]:
    """Every spelling of every class of a drug, longest first (so a sentence's longest mention is found)."""
    terms = {a for c in class_names_of(name) for a in class_aliases(c)}
    return sorted(terms, key=len, reverse=True)


_ALLERGY = re.compile(r"(?:过敏|变态反应)(?:史|体质|者|患者|的人)?$")


def allergy_terms(mention: str) -> list[str]:
    """What a drug's 禁忌 / 注意事项 sentence names when it speaks of the allergy in the question:
    青霉素过敏 → 青霉素, 青霉素类, β-内酰胺 …; a sentence counts only if it also says 过敏 (see
    `is_allergy_sentence`). Empty when the mention is not an allergy."""
    if not _ALLERGY.search(mention):
        return []
    allergen = _ALLERGY.sub("", mention).removeprefix("对")
    if len(allergen) < 2:
        return []
    terms = [allergen, *class_text_terms(allergen)]
    for cls in (allergen, allergen + "类"):  # the allergy names a class itself: 头孢类过敏, 磺胺过敏
        if cls in BY_NAME:
            terms += [a for n in (cls, *BY_NAME[cls].parents) for a in class_aliases(n)]
    return list(dict.fromkeys(t for t in terms if len(t) >= 2))


def is_allergy_sentence(sentence: str) -> bool:
    return "过敏" in sentence or "变态反应" in sentence


def absorption_pair(a: str, b: str) -> bool:
    """Is a pair of drug names a metal cation and a drug it binds in the gut (左氧氟沙星 + 铝碳酸镁,
    多西环素 + 碳酸钙)? Such a pair is taken apart in time: 间隔服用."""
    roles_a = {BY_NAME[c].absorption for c in class_names_of(a) if c in BY_NAME}
    roles_b = {BY_NAME[c].absorption for c in class_names_of(b) if c in BY_NAME}
    return ("cation" in roles_a and "chelator" in roles_b) or ("chelator" in roles_a and "cation" in roles_b)


def elements_of(name: str) -> tuple[str, ...]:
    """The metal a drug brings (碳酸钙 → 钙, 碳酸锂 → 锂), for labels that list a bare 钙 or 锂."""
    found = tuple(dict.fromkeys(x for c in class_names_of(name) if c in BY_NAME for x in BY_NAME[c].elements))
    named = tuple(x for x in found if x in name)  # 碳酸钙 is an antacid, but it brings calcium only
    return named or found
