"""The INN stems that Chinese generic names follow, with the ATC class each one implies.

Written from the WHO "The use of stems in the selection of International Nonproprietary Names"
list (stem → pharmacological group) and the Chinese transliterations of those stems (-sartan
→ 沙坦, -pril → 普利, cef- → 头孢 …). Each stem names the ATC level-3 group it implies and,
only where the stem alone fixes it, the level-4 group (-沙坦 → C09CA; -洛尔 → C07A only:
selective or not needs the substance; 头孢- → J01D only: the generation needs the substance).

`exceptions` are substances that carry the stem's characters but belong elsewhere (长春西汀 is
vinpocetine, not a vinca alkaloid) — mapped to their own group, or to "" for no class.
`members` are a stem group's substances whose Chinese name lacks the stem (沙丁胺醇 among the
-terol β2 agonists, 特布他林 …), as the INN list itself groups them. A short last section names
frequent substances that carry no stem at all (蒙脱石, 巴氯芬 …) with their own ATC group, and a
few entries are group words rather than INN stems (维生素, 疫苗, 活菌): marked as such below.

The longest matching stem wins; a suffix beats a prefix beats an infix of the same length.
"""

from __future__ import annotations

from kg.classes.patterns import PATTERNS
from kg.classes.rule import EAR, EYE, INHALED, NOSE, ORAL, SKIN, VAGINAL, Stem, Where

S, P, IN = Where.SUFFIX, Where.PREFIX, Where.INFIX

