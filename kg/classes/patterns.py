"""Name patterns: classes that the Chinese name states without an INN stem — group words
(维生素…, …疫苗, 人血白蛋白, 胰岛素, 氯化钾, 葡萄糖酸钙, radionuclides in brackets) and frequent
named substances that carry no stem (蒙脱石, 尼可刹米 …), each with the ATC group WHO gives it.

An edge derived from one of these records `name-pattern`, not `inn-stem` (kg.classes.DERIVATION_DATASETS).
Only patterns whose members all share the class are listed; a word that names several groups
(单抗 alone, 血清 alone, 铁 alone) is left to the INN stems or the sources' class text.
"""

from __future__ import annotations

import re

from kg.classes.rule import EYE, ORAL, VAGINAL, Stem, Where

S, P, IN = Where.SUFFIX, Where.PREFIX, Where.INFIX


def group(text: str, where: Where, code: str, english: str, **kw: object) -> Stem:
    return Stem(text, where, code, english, pattern=True, **kw)  # type: ignore[arg-type]


def named(code: str, english: str, *names: str, **kw: object) -> Stem:
    """A substance (and its spellings) with no stem: the class WHO gives it."""
    return Stem(names[0], S, code, english, members=names, pattern=True, **kw)  # type: ignore[arg-type]


