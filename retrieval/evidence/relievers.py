"""Relievers and controllers: what an attack asks for (issue 17, point 5).

`哮喘急性发作用什么药` asks for the drugs that end an attack — short-acting β2 agonists (沙丁胺醇,
特布他林), ipratropium, systemic steroids — not the long-acting controllers that prevent attacks
(沙美特罗, 福莫特罗, 孟鲁司特). The graph does not say which is which: ATC puts salbutamol and
salmeterol in one class (R03AC). This small curated table does, keyed by ATC code (level 5 for a
substance, level 4 for a whole class) with the Chinese generic names the graph uses. It is read only
when the question's qualifiers ask for relief (`Qualifiers.reliever`: 发作, 急性发作, 急性期, 急救);
retrieval.evidence.salience then puts the reliever members of each class first and the controllers after.

Sources: GINA 2023 (asthma: SABA, SAMA, systemic corticosteroids as relievers; budesonide-formoterol as
anti-inflammatory reliever), ACR/EULAR gout (colchicine, NSAIDs, steroids for flares; urate-lowering
therapy not started for the flare), the Chinese migraine guideline 2022 (acute: NSAIDs, paracetamol,
triptans, ergots; preventive: flunarizine, topiramate, β blockers), stable-angina guidelines
(sublingual nitroglycerin / isosorbide dinitrate for attacks), seizure-cluster rescue benzodiazepines.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RELIEVER = "reliever"
    CONTROLLER = "controller"
    NEUTRAL = ""


#: ATC code → (role, the generic names the graph files the substance under).
SUBSTANCES: dict[str, tuple[Role, tuple[str, ...]]] = {
    # asthma / COPD attacks
    "R03AC02": (Role.RELIEVER, ("沙丁胺醇", "左沙丁胺醇")),
    "R03AC03": (Role.RELIEVER, ("特布他林",)),
    "R03AC04": (Role.RELIEVER, ("非诺特罗",)),
    "R03BB01": (Role.RELIEVER, ("异丙托溴铵", "异丙托品")),
    "R03AK07": (Role.RELIEVER, ("布地奈德福莫特罗",)),
    "R03AL01": (Role.RELIEVER, ("异丙托溴铵沙丁胺醇", "复方异丙托溴铵")),
    "H02AB07": (Role.RELIEVER, ("泼尼松",)),
    "H02AB06": (Role.RELIEVER, ("泼尼松龙",)),
    "H02AB04": (Role.RELIEVER, ("甲泼尼龙", "甲基泼尼松龙")),
    "H02AB09": (Role.RELIEVER, ("氢化可的松",)),
    "R03AC12": (Role.CONTROLLER, ("沙美特罗",)),
    "R03AC13": (Role.CONTROLLER, ("福莫特罗",)),
    "R03AC18": (Role.CONTROLLER, ("茚达特罗",)),
    "R03AC22": (Role.CONTROLLER, ("维兰特罗",)),
    "R03CC12": (Role.CONTROLLER, ("班布特罗",)),
    "R03AK06": (Role.CONTROLLER, ("沙美特罗替卡松", "氟替卡松沙美特罗", "沙美特罗氟替卡松")),
    "R03BB04": (Role.CONTROLLER, ("噻托溴铵",)),
    "R03DC01": (Role.CONTROLLER, ("扎鲁司特",)),
    "R03DC03": (Role.CONTROLLER, ("孟鲁司特",)),
    "R03DX05": (Role.CONTROLLER, ("奥马珠单抗",)),
    "R03BC01": (Role.CONTROLLER, ("色甘酸",)),
    "R03BC03": (Role.CONTROLLER, ("奈多罗米",)),
    "R06AX17": (Role.CONTROLLER, ("酮替芬",)),
    # migraine attacks
    "N02BE01": (Role.RELIEVER, ("对乙酰氨基酚",)),
    "N02BA01": (Role.RELIEVER, ("阿司匹林",)),
    "M01AE01": (Role.RELIEVER, ("布洛芬",)),
    "M01AE02": (Role.RELIEVER, ("萘普生",)),
    "M01AB05": (Role.RELIEVER, ("双氯芬酸",)),
    "N02CA02": (Role.RELIEVER, ("麦角胺", "麦角胺咖啡因")),
    "N07CA03": (Role.CONTROLLER, ("氟桂利嗪",)),
    "N03AX11": (Role.CONTROLLER, ("托吡酯",)),
    "C07AA05": (Role.CONTROLLER, ("普萘洛尔",)),
    # gout flares
    "M04AC01": (Role.RELIEVER, ("秋水仙碱",)),
    "M04AA01": (Role.CONTROLLER, ("别嘌醇",)),
    "M04AA03": (Role.CONTROLLER, ("非布司他",)),
    "M04AB03": (Role.CONTROLLER, ("苯溴马隆",)),
    # angina attacks
    "C01DA02": (Role.RELIEVER, ("硝酸甘油",)),
    "C01DA08": (Role.RELIEVER, ("硝酸异山梨酯", "二硝酸异山梨酯")),
    "C01DA14": (Role.CONTROLLER, ("单硝酸异山梨酯",)),
    # seizure clusters
    "N05BA01": (Role.RELIEVER, ("地西泮",)),
    "N05BA06": (Role.RELIEVER, ("劳拉西泮",)),
    "N05CD08": (Role.RELIEVER, ("咪达唑仑",)),
    "N03AE01": (Role.RELIEVER, ("氯硝西泮",)),
    "N03AG01": (Role.CONTROLLER, ("丙戊酸", "丙戊酸钠")),
    "N03AF01": (Role.CONTROLLER, ("卡马西平",)),
    "N03AF02": (Role.CONTROLLER, ("奥卡西平",)),
    "N03AX09": (Role.CONTROLLER, ("拉莫三嗪",)),
    "N03AX14": (Role.CONTROLLER, ("左乙拉西坦",)),
}
#: Whole ATC classes (level 4) whose members share a role.
CLASSES: dict[str, Role] = {
    "N02CC": Role.RELIEVER,  # triptans
    "N02CA": Role.RELIEVER,  # ergot alkaloids
    "M01AE": Role.RELIEVER, "M01AB": Role.RELIEVER, "M01AH": Role.RELIEVER,  # NSAIDs for gout flares, migraine
    "R03DC": Role.CONTROLLER,  # leukotriene receptor antagonists
    "R03BC": Role.CONTROLLER,  # cromones
    "M04AA": Role.CONTROLLER, "M04AB": Role.CONTROLLER,  # urate lowering
}
#: A controller group's heading in an attack answer.
CONTROLLER_LABEL = "长期控制药（不用于缓解发作）"

_BY_NAME: dict[str, Role] = {name: role for role, names in SUBSTANCES.values() for name in names}


#: Route words a generic name may still carry (吸入沙丁胺醇, 雾化布地奈德).
_ROUTE_PREFIXES = ("吸入用", "吸入", "雾化", "注射用", "口服")


def role(generic: str, class_code: str = "") -> Role:
    """Reliever, controller or neither, by the generic's name (its substance row) else its class code."""
    for prefix in ("", *_ROUTE_PREFIXES):
        if generic.startswith(prefix) and (found := _BY_NAME.get(generic[len(prefix):])) is not None:
            return found
    for code in (class_code[:5], class_code[:4]):
        if code in CLASSES:
            return CLASSES[code]
    return Role.NEUTRAL