STEMS: tuple[Stem, ...] = (
    # -- cardiovascular ------------------------------------------------------------------------
    Stem("沙坦", S, "C09CA", "-sartan"),
    Stem("普利", S, "C09AA", "-pril"),
    Stem("普利拉", S, "C09AA", "-prilat"),
    Stem("地平", S, "C08CA", "-dipine"),
    Stem("洛尔", S, "C07A", "-olol", members=("卡维地洛", "阿罗洛尔")),
    Stem("地洛", S, "C07A", "-dilol"),
    Stem("他汀", S, "C10AA", "-vastatin"),
    Stem("贝特", S, "C10AB", "-fibrate", members=("吉非罗齐", "吉非贝齐")),
    Stem("氯噻嗪", S, "C03AA", "-thiazide", members=("氯噻嗪",)),
    Stem("氟噻嗪", S, "C03AA", "-thiazide"),
    Stem("塞米", S, "C03CA", "-semide"),
    Stem("唑嗪", S, "C02CA", "-azosin", exceptions={"阿夫唑嗪": "G04CA", "阿呋唑嗪": "G04CA", "特拉唑嗪": "G04CA"}),
    Stem("索尼定", S, "C02AC", "-onidine", members=("可乐定", "利美尼定")),
    Stem("莫尼定", S, "S01EA", "-onidine (brimonidine)"),
    Stem("扎尼定", S, "M03BX", "-onidine (tizanidine)"),
    Stem("帕米", S, "C08DA", "-pamil"),
    Stem("地尔硫", S, "C08DB", "-tiazem", members=("地尔硫", "地尔硫卓", "地尔硫䓬")),
    Stem("奈达隆", S, "C01BD", "-darone", members=("胺碘酮",)),
    Stem("高辛", S, "C01AA", "-oxin (digitalis)"),
    Stem("山梨酯", S, "C01DA", "nitrate esters", members=("硝酸甘油", "戊四硝酯")),
    # -- blood ---------------------------------------------------------------------------------
    Stem("格雷", S, "B01AC", "-grel", exceptions={"阿那格雷": "L01XX"}, members=("替格瑞洛", "西洛他唑", "双嘧达莫", "噻氯匹定")),
    Stem("沙班", S, "B01A", "-xaban"),
    Stem("加群", S, "B01AE", "-gatran", members=("阿加曲班", "比伐卢定")),
    Stem("肝素", S, "B01AB", "-parin", exceptions={"有机类肝素": "C05BA", "磺达肝素": "B01AX", "磺达肝癸": "B01AX"}, members=("肝素",)),
    Stem("普酶", S, "B01AD", "-teplase", members=("尿激酶", "链激酶")),
    Stem("香豆素", S, "B01AA", "-coumarol", exceptions={"羟甲香豆素": "A05AX", "氯达香豆素": "C01DX", "二甲氧香豆素": ""}, members=("华法林",)),
    Stem("氨甲环酸", S, "B02AA", "tranexamic acid", members=("氨甲苯酸", "氨基己酸")),
    # -- alimentary tract ----------------------------------------------------------------------
    Stem("拉唑", S, "A02BC", "-prazole"),
    Stem("替丁", S, "A02BA", "-tidine"),
    Stem("司琼", S, "A04AA", "-setron", exceptions={"阿洛司琼": "A03AE"}),
    Stem("匹坦", S, "A04AD", "-pitant"),
    Stem("沙必利", S, "A03FA", "-pride (prokinetic)", members=("伊托必利", "多潘立酮", "甲氧氯普胺")),
    Stem("格列", P, "A10BB", "gli- (sulfonylurea)", exceptions={"格列嘧啶": "A10BC"}, members=("甲苯磺丁脲", "氯磺丙脲")),
    Stem("格列奈", S, "A10BX", "-glinide"),
    Stem("格列汀", S, "A10BH", "-gliptin", members=("利拉利汀",)),
    Stem("格列净", S, "A10BK", "-gliflozin"),
    Stem("格列酮", S, "A10BG", "-glitazone"),
    Stem("双胍", S, "A10BA", "-formin"),
    Stem("波糖", S, "A10BF", "-bose", members=("米格列醇",)),
    Stem("鲁肽", S, "A10B", "-glutide", exceptions={"替度鲁肽": "A16AX"}, members=("艾塞那肽", "利司那肽", "度拉糖肽")),
    Stem("去氧胆酸", S, "A05AA", "bile acids"),
    Stem("莨菪碱", S, "A03B", "belladonna alkaloids", members=("阿托品", "颠茄")),
    # -- anti-infectives -----------------------------------------------------------------------
    Stem("沙星", S, "J01MA", "-oxacin", routes=((EYE, "S01AE"), (EAR, "S02AA"))),
    Stem("头孢", IN, "J01D", "cef-", priority=1, exceptions={"虫草头孢": ""}),
    Stem("巴坦", S, "J01C", "-bactam (β-lactamase inhibitors, with a penicillin)"),
    Stem("培南", S, "J01D", "-penem"),
    Stem("青霉素", S, "J01C", "penicillins"),
    Stem("西林", S, "J01C", "-cillin", exceptions={"呋喃西林": "D08AF"}, members=("青霉素", "青霉素V", "苄星青霉素")),
    Stem("红霉素", S, "J01FA", "-mycin (macrolide)", members=("红霉素", "阿奇霉素", "克拉霉素", "螺旋霉素", "乙酰螺旋霉素",
                                                              "交沙霉素", "麦迪霉素", "吉他霉素", "泰利霉素"),
         routes=((EYE, "S01AA"), (SKIN, "D06AX"))),
    Stem("米星", S, "J01GB", "-micin", members=("庆大霉素", "妥布霉素", "卡那霉素", "核糖霉素"), routes=((EYE, "S01AA"),)),
    Stem("卡星", S, "J01GB", "-kacin"),
    Stem("林可霉素", S, "J01FF", "lincosamides", members=("林可霉素", "克林霉素"),
         routes=((VAGINAL, "G01AA"), (SKIN, "D10AF"))),
    Stem("万古霉素", S, "J01XA", "glycopeptides", members=("万古霉素", "替考拉宁")),
    Stem("环素", S, "J01AA", "-cycline", exceptions={"前列环素": "B01AC", "曲前列环素": "B01AC", "甲氯环素": "D10AF"},
         members=("土霉素", "金霉素")),
    Stem("硝唑", S, "J01XD", "-nidazole", exceptions={"苯硝唑": "", "塞克硝唑": "P01AB"}, routes=((VAGINAL, "G01AF"),)),
    Stem("磺胺", P, "J01E", "sulfa-", exceptions={"磺胺嘧啶银": "D06BA", "磺胺嘧啶锌": "D06BA", "磺胺醋酰": "S01AB", "磺胺米隆": "D06BA",
                                                  "磺胺脒": "A07AB", "磺胺胍": "A07AB"}),
    Stem("利福", P, "J04AB", "rif-", exceptions={"利福昔明": "A07AA"}),
    Stem("康唑", S, "D01AC", "-conazole", exceptions={"氟康唑": "J02AC", "伊曲康唑": "J02AC", "伏立康唑": "J02AC",
                                                     "泊沙康唑": "J02AC", "艾沙康唑": "J02AC",
                                                     "布康唑": "G01AF", "特康唑": "G01AG"}, routes=((VAGINAL, "G01AF"),)),
    Stem("芬净", S, "J02AX", "-fungin"),
    Stem("萘芬", S, "D01A", "-nafine (terbinafine group)"),
    Stem("韦", S, "J05A", "-vir"),
    Stem("昔洛韦", S, "J05AB", "-ciclovir", members=("利巴韦林",), routes=((EYE, "S01AD"), (SKIN, "D06BB"))),
    Stem("那韦", S, "J05AE", "-navir"),
    Stem("米韦", S, "J05AH", "-amivir", members=("奥司他韦",)),
    Stem("夫定", S, "J05AF", "-vudine", exceptions={"溴夫定": "J05AB"}, members=("恩曲他滨",)),
    Stem("福韦", S, "J05AF", "-fovir", exceptions={"西多福韦": "J05AB"}),
    Stem("替卡韦", S, "J05AF", "entecavir"),
    Stem("韦仑", S, "J05AG", "-virine", members=("奈韦拉平", "依曲韦林", "利匹韦林", "依非韦伦")),
    Stem("韦伦", S, "J05AG", "-virenz"),
    Stem("氨喹", S, "P01BA", "-quine", members=("氯喹", "羟氯喹")),
    # artemisinins by name: 青蒿 alone is the herb that TCM formulas carry (青蒿鳖甲汤)
    Stem("青蒿素", S, "P01BE", "artemisinins", exceptions={"青蒿素联合疗法": "P01BF"},
         members=("蒿甲醚", "蒿乙醚", "双氢青蒿素", "青蒿琥酯", "青蒿素")),
    Stem("达唑", S, "P02CA", "-bendazole", members=("甲苯咪唑",)),
    # -- antineoplastic and immunomodulating ---------------------------------------------------
    Stem("他滨", S, "L01BC", "-citabine", exceptions={"恩曲他滨": "J05AF", "扎西他滨": "J05AF", "伐托他滨": ""}),
    Stem("拉滨", S, "L01BB", "-arabine (purine analogues)"),
    Stem("曲宾", S, "L01BB", "cladribine"),
    Stem("尿嘧啶", S, "L01BC", "fluorouracil", members=("替加氟", "卡莫氟")),
    Stem("替尼", S, "L01XE", "-tinib", exceptions={"托法替尼": "L04AA", "巴瑞替尼": "L04AA", "巴瑞克替尼": "L04AA", "乌帕替尼": "L04AA",
                                                   "非戈替尼": "L04AA"}, members=("托法替布",)),
    Stem("非尼", S, "L01XE", "-rafenib", exceptions={"莫达非尼": "N06BA", "阿屈非尼": "N06BX"}),
    Stem("妥昔单抗", S, "L01XC", "-tuximab"),
    Stem("妥珠单抗", S, "L01XC", "-tuzumab", exceptions={"培瑟妥珠单抗": "L04AB"}),
    Stem("铂", S, "L01XA", "-platin"),
    Stem("柔比星", S, "L01DB", "-rubicin", members=("柔红霉素", "伊达比星", "米托蒽醌")),
    Stem("他赛", S, "L01CD", "-taxel", members=("紫杉醇",)),
    # vin-: named members only — 长春 alone is also a city that TCM product names carry (长春宝, 长春红药)
    Stem("长春新碱", S, "L01CA", "vin-", exceptions={"长春西汀": "N06BX", "长春西丁": "N06BX", "长春胺": "C04AX", "长春曲醇": "",
                                               "长春布宁": "C04AX"},
         members=("长春新碱", "长春碱", "长春地辛", "长春瑞滨", "长春氟宁", "长春花碱", "长春酰胺", "长春氟宁")),
    Stem("泊苷", S, "L01CB", "-poside"),
    Stem("替康", S, "L01XX", "-tecan"),
    Stem("磷酰胺", S, "L01AA", "-fosfamide", members=("苯丁酸氮芥", "美法仑", "氮芥")),
    Stem("莫司汀", S, "L01AD", "-mustine", exceptions={"雌莫司汀": "L01XX", "苯达莫司汀": "L01AA"}),
    Stem("曲唑", S, "L02BG", "-trozole", members=("依西美坦",)),
    Stem("鲁胺", S, "L02BB", "-lutamide", exceptions={"芬格鲁胺": "N04AA"}, members=("氟他胺", "恩扎卢胺")),
    Stem("瑞克", S, "H01CC", "-relix (GnRH antagonists)"),
    Stem("丙瑞林", S, "L02AE", "-orelin (LHRH agonists)", members=("戈舍瑞林", "曲普瑞林", "布舍瑞林", "组氨瑞林")),
    Stem("莫司", S, "L04A", "-imus", exceptions={"吡美莫司": "D11AH", "替西罗莫司": "L01XE", "阿昔莫司": "C10AD"}),
    Stem("干扰素", IN, "L03AB", "interferons", members=("干扰素",)),
    Stem("格司亭", S, "L03AA", "-grastim"),
    # -- musculo-skeletal ----------------------------------------------------------------------
    Stem("洛芬", S, "M01AE", "-profen", members=("萘普生", "洛索洛芬", "奥沙普秦"), routes=((EYE, "S01BC"), (SKIN, "M02AA"))),
    Stem("普生", S, "M01AE", "-proxen"),
    Stem("昔康", S, "M01AC", "-icam"),
    Stem("昔布", S, "M01AH", "-coxib", members=("依托考昔",)),
    Stem("考昔", S, "M01AH", "-coxib"),
    Stem("芬酸", S, "M01AB", "-fenac", exceptions={"溴芬酸": "S01BC"}, members=("吲哚美辛", "舒林酸", "依托度酸",
                                                                             "醋氯芬酸", "酮咯酸"),
         routes=((EYE, "S01BC"), (SKIN, "M02AA"))),
    Stem("美辛", S, "M01AB", "-metacin"),
    Stem("芬那酸", S, "M01AG", "-fenamic acid"),
    Stem("膦酸", S, "M05BA", "-dronic acid", exceptions={"亚锡亚甲基二膦酸": "V09B", "亚甲基二膦酸": "V09B"}),
    Stem("舒利", S, "M01AX", "-sulide"),
    Stem("哌立松", S, "M03BX", "-perisone", members=("托哌酮",)),
    Stem("肉毒毒素", IN, "M03AX", "botulinum toxin"),
    Stem("布司他", S, "M04AA", "-xostat (xanthine oxidase inhibitors)", members=("别嘌醇", "别嘌呤醇")),
    Stem("溴马隆", S, "M04AB", "uricosurics", members=("丙磺舒", "磺吡酮")),
    Stem("秋水仙碱", S, "M04AC", "colchicine", members=("秋水仙碱",)),
    Stem("库铵", S, "M03AC", "-curium"),
    Stem("库溴铵", S, "M03AC", "-curonium"),
    Stem("库氯铵", S, "M03AC", "-curium"),
    # -- nervous system ------------------------------------------------------------------------
    Stem("卡因", S, "N01BB", "-caine", exceptions={"普鲁卡因": "N01BA", "氯普鲁卡因": "N01BA", "溴米那普鲁卡因": "", "丁卡因": "N01BA",
                                                   "苯佐卡因": "N01BA", "可卡因": "N01BC", "奥布卡因": "S01HA"}),
    Stem("氟烷", S, "N01AB", "-flurane"),
    Stem("芬太尼", S, "N02AB", "-fentanil", exceptions={"瑞芬太尼": "N01AH", "舒芬太尼": "N01AH",
                                                        "阿芬太尼": "N01AH"}, members=("哌替啶",)),
    Stem("吗啡", S, "N02AA", "morphinans", exceptions={"阿扑吗啡": "N04BC", "烯丙吗啡": "V03AB", "乙基吗啡": "R05DA"},
         members=("吗啡", "羟考酮", "氢吗啡酮")),
    Stem("曲坦", S, "N02CC", "-triptan", exceptions={"奥昔曲坦": "N06AX"}),
    Stem("西泮", S, "N05BA", "-azepam", exceptions={"氯硝西泮": "N03AE", "硝西泮": "N05CD", "氟西泮": "N05CD",
                                                    "替马西泮": "N05CD", "氟硝西泮": "N05CD"}),
    Stem("唑仑", S, "N05CD", "-azolam", exceptions={"阿普唑仑": "N05BA"}),
    Stem("匹克隆", S, "N05CF", "-clone", members=("唑吡坦", "扎来普隆")),
    Stem("巴比妥", S, "N05CA", "-barb", exceptions={"苯巴比妥": "N03AA", "甲苯巴比妥": "N03AA"}),
    Stem("西汀", S, "N06A", "-oxetine", exceptions={"达泊西汀": "G04BX", "托莫西汀": "N06BA", "阿托西汀": "N06BA", "长春西汀": "N06BX",
                                                    "非那西汀": "N02BE", "布西汀": "N02BE"}),
    Stem("氟西汀", S, "N06AB", "fluoxetine", members=("舍曲林", "氟伏沙明")),
    Stem("帕罗西汀", S, "N06AB", "paroxetine"),
    Stem("酞普兰", S, "N06AB", "-pram (citalopram)"),
    Stem("米帕明", S, "N06AA", "-ipramine", members=("丙米嗪", "阿米替林", "去甲替林", "多塞平", "马普替林")),
    Stem("替林", S, "N06AA", "-triptyline"),
    Stem("法辛", S, "N06AX", "-faxine", exceptions={"胍法辛": "C02AC"}, members=("米那普仑", "米氮平", "曲唑酮", "安非他酮", "阿戈美拉汀")),
    Stem("氮平", S, "N05AH", "-apine", exceptions={"米氮平": "N06AX"}, members=("喹硫平", "阿塞那平", "洛沙平")),
    Stem("西平", S, "N03AF", "-azepine (carboxamide)", exceptions={"哌仑西平": "A02BX", "二苯西平": "N06AA"}),
    Stem("培酮", S, "N05AX", "-peridone", members=("帕利哌酮", "阿立哌唑", "依匹哌唑", "哌罗匹隆")),
    Stem("拉西酮", S, "N05AE", "-lurasidone"),
    Stem("齐拉西酮", S, "N05AE", "ziprasidone"),
    Stem("哌啶醇", S, "N05AD", "-peridol", members=("氟哌利多",)),
    Stem("奋乃静", S, "N05AB", "phenothiazines"),
    Stem("噻吨", S, "N05AF", "thioxanthenes"),
    Stem("丙嗪", S, "N05AA", "-promazine", exceptions={"异丙嗪": "R06AD", "二氧丙嗪": ""}),
    Stem("西坦", S, "N06BX", "-racetam", exceptions={"左乙拉西坦": "N03AX", "布瓦西坦": "N03AX"}),
    Stem("巴喷丁", S, "N03AX", "gabapentinoids", members=("普瑞巴林", "拉莫三嗪", "托吡酯")),
    Stem("吉兰", S, "N04BD", "-giline"),
    Stem("卡朋", S, "N04BX", "-capone"),
    Stem("多巴", S, "N04BA", "-dopa", exceptions={"甲基多巴": "C02AB", "屈昔多巴": "C01CA"}),
    Stem("哌齐", S, "N06DA", "donepezil", members=("加兰他敏", "利斯的明", "卡巴拉汀", "石杉碱甲")),
    # -- respiratory ---------------------------------------------------------------------------
    Stem("特罗", S, "R03AC", "-terol", exceptions={"班布特罗": "R03CC", "克仑特罗": "R03CC", "马布特罗": "R03CC", "氨溴特罗": "R05CB"}, routes=((ORAL, "R03CC"),),
         members=("沙丁胺醇", "左沙丁胺醇", "特布他林")),
    Stem("鲁司特", S, "R03DC", "-lukast"),
    Stem("司特", S, "R03D", "-ast", exceptions={"曲尼司特": "", "吡嘧司特": "S01GX", "阿普斯特": "L04AA", "他扎司特": "",
                                                     "瑞吡司特": ""}),
    Stem("色甘酸", S, "R03BC", "cromoglicic acid", members=("奈多罗米",), routes=((EYE, "S01GX"), (NOSE, "R01AC"))),
    Stem("茶碱", S, "R03DA", "-fylline", exceptions={"复方妥英麻黄茶碱": ""}, members=("茶碱",)),
    Stem("托溴铵", S, "R03BB", "-tropium", members=("格隆溴铵", "乌美溴铵", "阿地溴铵")),
    Stem("溴索", S, "R05CB", "ambroxol", members=("溴己新", "乙酰半胱氨酸")),
    Stem("司坦", S, "R05CB", "-steine"),
    Stem("美沙芬", S, "R05DA", "dextromethorphan", members=("可待因", "福尔可定", "美沙芬")),
    Stem("他定", S, "R06AX", "-tadine", members=("赛庚啶", "酮替芬"), routes=((EYE, "S01GX"),)),
    Stem("斯汀", S, "R06AX", "-astine", exceptions={"左卡巴斯汀": "R01AC"}, routes=((NOSE, "R01AC"), (EYE, "S01GX"))),
    Stem("司汀", S, "R06AX", "-astine", exceptions={"左卡巴司汀": "R01AC"}, routes=((NOSE, "R01AC"), (EYE, "S01GX"))),
    Stem("替利嗪", S, "R06AE", "-tirizine"),
    Stem("非那定", S, "R06AX", "-fenadine"),
    Stem("苯那敏", S, "R06AB", "-pheniramine"),
    Stem("海拉明", S, "R06AA", "diphenhydramine"),
    # -- hormones ------------------------------------------------------------------------------
    Stem("米松", S, "H02AB", "-metasone", exceptions={"倍氯米松": "R03BA", "莫米松": "D07AC", "卤米松": "D07AC"},
         routes=((("口腔",), "A01AC"), (SKIN, "D07A"), (EYE, "S01BA"), (NOSE, "R01AD"), (INHALED, "R03BA"))),
    Stem("尼松", S, "H02AB", "-nisone", routes=((("口腔",), "A01AC"), (SKIN, "D07A"), (EYE, "S01BA"), (NOSE, "R01AD"), (INHALED, "R03BA"))),
    Stem("可的松", S, "H02AB", "cortisone", exceptions={"氟氢可的松": "H02AA"}, members=("可的松",),
         routes=((("口腔",), "A01AC"), (SKIN, "D07A"), (EYE, "S01BA"), (NOSE, "R01AD"), (INHALED, "R03BA"))),
    Stem("尼松龙", S, "H02AB", "-nisolone", routes=((("口腔",), "A01AC"), (SKIN, "D07A"), (EYE, "S01BA"), (NOSE, "R01AD"), (INHALED, "R03BA"))),
    Stem("泼尼龙", S, "H02AB", "-nisolone", routes=((("口腔",), "A01AC"), (SKIN, "D07A"), (EYE, "S01BA"), (NOSE, "R01AD"), (INHALED, "R03BA"))),
    Stem("安西龙", S, "H02AB", "triamcinolone", members=("曲安奈德",),
         routes=((("口腔",), "A01AC"), (SKIN, "D07A"), (EYE, "S01BA"), (NOSE, "R01AD"), (INHALED, "R03BA"))),
    Stem("卡松", S, "R03BA", "-casone", members=("布地奈德", "环索奈德")),
    Stem("倍他索", S, "D07AD", "clobetasol", members=("哈西奈德",)),
    Stem("加压素", S, "H01BA", "-pressin", members=("加压素",)),
    Stem("降钙素", S, "H05BA", "calcitonins", members=("降钙素",)),
    Stem("司酮", S, "G03XB", "-pristone"),
    Stem("前列酮", S, "G02AD", "-prost (dinoprostone)", exceptions={"乌诺前列酮": "S01EE"}),
    Stem("曲肽", S, "H01CB", "-reotide", exceptions={"复方曲肽": ""}, members=("兰瑞肽", "生长抑素")),
    Stem("硫氧嘧啶", S, "H03BA", "thiouracils", exceptions={"甲巯咪唑": "H03BB", "卡比马唑": "H03BB"}),
    Stem("甲状腺素", S, "H03AA", "thyroid hormones", members=("甲状腺素", "碘塞罗宁")),
    Stem("雌二醇", S, "G03C", "estr-", exceptions={"聚磷酸雌二醇": "L02AA"}, members=("雌三醇", "炔雌醇", "结合雌激素")),
    Stem("孕烯", S, "G03AC", "-gest- (etonogestrel implant)"),
    Stem("孕酮", S, "G03D", "-gest-", exceptions={"环丙孕酮": "G03HA", "左炔诺孕酮": "G03AC", "复方炔诺孕酮": "G03AA", "复方左炔诺孕酮": "G03AA",
                                              "复方醋酸环丙孕酮": "G03HB", "复方环丙孕酮": "G03HB"}, members=("黄体酮", "炔诺酮", "左炔诺孕酮", "屈螺酮")),
    Stem("睾酮", S, "G03BA", "-sterone", exceptions={"普拉睾酮": ""}, members=("睾酮",)),
    # -- genito-urinary ------------------------------------------------------------------------
    Stem("那非", S, "G04BE", "-afil", members=("他达拉非",)),
    Stem("雄胺", S, "G04CB", "-steride"),
    Stem("那新", S, "G04BD", "-fenacin", members=("托特罗定", "奥昔布宁", "非索罗定")),
    Stem("索罗辛", S, "G04CA", "-osin (tamsulosin)", members=("坦洛新", "西洛多辛", "萘哌地尔", "阿夫唑嗪", "赛洛多辛")),
    # -- eye -----------------------------------------------------------------------------------
    Stem("唑啉", S, "R01AA", "-azoline (nasal decongestants)"),
    Stem("唑林", S, "R01AA", "-azoline (nasal decongestants)", exceptions={"头孢唑林": "J01DB"}),
    Stem("前列素", S, "S01EE", "-prost (ophthalmic -oprost)", exceptions={"伊洛前列素": "B01AC", "贝前列素": "B01AC",
                                                                       "恩前列素": "A02BB"}),
)

