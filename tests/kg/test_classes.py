"""Drug classes: generic names, INN stems, source class text, the ATC table route, and the
precision of the stem route measured against the whole ATC table."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from kg.classes import (
    AtcTable,
    DrugKind,
    class_terms,
    drug_kind,
    generic_name,
    is_tcm_patent,
    resolve_class,
    source_class,
    stem_class,
    table_classes,
)
from kg.classes.atc_names import TABLE_NAMES
from kg.classes.stems import RULES
from kg.classes.synonyms import CLASS_SYNONYMS


@pytest.mark.parametrize(("name", "generic"), [
    ("苯磺酸氨氯地平片", "氨氯地平"), ("盐酸西替利嗪分散片", "西替利嗪"), ("氯沙坦钾片", "氯沙坦"),
    ("阿仑膦酸钠片", "阿仑膦酸"), ("注射用头孢曲松钠", "头孢曲松"), ("奥美拉唑肠溶胶囊", "奥美拉唑"),
    ("丙酸氟替卡松吸入气雾剂", "氟替卡松"), ("络活喜(苯磺酸氨氯地平片)", "氨氯地平"),
    ("复方氨基酸胶囊(8-11)", "复方氨基酸"),
])
def test_generic_name(name: str, generic: str) -> None:
    assert generic_name(name) == generic


@pytest.mark.parametrize(("name", "code"), [
    ("氯沙坦", "C09CA"), ("缬沙坦胶囊", "C09CA"), ("依那普利片", "C09AA"), ("硝苯地平控释片", "C08CA"),
    ("酒石酸美托洛尔片", "C07A"), ("辛伐他汀片", "C10AA"), ("雷贝拉唑钠肠溶片", "A02BC"), ("法莫替丁片", "A02BA"),
    ("头孢克洛胶囊", "J01D"), ("左氧氟沙星片", "J01MA"), ("布洛芬缓释胶囊", "M01AE"), ("美洛昔康片", "M01AC"),
    ("塞来昔布胶囊", "M01AH"), ("沙丁胺醇气雾剂", "R03AC"), ("孟鲁司特钠片", "R03DC"), ("西格列汀片", "A10BH"),
    ("达格列净片", "A10BK"), ("格列美脲片", "A10BB"), ("醋酸泼尼松片", "H02AB"), ("西替利嗪", "R06AE"),
    ("阿莫西林胶囊", "J01C"), ("阿奇霉素片", "J01FA"), ("硝酸甘油片", "C01DA"),
    # exceptions: the stem's characters, another class
    ("长春西汀注射液", "N06BX"), ("阿普唑仑片", "N05BA"), ("氯硝西泮片", "N03AE"), ("异丙嗪", "R06AD"),
    ("托法替尼", "L04AA"), ("前列环素", "B01AC"),
])
def test_stem_class(name: str, code: str) -> None:
    found = stem_class(name)
    assert found is not None and found.code == code and found.derivation == "stem"
    assert found.level == (3 if len(code) == 4 else 4) and found.name


@pytest.mark.parametrize(("name", "code"), [
    # the route or dosage form decides (the stem's systemic class otherwise)
    ("硝酸布康唑阴道乳膏", "G01AF"), ("醋酸地塞米松乳膏", "D07A"), ("克林霉素甲硝唑搽剂", "D10AF"), ("曲安奈德口腔软膏", "A01AC"), ("丙卡特罗片", "R03CC"),
    ("氟比洛芬巴布膏", "M02AA"), ("氧氟沙星滴眼液", "S01AE"), ("盐酸左卡巴斯汀鼻喷雾剂", "R01AC"),
    # exceptions and combinations found wrong in the hand-checked samples
    ("塞克硝唑", "P01AB"), ("聚磷酸雌二醇", "L02AA"), ("复方庆大霉素普鲁卡因胶囊", "J01GB"), ("复方维生素B12片", "B03BA"),
    ("注射用醋酸亮丙瑞林缓释微球", "L02AE"), ("米非司酮片10mg", "G03XB"), ("溴芬酸钠水合物滴眼液", "S01BC"),
])
def test_route_and_exception(name: str, code: str) -> None:
    found = stem_class(name)
    assert found is not None and found.code == code


@pytest.mark.parametrize(("name", "code"), [
    ("氯化钾缓释片", "A12B"), ("人血白蛋白", "B05AA"), ("葡萄糖酸钙维D2咀嚼片", "A12A"), ("维生素C片", "A11"),
    ("乙型肝炎疫苗", "J07"), ("精蛋白生物合成人胰岛素注射液", "A10A"), ("高锝[99mTc]酸钠注射液", "V09"),
    ("碘[131I]化钠口服溶液", "V10"), ("浓氯化钠注射液", "B05XA"), ("羟乙基淀粉40氯化钠注射液", "B05AA"), ("尼可刹米注射液", "R07AB"),
])
def test_name_patterns(name: str, code: str) -> None:
    found = stem_class(name)
    assert found is not None and found.code.startswith(code) and found.derivation == "name-pattern"


def test_stem_without_class_and_non_stems() -> None:
    assert stem_class("三磷酸腺苷辅酶胰岛素") is None and stem_class("阿魏酸哌嗪分散片") is None
    assert stem_class("碘化油胶丸") is None and stem_class("维生素B4片") is None
    # a systemic class on a local dosage form is left out; a phrase whose first substance is unknown too
    assert stem_class("复方氯化钠滴眼液") is None and stem_class("维生素E乳膏") is None
    assert stem_class("醋酸氟氢可的松乳膏") is None and stem_class("酪氨酸激酶抑制剂加干扰素") is None
    assert stem_class("曲尼司特") is None  # an -ast anti-allergic: stem characters, no class given
    assert stem_class("板蓝根颗粒") is None and stem_class("头孢") is None


@pytest.mark.parametrize(("text", "code"), [
    ("质子泵抑制药", "A02BC"), ("磺胺类,脲衍生物", "A10BB"), ("呼吸系统药物，平喘药", "R03"),
    ("处方药、大环内酯类抗生素", "J01FA"), ("非甾体抗炎药", "M01A"), ("钙拮抗药、抗心绞痛药、二氢吡啶衍生物", "C08CA"),
])
def test_source_class(text: str, code: str) -> None:
    found = source_class(text)
    assert found is not None and found.code == code and found.derivation == "source"


def test_resolve_order_and_terms() -> None:
    assert resolve_class("板蓝根颗粒", source_text="中成药") is None
    assert resolve_class("某某片", source_text="质子泵抑制剂").code == "A02BC"  # type: ignore[union-attr]
    assert resolve_class("奥美拉唑", source_text="抗酸药").derivation == "stem"  # type: ignore[union-attr]
    terms = class_terms("J01FA", "大环内酯类")
    assert "大环内酯类抗生素" in terms and "抗菌药" in terms
    assert "PPI" in class_terms("A02BC") and "NSAIDs" in class_terms("M01AE")


def test_drug_kind() -> None:
    assert drug_kind("苯磺酸氨氯地平片", {"药品类型": ["处方药", "中成药"]}) == DrugKind.WESTERN
    assert is_tcm_patent("烧伤止痛药膏", {"英文名": "Shaoshang Zhitong Yaogao"})
    assert is_tcm_patent("六味地黄丸", {"药品类型": "中成药"})
    assert drug_kind("千年健", {"性味": "苦、辛，温", "入药部位": "根茎"}) == DrugKind.TCM_HERB
    assert drug_kind("喜宁", {"英文名": "Cetirizine Hydrochloride Dispersible Tablets"}) == DrugKind.WESTERN


def test_every_class_code_has_a_name() -> None:
    codes = set(CLASS_SYNONYMS) | {s.code for s in RULES} | {c for s in RULES for c in s.exceptions.values() if c}
    codes |= {c for s in RULES for _words, c in s.routes if c}
    from kg.classes import class_name
    assert not [c for c in sorted(codes) if not class_name(c)]


# -- against the real ATC table --------------------------------------------------------------

@pytest.fixture(scope="module")
def atc(request: pytest.FixtureRequest) -> AtcTable:
    data: Path = request.getfixturevalue("shared_data")
    return AtcTable.load(data / "atc" / "atc_zh.csv")


def test_bundled_names_agree_with_table(atc: AtcTable) -> None:
    assert {c: n for c, n in TABLE_NAMES.items() if atc.display_name(c) != n} == {}


def test_table_route(atc: AtcTable) -> None:
    found = resolve_class("苯磺酸氨氯地平片", table=atc)
    assert found is not None and (found.code, found.derivation, found.level) == ("C08CA", "atc", 4)
    assert resolve_class("奥加西", english="Sisomicin Sulfate For Injection", table=atc).code == "J01GB"  # type: ignore[union-attr]
    assert {c.code for c in table_classes("阿司匹林肠溶片", "", atc)} >= {"B01AC"}
    assert table_classes("阿司匹林肠溶片", "", atc)[0].code == "B01AC"  # systemic before the mouth-wash class


def test_stem_precision_over_the_whole_table(atc: AtcTable) -> None:
    """Every table substance with a stem: the stem's level-3 class is among the table's classes of
    that substance for ≥ 95 % (and its level-4 class where the stem fixes one). Comparable = the
    table has the stem's level-2 group at all (it lacks G, H, M, R …, so a corticosteroid listed
    only under D07 cannot agree with H02AB there)."""
    codes: dict[str, set[str]] = defaultdict(set)
    for key, rows in atc.by_zh.items():
        codes[key] |= {r.code for r in rows}
    groups = {c for c in atc.rows if len(c) == 3}
    n3 = ok3 = n4 = ok4 = 0
    for key, own in codes.items():
        found = stem_class(key)
        if found is None or found.code[:3] not in groups:
            continue
        n3 += 1
        ok3 += any(c.startswith(found.code[:4]) for c in own)
        if found.level == 4:
            n4 += 1
            ok4 += any(c.startswith(found.code) for c in own)
    print(f"stem vs ATC table: level 3 {ok3}/{n3}, level 4 {ok4}/{n4}")
    assert n3 > 500 and ok3 / n3 >= 0.95
    assert n4 > 400 and ok4 / n4 >= 0.95
