"""The linking room: what a question is about, apart from the evidence then planned for it.

- `keys` — which written forms (names, aliases, form/salt variants) reach which entity, and how surely;
- `scores` — those linking scores, named;
- `mentions` — which run of characters is the medical term asked about;
- `typos` — pinyin-input typos and close spellings in bounded time;
- `linker` — `EntityLinker`: whole mentions of a text, or near misses with suggestions;
- `qualifiers` — what the question adds beside its entity (phase, population, time, condition);
- `resolver` — `Resolver`: linking, history (follow-ups), qualifiers and intent of one turn → `Resolution`.

Modules inside the room import each other by module path; code outside imports from here.
"""

from retrieval.linking import scores
from retrieval.linking.keys import QUESTION_VOCABULARY, LinkTarget
from retrieval.linking.linker import MAX_SUGGESTIONS, WHY_CLOSE, WHY_CONTAINED, EntityLinker, Linking
from retrieval.linking.mentions import Token, ends_with_form, glue, looks_like_a_name, strip_salts
from retrieval.linking.qualifiers import find_qualifiers, is_condition_follow_up, phase_name, with_condition
from retrieval.linking.resolver import (
    LINK_THRESHOLD,
    MAX_HISTORY_TURNS,
    Resolution,
    Resolver,
    main_entity,
    off_topic,
)
from retrieval.linking.typos import MIN_TYPO_LEN, TypoIndex, sounds_same

__all__ = [
    "LINK_THRESHOLD",
    "MAX_HISTORY_TURNS",
    "MAX_SUGGESTIONS",
    "MIN_TYPO_LEN",
    "QUESTION_VOCABULARY",
    "WHY_CLOSE",
    "WHY_CONTAINED",
    "EntityLinker",
    "LinkTarget",
    "Linking",
    "Resolution",
    "Resolver",
    "Token",
    "TypoIndex",
    "ends_with_form",
    "find_qualifiers",
    "glue",
    "is_condition_follow_up",
    "looks_like_a_name",
    "main_entity",
    "off_topic",
    "phase_name",
    "scores",
    "sounds_same",
    "strip_salts",
    "with_condition",
]