PATTERNS: tuple[Stem, ...] = (
    # -- group words: the Chinese name states the group ---------------------------------------
    group("维生素", P, "A11", "vitamins (a name that starts with the group word)",
          exceptions={"维生素b4": "", "维生素b12": "B03BA", "维生素k1": "B02BA", "维生素k": "B02BA",
                      "维生素k3": "B02BA", "维生素k4": "B02BA", "维生素e烟酸酯": "", "维生素a酸": "", "维生素u": ""}),
    group("鱼肝油", IN, "A11", "cod-liver oil (vitamin A and D)", members=("鱼肝油",),
          exceptions={"鱼肝油酸钠": "C05BB"}),
    group("疫苗", IN, "J07", "vaccines", exceptions={"黑素瘤疫苗": "L03AX", "自体疫苗": "", "细胞疫苗": "", "肿瘤疫苗": "",
                                                   "牛痘疫苗致炎兔皮提取物": ""}),
    group("菌苗", IN, "J07", "vaccines (bacterial)"),
    group("卡介苗", IN, "J07", "BCG vaccine", exceptions={"治疗用卡介苗": "L03AX"}),
    group("胰岛素", IN, "A10A", "insulins", members=("胰岛素",), exceptions={"三磷酸腺苷辅酶胰岛素": ""}),
    group("免疫球蛋白", IN, "J06B", "immunoglobulins",
          exceptions={"淋巴细胞免疫球蛋白": "L04AA", "胸腺细胞免疫球蛋白": "L04AA", "淋巴细胞球蛋白": "L04AA"}),
    group("丙种球蛋白", IN, "J06B", "immunoglobulins"),
    group("毒血清", S, "J06AA", "antivenom sera", members=("抗狂犬病血清", "破伤风抗毒素")),
    group("血白蛋白", IN, "B05AA", "albumin", members=("人血清蛋白", "白蛋白")),
    group("铝镁", IN, "A02A", "antacids", exceptions={"铝镁匹林": "N02BA"}),
    group("伪麻", P, "R01BA", "pseudoephedrine (first-named in cold remedies)", members=("伪麻",)),
    group("氨酚", P, "N02BE", "paracetamol (first-named in cold remedies: 氨酚伪麻美芬)", members=("氨酚",)),
    group("氢氧化铝", IN, "A02A", "antacids"),
    group("亚铁", IN, "B03A", "iron preparations",
          members=("多糖铁复合物", "多糖铁", "蔗糖铁", "右旋糖酐铁", "山梨醇铁", "蛋白琥珀酸铁")),
    group("琥珀酸铁", S, "B03A", "iron protein succinylate"),
    group("碳酸钙", IN, "A12A", "calcium", members=("葡萄糖酸钙", "乳酸钙", "醋酸钙", "维d钙", "牡蛎碳酸钙", "磷酸氢钙",
                                                   "枸橼酸钙", "果糖酸钙", "门冬氨酸钙", "三维钙", "四维钙", "三合钙")),
    group("葡萄糖酸钙", IN, "A12A", "calcium"),
    group("乳酸钙", IN, "A12A", "calcium"),
    group("磷酸氢钙", IN, "A12A", "calcium"),
    group("苹果酸钙", S, "A12A", "calcium"),
    group("葡钙", S, "A12A", "calcium (with vitamins)"),
    group("维d钙", IN, "A12A", "calcium"),
    group("葡萄糖酸锌", IN, "A12C", "zinc"),
    group("硒酵母", IN, "A12C", "selenium", members=("亚硒酸钠",)),
    group("门冬氨酸钾镁", S, "A12C", "potassium magnesium aspartate", members=("门冬氨酸钾镁", "门冬酸钾镁", "门冬氢酸钾镁")),
    named("A12B", "potassium", "氯化钾", "补充钾", "门冬氨酸钾"),
    group("补液盐", IN, "A07CA", "oral rehydration salts"),
    group("林格", IN, "B05BB", "Ringer's solutions (electrolytes)"),
    group("电解质", IN, "B05BB", "electrolyte infusions", exceptions={"聚乙二醇电解质": "A06AD"}),
    named("B05XA", "sodium chloride (electrolyte solution)", "氯化钠", "浓氯化钠", "生理氯化钠", routes=((EYE + ("滴鼻", "鼻"), ""),)),
    group("葡萄糖氯化钠", IN, "B05BB", "glucose with electrolytes", members=("钠钾镁钙葡萄糖",)),
    group("透析液", S, "B05ZA", "haemodialytics", exceptions={"腹膜透析液": "B05DB"}),
    group("羟乙基淀粉", IN, "B05AA", "hydroxyethylstarch"),
    group("明胶", S, "B05AA", "gelatin agents", members=("聚明胶肽", "琥珀酰明胶"), exceptions={"氧化聚明胶": ""}),
    group("右旋糖酐", IN, "B05AA", "dextran", exceptions={"右旋糖酐铁": "B03A"}, routes=((EYE, ""),)),
    group("脂肪乳", IN, "B05BA", "fat emulsions"),
    group("活菌", IN, "A07FA", "antidiarrheal micro-organisms", members=("乳酸菌素", "乳酶生", "复合乳酸菌"),
          routes=((VAGINAL, "G01AX"),)),
    group("乳酸菌", IN, "A07FA", "antidiarrheal micro-organisms", members=("乳酸菌",), routes=((VAGINAL, "G01AX"),)),
    group("乳杆菌", IN, "A07FA", "antidiarrheal micro-organisms", routes=((VAGINAL, "G01AX"),)),
    group("芽孢杆菌", IN, "A07FA", "antidiarrheal micro-organisms"),
    group("硅油", S, "A03AX", "simethicone"),
    group("促红素", IN, "B03XA", "epoetins", members=("红细胞生成素", "重组人红细胞生成素", "达依泊汀α", "达依泊汀")),
    group("胸腺", P, "L03A", "thymus peptides", members=("胸腺法新",)),
    group("凝血因子", IN, "B02BD", "blood coagulation factors", members=("人凝血酶原复合物", "凝血酶原复合物")),
    group("纤维蛋白胶", IN, "B02BC", "local haemostatics", members=("猪源纤维蛋白粘合剂", "医用生物蛋白胶", "氧化再生纤维素",
                                                               "吸收性氧化纤维素")),
    group("肺表面活性剂", S, "R07AA", "lung surfactants", members=("猪肺磷脂", "牛肺表面活性剂")),
    group("卵泡素", S, "G03GA", "gonadotropins", members=("促卵泡激素", "重组人促卵泡激素", "重组人促黄体激素α",
                                                         "黄体生成素卵泡刺激素", "尿促性素")),
    named("H01BB", "oxytocin", "缩宫素", "催产素"),
    named("H01AC", "somatropin", "生长激素", "重组人生长激素"),
    named("H04AA", "glucagon", "高血糖素", "胰高血糖素"),
    # -- radionuclides and contrast media --------------------------------------------------------
    group("亚锡", P, "V09", "technetium kits (stannous)", priority=1),
    group("钆", P, "V08CA", "paramagnetic contrast media", members=("磁显葡胺",), exceptions={"钆乳糖": ""}),
    named("V08AA", "diatrizoate", "泛影葡胺", "泛影酸钠"),
    named("V08AD", "iodized oil (contrast)", "超液态碘化油", "碘化油", routes=((ORAL + ("胶丸", "咀嚼"), ""),)),
    named("V08BA", "barium sulfate", "硫酸钡"),
    named("V04CX", "indocyanine green", "吲哚菁绿"),
    # -- named substances with no stem, frequent in the sources (ATC code of the substance) -----
    named("N06BX", "cerebrolysin", "脑蛋白水解物"),
    named("G04BX", "tiopronin", "硫普罗宁"),
    named("R05DB", "levodropropizine", "左羟丙哌嗪"),
    named("R05DB", "benproperine", "苯丙哌林"),
    named("R05DB", "pentoxyverine", "喷托维林"),
    named("R05DB", "cloperastine", "氯哌丁", "氯哌斯汀"),
    named("R05CA", "guaifenesin", "愈创甘油醚", "愈创木酚甘油醚"),
    named("C05CX", "aescin", "七叶皂苷"),
    named("A07BC", "diosmectite", "蒙脱石"),
    named("C04AE", "dihydroergotoxine", "二氢麦角碱", "双氢麦角毒碱"),
    named("R07AB", "doxapram", "多沙普仑"),
    named("R07AB", "dimefline", "二甲弗林"),
    named("R07AB", "nikethamide", "尼可刹米"),
    named("R07AB", "lobeline", "洛贝林", "山梗菜碱"),
    named("R07AB", "bemegride", "贝美格"),
    named("P02CE", "levamisole", "左旋咪唑"),
    named("G04BD", "flavoxate", "黄酮哌酯"),
    named("G04BD", "trospium", "曲司氯铵"),
    named("G04BD", "propiverine", "丙哌维林"),
    named("G04BD", "solifenacin", "索利那辛"),
    named("G04BX", "phenazopyridine", "非那吡啶"),
    named("A05BA", "ornithine aspartate", "门冬氨酸鸟氨酸"),
    named("M05BX", "ipriflavone", "依普黄酮"),
    named("G02CA", "ritodrine", "利托君"),
    named("R06AA", "dimenhydrinate", "茶苯海明"),
    named("R06AX", "triprolidine", "曲普利啶"),
    named("R06AX", "astemizole", "阿司咪唑"),
    named("R06AE", "meclozine", "美克洛嗪"),
    named("M01AX", "chondroitin", "软骨素", routes=((EYE, ""),)),
    named("M01AX", "glucosamine", "氨基葡萄糖"),
    named("M01AE", "fenbufen", "芬布芬"),
    named("M01AB", "tolmetin", "托美丁"),
    named("M01CC", "penicillamine", "青霉胺"),
    named("M03BX", "baclofen", "巴氯芬"),
    named("M03AB", "suxamethonium", "琥珀胆碱", "氯化琥珀胆碱"),
    named("M03CA", "dantrolene", "丹曲林"),
    named("M03BA", "methocarbamol", "美索巴莫"),
    named("A02BX", "bismuth subcitrate", "枸橼酸铋钾"),
    named("A02BX", "colloidal bismuth pectin", "胶体果胶铋"),
    named("A02BX", "ecabet", "依卡倍特"),
    named("A02BX", "sofalcone", "索法酮"),
    named("A09AA", "pepsin", "胃蛋白酶", "含糖胃蛋白酶"),
    named("A06AC", "ispaghula", "欧车前亲水胶", "欧车前"),
    named("A06AD", "sodium sulfate", "无水硫酸钠"),
    named("A06AD", "sodium phosphate", "磷酸钠盐", routes=((("灌肠",), "A06AG"),)),
    named("A16AA", "glutamine", "谷氨酰胺", "l-谷氨酰胺"),
    named("A08AA", "centrally acting antiobesity", "芬氟拉明", "西布曲明", "安非拉酮", "马吲哚"),
    named("C01AC", "strophanthin", "毒毛花苷k", "毒毛苷k"),
    named("C02DB", "hydralazine", "肼屈嗪", "肼酞嗪", "肼苯哒嗪"),
    named("C01DX", "nesiritide", "奈西利肽"),
    named("C01DA", "isosorbide dinitrate (a common misspelling)", "硝酸异山梨醇"),
    named("C03CC", "etacrynic acid", "依他尼酸", "利尿酸"),
    named("C01EB", "phosphocreatine", "磷酸肌酸"),
    named("B01AD", "fibrinolytic enzymes", "降纤酶", "去纤酶", "纤溶酶", "蝮蛇抗栓酶", "葡激酶", "重组链激酶"),
    named("V03AE", "polystyrene sulfonate", "聚苯乙烯磺酸"),
    named("V03AB", "sodium calcium edetate", "依地酸钙钠"),
    named("V07AB", "water for injection", "灭菌注射用水"),
    named("P02CF", "ivermectin", "伊维菌素"),
    named("P02BA", "praziquantel", "吡喹酮"),
    named("P02CB", "piperazine", "哌嗪", "乙胺嗪", exceptions={"阿魏酸哌嗪": "", "羟丙哌嗪": "R05DB", "羟苯哌嗪": ""}),
    named("P02CC", "pyrantel", "噻嘧啶"),
    named("P01BC", "quinine", "奎宁"),
    named("P01CB", "sodium stibogluconate", "葡萄糖酸锑钠"),
    named("P03AB", "lindane", "林旦"),
    named("P03AX", "benzyl benzoate", "苯甲酸苄酯"),
    named("J01XB", "polymyxins", "多粘菌素b", "多粘菌素e", "粘菌素", "多黏菌素b", "黏菌素"),
    named("J01BA", "thiamphenicol", "甲砜霉素"),
    named("J01XE", "nitrofurantoin", "呋喃妥因", "呋喃妥英"),
    named("G01AX", "nifuratel", "硝呋太尔"),
    named("L01DC", "bleomycin", "博来霉素"),
    named("J05AX", "umifenovir", "阿比朵尔", "阿比多尔"),
    named("N02BE", "paracetamol (a common misspelling)", "乙酰氨基酚"),
    named("N07CA", "difenidol", "地芬尼多"),
    named("N07BA", "cytisine", "野靛碱"),
    named("G02AB", "ergometrine", "麦角新碱"),
    named("G02BB", "nonoxinol", "壬苯醇醚"),
    named("G03XA", "danazol", "达那唑"),
    named("G03GB", "clomifene", "氯米芬", "克罗米芬"),
    named("G03XC", "raloxifene", "雷洛昔芬"),
    named("A14AA", "stanozolol", "司坦唑醇"),
    named("H05BX", "cinacalcet", "西那卡塞"),
    named("R05CB", "dornase alfa", "阿法脱氧核糖核酸酶"),
    named("R03CC", "hexoprenaline", "海索那林"),
    named("R03CB", "methoxyphenamine", "甲氧那明"),
    named("S01GX", "lodoxamide", "洛度沙胺"),
    named("S01EA", "apraclonidine", "安普乐定"),
    named("S01FA", "cyclopentolate", "环喷托酯"),
    named("M09AX", "hyaluronic acid", "玻璃酸钠", routes=((EYE, "S01KA"),)),
    named("D02AB", "zinc oxide", "氧化锌"),
    named("L01XC", "PD-1/PD-L1 antibodies (-li-mab)", "纳武利尤单抗", "帕博利珠单抗", "替雷利珠单抗", "卡瑞利珠单抗",
          "信迪利单抗", "特瑞普利单抗", "阿替利珠单抗", "度伐利尤单抗"),
)

