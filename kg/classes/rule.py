"""One class rule: characters a generic name carries (an INN stem, or a group word / a named
substance) and the ATC class they imply, with exceptions, members and route-dependent classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Where(StrEnum):
    SUFFIX = "suffix"
    PREFIX = "prefix"
    INFIX = "infix"


@dataclass(frozen=True)
class Stem:
    text: str
    where: Where
    code: str  # 4 characters = level 3 only; 5 = the stem fixes level 4 (3 = a level-2 group word)
    english: str = ""  # the INN stem, for the record
    exceptions: dict[str, str] = field(default_factory=dict)
    members: tuple[str, ...] = ()
    #: wins over longer stems (头孢 in 头孢哌酮舒巴坦: a cephalosporin combination, not a penicillin's)
    priority: int = 0
    #: (words in the product name, class): where the route or dosage form decides the class
    #: (硝酸布康唑阴道乳膏 → G01AF, not the skin group D01AC; 丙卡特罗片 → R03CC, not inhaled R03AC)
    routes: tuple[tuple[tuple[str, ...], str], ...] = ()
    #: a group word or a named substance, not an INN stem: the edge records `name-pattern`
    pattern: bool = False

    @property
    def level(self) -> int:
        return {3: 2, 4: 3}.get(len(self.code), 4)

    def matches(self, name: str) -> bool:
        if len(name) <= len(self.text) and self.where != Where.INFIX:
            return False  # the stem alone is not a substance name
        if self.where == Where.SUFFIX:
            return name.endswith(self.text)
        if self.where == Where.PREFIX:  # 复方维生素B: the group word after 复方
            return name.removeprefix("复方").startswith(self.text)
        return self.text in name and len(name) > len(self.text)

    def route_code(self, product: str) -> str | None:
        """The class the product's route or dosage form implies, when a route rule names one."""
        for words, code in self.routes:
            if any(w in product for w in words):
                return code
        return None


#: dosage-form words of local use, shared by the route rules
VAGINAL = ("阴道", "栓")
SKIN = ("乳膏", "软膏", "霜", "搽剂", "洗剂", "凝胶", "贴", "巴布膏", "酊", "外用", "涂")
EYE = ("滴眼", "眼膏", "眼用")
NOSE = ("鼻",)
EAR = ("滴耳",)
INHALED = ("吸入", "气雾", "粉雾")
ORAL = ("片", "胶囊", "口服", "糖浆", "颗粒")

