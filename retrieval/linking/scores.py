"""The linking scores, named: how sure the linker is that a written span names an entity.

A `LinkedEntity.score` is one of these (times `UNDESCRIBED` for a node no source describes); the
resolver treats a mention at or above `retrieval.linking.resolver.LINK_THRESHOLD` (0.6) as the
entity of the question, and the order between them decides which of two readings of a span wins.
"""

from __future__ import annotations

#: The entity's own name, written as the graph has it.
EXACT = 1.0
#: A name a source gives the entity: just below its own name, so the entity called that way wins.
ALIAS = 0.97
#: The own name without its dosage form or salt (布洛芬 for 布洛芬片): the same ingredient, surely.
NAME_VARIANT = 0.9
#: An alias without its dosage form or salt: a brand's generic may be another product's name.
ALIAS_VARIANT = 0.85
#: Less for a name with its cation dropped too (瑞舒伐他汀钙片 → 瑞舒伐他汀): it only fills names the
#: other variants do not give.
BARE_SALT_DROP = 0.02
#: Each generic of a combination name (坎地沙坦氢氯噻嗪片): one score, so the written order is kept.
COMPONENTS = 0.9
#: A drug name followed by a dosage form one character off (阿莫西林胶襄): the name itself is exact.
FORM_TYPO = 0.8
#: A pinyin-input typo that sounds the same as a graph name (非布斯他片 → 非布司他片).
SAME_SOUND_TYPO = 0.8
#: A long name written whole with one character dropped or added inside it.
ONE_CHAR_TYPO = 0.7

#: Factor for a written dosage form the graph lacks (二甲双胍缓释片 when only 二甲双胍片 is known):
#: the same ingredient, but not the product asked about.
MISSING_FORM = 0.75
#: Factor for a node only mentioned, never described by a source: a described one reads first.
UNDESCRIBED = 0.75
#: A candidate of a type the question's wording implies wins when at most this far below the best.
PREFER_MARGIN = 0.05
