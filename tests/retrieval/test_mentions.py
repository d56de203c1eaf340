"""Mention spans and match kinds on a small hand-made name index: what may link, what is a near miss."""

from __future__ import annotations

import random
import time

import pytest

from kg.schema import NameEntry, entity_id
from retrieval.linking import (
    LINK_THRESHOLD,
    WHY_CLOSE,
    WHY_CONTAINED,
    EntityLinker,
    Token,
    TypoIndex,
    ends_with_form,
    glue,
    looks_like_a_name,
    strip_salts,
)

NAMES = [
    ("阿莫西林胶囊", "Drug", ["Amoxicillin Capsules"]),
    ("阿莫西林", "Drug", []),  # a mention-only ingredient node
    ("布洛芬", "Drug", ["洛芬", "福尔", "Ibuprofen"]),  # handbook entry with short CareGPT aliases
    ("布洛芬混悬滴剂", "Drug", ["美林"]),
    ("美林", "Drug", ["布洛芬混悬滴剂"]),  # a brand entry
    ("地屈孕酮片", "Drug", ["达芙通"]),
    ("盐酸二甲双胍片", "Drug", []),
    ("坎地沙坦", "Drug", []),
    ("氢氯噻嗪", "Drug", ["双氢克尿噻"]),
    ("缬沙坦片", "Drug", []),
    ("头孢呋辛", "Drug", []),
    ("非布司他片", "Drug", []),
    ("氟罗沙星片", "Drug", []),
    ("感冒灵颗粒", "Drug", []),
    ("999", "Drug", []),  # a maker's name that is an entry of its own
    ("胃炎", "Disease", []),
    ("肾炎", "Disease", []),
    ("鼻炎", "Disease", []),
    ("过敏", "Disease", []),
    ("高血压", "Disease", []),
    ("糖尿病", "Disease", []),
    ("珊瑚", "Ingredient", []),
    ("多发性", "Symptom", []),
]
MENTION_ONLY = {"阿莫西林", "珊瑚", "多发性"}


@pytest.fixture(scope="module")
def linker() -> EntityLinker:
    rows = [NameEntry.of(entity_id(n), t, n, a) for n, t, a in NAMES]
    return EntityLinker(rows, {r[0] for r in rows if r[2] not in MENTION_ONLY})


def linked(linker: EntityLinker, q: str) -> list[tuple[str, str]]:
    return [(e.name, e.method) for e in linker.analyse(q).entities if e.score >= LINK_THRESHOLD]


@pytest.mark.parametrize(("question", "name", "method"), [
    ("胃炎有哪些症状", "胃炎", "exact"),
    ("达芙通怎么吃", "地屈孕酮片", "alias"),
    ("双氢克尿噻的副作用", "氢氯噻嗪", "alias"),
    ("地屈孕酮有什么副作用", "地屈孕酮片", "variant"),  # dosage form removed
    ("布洛芬片有什么副作用", "布洛芬", "variant"),  # dosage form added, no closer entry
    ("二甲双胍片怎么吃", "盐酸二甲双胍片", "variant"),  # salt removed, the written form kept
    ("阿莫西林的禁忌", "阿莫西林胶囊", "variant"),  # the described product beats the mention node
    ("高血压病吃什么药", "高血压", "variant"),  # a trailing 病
    ("非布斯他片的适应症", "非布司他片", "typo"),  # 斯/司: a pinyin-input typo
])
def test_match_kinds(linker: EntityLinker, question: str, name: str, method: str) -> None:
    assert linked(linker, question)[0] == (name, method)


def test_components_split_a_combination_into_generic_names(linker: EntityLinker) -> None:
    result = linker.analyse("坎地沙坦氢氯噻嗪片有什么副作用")
    assert [(e.name, e.method) for e in result.entities] == [("坎地沙坦", "components"), ("氢氯噻嗪", "components")]
    assert {e.mention for e in result.entities} == {"坎地沙坦氢氯噻嗪片"} and not result.near_misses


@pytest.mark.parametrize(("question", "mention", "contained"), [
    ("头孢呋辛坦丁片的适应症是什么？", "头孢呋辛坦丁片", "头孢呋辛"),
    ("缬沙坦贝特胶囊有什么副作用？", "缬沙坦贝特胶囊", "缬沙坦片"),
    ("美林洛芬片的适应症", "美林洛芬片", "美林"),  # a brand and an alias of 布洛芬 glued together
    ("福尔洛芬胶囊能退烧吗", "福尔洛芬胶囊", "布洛芬"),
    ("慢性蝶形胃炎有哪些症状？", "慢性蝶形胃炎", "胃炎"),
    ("多发性珊瑚状肾炎怎么治疗？", "多发性珊瑚状肾炎", "肾炎"),
    ("过敏性云纹鼻炎有哪些症状", "过敏性云纹鼻炎", "鼻炎"),
    ("蜂窝状紫色胃炎有哪些症状？", "蜂窝状紫色胃炎", "胃炎"),  # a colour after an invented modifier
    ("高血压宁胶囊的功效", "高血压宁胶囊", "高血压"),  # a disease name inside a product name
])
def test_partial_names_are_near_misses_with_the_contained_names_suggested(
        linker: EntityLinker, question: str, mention: str, contained: str) -> None:
    result = linker.analyse(question)
    assert [e for e in result.entities if e.score >= LINK_THRESHOLD] == []
    assert [m.mention for m in result.near_misses] == [mention]
    suggestions = {s.name: s.why for s in result.near_misses[0].suggestions}
    assert suggestions.get(contained) == WHY_CONTAINED