#: a radionuclide in brackets, as kg.normalize leaves it: 高锝(99mtc)酸钠, 碘(131i)化钠, 氟(18f)脱氧葡糖
#: (element symbols only: 复方氨基酸(15aa) names no nuclide)
_NUCLIDE = re.compile(r"\((\d{1,3})m?(tc|f|i|tl|ga|p|sm|sr|y|dy|er|re|au|lu|ra|in|xe|cr|se|c|n|o|co|fe|kr|rb|ho)\)")
#: nuclides of therapy (V10); every other bracketed nuclide is a diagnostic (V09)
_THERAPY = {"32p", "90y", "153sm", "89sr", "165dy", "169er", "186re", "198au", "177lu", "223ra"}


def radiopharmaceutical(normalized: str) -> str | None:
    """The ATC group of a radiopharmaceutical named with its nuclide, or None.
    Sodium iodide (131I) is the thyroid therapy (V10X); other 131I compounds are diagnostics."""
    m = _NUCLIDE.search(normalized)
    if m is None:
        return None
    nuclide = m.group(1) + m.group(2)
    if nuclide == "131i" and (normalized.startswith("碘(131i)化钠") or "单抗" in normalized):
        return "V10"
    return "V10" if nuclide in _THERAPY or "胶体" in normalized else "V09"