#: every rule: the INN stems, then the name patterns (kg.classes.patterns)
RULES: tuple[Stem, ...] = STEMS + PATTERNS


def _named() -> dict[str, tuple[str, Stem]]:
    out: dict[str, tuple[str, Stem]] = {}
    for stem in RULES:
        for name in stem.members:
            out.setdefault(name.lower(), (stem.code, stem))
        for name, code in stem.exceptions.items():
            out[name.lower()] = (code, stem)
    return out


#: exception and member names (lower case, as kg.normalize leaves them) → (code, stem); "" = no class
NAMED: dict[str, tuple[str, Stem]] = _named()
_ORDER = {Where.SUFFIX: 0, Where.PREFIX: 1, Where.INFIX: 2}


def match_stem(generic: str) -> tuple[str, Stem] | None:
    """(ATC code, stem) for a generic name, or None. A named exception or member wins; then the
    longest stem (suffix before prefix before infix). Code "" means "the stem's characters, but no
    class" (the caller returns nothing)."""
    if generic in NAMED:
        return NAMED[generic]
    found = [s for s in RULES if s.matches(generic)]
    if not found:
        return None
    best = min(found, key=lambda s: (-s.priority, -len(s.text), _ORDER[s.where]))
    # a longer stem's exception covers names that also end with a shorter stem (长春西汀: 西汀 / 长春)
    # an exception also ends a longer name (愈酚喷托异丙嗪 ends with 异丙嗪, an antihistamine)
    # a group word's exception also starts a longer name (复方维生素b12软膏: vitamin B12, not A11)
    bare = generic.removeprefix("复方")
    ends = [(len(name), code, s) for s in found for name, code in s.exceptions.items()
            if generic.endswith(name.lower()) or (s.where == Where.PREFIX and bare.startswith(name.lower()))]
    if ends:
        _, code, stem = max(ends, key=lambda e: e[0])
        return code, stem
    return best.code, best