def test_brand_is_no_component(linker: EntityLinker) -> None:
    # 美林 is a brand (its alias is another ingredient's product): "美林布洛芬" is no combination
    assert linker.analyse("美林布洛芬片的副作用").near_misses


def test_unknown_name_gets_close_spellings(linker: EntityLinker) -> None:
    result = linker.analyse("那氟美沙星片呢？")
    assert result.entities == []
    assert [(s.name, s.why) for s in result.near_misses[0].suggestions] == [("氟罗沙星片", WHY_CLOSE)]


@pytest.mark.parametrize(("question", "name"), [
    ("阿莫西林胶囊一天吃几次", "阿莫西林胶囊"),
    ("高血压早期症状是什么", "高血压"),
    ("得了糖尿病会有什么感觉", "糖尿病"),
    ("老公胃炎怎么治", "胃炎"),
    ("吐出紫色胃炎怎么办", "胃炎"),  # a colour alone describes, it is no invented name
    ("孕妇可以吃阿莫西林吗", "阿莫西林胶囊"),
    ("非布斯他片一天吃几次", "非布司他片"),  # a typo followed by ordinary words
    ("999感冒灵颗粒能治什么", "感冒灵颗粒"),  # a complete product name after a maker's prefix
])
def test_ordinary_words_next_to_a_name_do_not_make_it_partial(linker: EntityLinker, question: str,
                                                                 name: str) -> None:
    result = linker.analyse(question)
    assert not result.near_misses
    assert result.entities[0].name == name


def test_quantities_are_not_names() -> None:
    assert not ends_with_form("三片") and not ends_with_form("几片")
    assert ends_with_form("坦丁片") and looks_like_a_name("氟美沙星片") and not looks_like_a_name("一天三片")
    assert strip_salts("盐酸缬沙坦钠片") == "缬沙坦"


def test_glue_groups_tokens_of_one_name() -> None:
    known = Token(0, 2, "胃炎", "胃炎")
    assert glue([Token(0, 4, "慢性蝶形"), Token(4, 6, "胃炎", "胃炎")]) == [[Token(0, 4, "慢性蝶形"),
                                                                        Token(4, 6, "胃炎", "胃炎")]]
    assert glue([known, Token(2, 4, "早期")]) == [[known], [Token(2, 4, "早期")]]


def test_typo_index_finds_one_edit_in_every_position() -> None:
    index = TypoIndex([("非布司他片", "a"), ("盐酸二甲双胍缓释片", "b")])  # type: ignore[list-item]
    assert index.neighbours("菲布司他片") == ["非布司他片"]  # substitution, first half
    assert index.neighbours("非布司他丸") == ["非布司他片"]  # substitution, second half
    assert index.neighbours("盐酸二甲双缓释片") == ["盐酸二甲双胍缓释片"]  # deletion
    assert index.neighbours("盐酸二甲双胍胍缓释片") == ["盐酸二甲双胍缓释片"]  # insertion
    assert index.neighbours("非布丁丁片") == []  # two edits
    assert index.typo("非布丁他片", whole=True) is None  # one edit, but 丁/司 do not sound alike


def test_long_misspelled_input_is_linked_in_bounded_time(linker: EntityLinker) -> None:
    """Issue 12: a 4,000-character misspelled question and a 40-turn history (the linker is called
    once per turn) must not cost segment length × names. No timing assertion: the figure is printed."""
    rng = random.Random(7)
    names = [n for n, t, _ in NAMES if t == "Drug" and len(n) >= 4]
    noise = "的一是了我在有这中大来上个到说们为子和你地出道也时年"

    def misspelled() -> str:
        n = rng.choice(names)
        i = rng.randrange(len(n))
        return n[:i] + rng.choice(noise) + n[i + 1:]

    glued = "".join(misspelled() for _ in range(1000))[:4000]
    spaced = "，".join(misspelled() for _ in range(800))[:4000]
    history = ["".join(rng.choice(noise + "阿莫西林胶囊沙坦片") for _ in range(4000)) for _ in range(40)]
    t0 = time.perf_counter()
    results = [linker.analyse(text) for text in (glued, spaced, *history)]
    took = time.perf_counter() - t0
    print(f"\n42 texts of 4,000 characters linked in {took:.3f} s")
    assert len(results) == 42 and any(r.entities or r.near_misses for r in results)
