"""CareGPT drug handbook: a JSON list of strings, one drug each.

The first non-empty line is the drug name, then `字段:值` lines (a line without a colon
continues the previous field). One described Drug per record:

- aliases: 别名 (split on ；;、,，) and 英文名
- properties: 适应证, 禁忌证, 注意事项, 不良反应, 用法用量, 药物相互作用, 剂型, 药品类型, 英文名, 别名
  (texts, as given) and any other field under its own name — nothing is dropped.

Relations (dataset "caregpt"):

- (existing Drug)-[:HAS_INGREDIENT {predicate: "同成分"}]->(this drug) for every Drug already in the
  graph whose `core_name` equals this record's core name (so 利可君片 reaches 利可君's handbook text).
- (this drug)-[:INDICATED_FOR {predicate: "适应证"}]->(existing Disease/Symptom) for each name of an
  existing Disease/Symptom (≥ 2 chars; names, and aliases that belong to one node only) found in
  the 适应证 text: Aho-Corasick, longest non-overlapping matches.

Both need the graph's names (`KnownNames`); ingest CareGPT after CMeKG/xywy/39health.
CMeKG's noisy term lists created Symptom nodes for generic words (用于, 引起, 所致, 预防 …) and
phrases (用于感冒, 见上述证候者); those are never matched: `STOP_NAMES` and `_NOT_A_NAME`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from kg.errors import InvalidInput
from kg.normalize import core_name, normalize_name
from kg.schema import Entity, NodeType, Relation, RelType, entity_id
from kg.sources.base import KnownNames, Reject, Source, SourceRecord, usable_name

DATASET = "caregpt"
SAME_INGREDIENT = "同成分"
INDICATION_FIELD = "适应证"
_FIELD = re.compile(r"^\s*([^:：\s]{1,12})\s*[:：]\s*(.*)$")
_ALIAS_SPLIT = re.compile(r"[；;、,，]+")
MIN_MATCH_CHARS = 2
#: generic words that exist as (noise) Disease/Symptom nodes but name no condition in prose
STOP_NAMES = frozenset("""
用于 引起 所致 诊断 预防 疾病 以及 功能 药物 急性 慢性 改善 伴有 症见 激素 术后 手术后 范围 减轻 严重 老年 病症
解热 放疗 化疗 出现 病后 动脉 长期 治疗 患者 症状 辅助 其他 各种 导致 适用 主治 缓解 体弱 病人 儿童 成人 妊娠
手术 检查 局部 全身 维持 控制 常见 恢复 促进 形成 呼吸 病毒 产后 血管 缺乏 加重 气管 皮肤 初起 剂量 止咳 止血
合并 注射 小便 胃肠 分泌 复发 不利 平喘 咽喉 四肢 消化 并发症 服药 运动 血小板 重症 并发 月经 阻塞 镇咳 清热解毒
止咳化痰 炎症 用药 给药 临床 表现 作用 效果 病情 对症 预后 发作 感染性 老年人 新生儿 小儿 孕妇 口服 静脉
发症 继发 活动 补充 敏感 益气 补血 消除 眼科 闭塞 清肺
""".split())
_NOT_A_NAME = re.compile(r"^(用于|临床表现为|见上述|表现为|主要用于|适用于)|等$|^[\d.%]+$|^[A-Za-z]{1,2}$")


def parse_entry(text: str) -> tuple[str, dict[str, str]]:
    """'氨肽素\\n药品类型:…\\n适应证:…' → ('氨肽素', {'药品类型': …, '适应证': …})."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return "", {}
    name, fields = lines[0].strip(), {}
    current: str | None = None
    for ln in lines[1:]:
        m = _FIELD.match(ln)
        if m:
            current = m.group(1)
            fields[current] = (fields[current] + "\n" + m.group(2).strip()) if current in fields else m.group(2).strip()
        elif current is not None:
            fields[current] += "\n" + ln.strip()
        else:
            fields["说明"] = (fields.get("说明", "") + "\n" + ln.strip()).strip()
    return name, fields


class IndicationMatcher:
    """Longest non-overlapping mentions of known Disease/Symptom names in a text."""

    def __init__(self, known: KnownNames | None) -> None:
        import ahocorasick

        names: dict[str, str] = {}
        alias_ids: dict[str, set[str]] = {}
        for e in known.of_types(NodeType.DISEASE, NodeType.SYMPTOM) if known else []:
            key = normalize_name(e.name)
            if _matchable(key):
                names.setdefault(key, e.id)
            for a in e.aliases:
                ka = normalize_name(a)
                if _matchable(ka):
                    alias_ids.setdefault(ka, set()).add(e.id)
        for ka, ids in alias_ids.items():
            if ka not in names and len(ids) == 1:
                names[ka] = next(iter(ids))
        self._auto = ahocorasick.Automaton()
        for key, id_ in names.items():
            self._auto.add_word(key, (len(key), id_))
        self._empty = not names
        if not self._empty:
            self._auto.make_automaton()

    def find(self, text: str) -> list[str]:
        """Ids of matched entities, in text order, without repeats (longest match wins)."""
        if self._empty or not text:
            return []
        s = normalize_name(text)
        spans = sorted(((end - n + 1, end, id_) for end, (n, id_) in self._auto.iter(s)),
                       key=lambda t: (t[0] - t[1], t[0]))
        taken = bytearray(len(s))
        chosen: list[tuple[int, str]] = []
        for start, end, id_ in spans:
            if any(taken[start:end + 1]):
                continue
            taken[start:end + 1] = b"\x01" * (end - start + 1)
            chosen.append((start, id_))
        chosen.sort()
        return list(dict.fromkeys(id_ for _, id_ in chosen))


def _matchable(key: str) -> bool:
    return len(key) >= MIN_MATCH_CHARS and key not in STOP_NAMES and not _NOT_A_NAME.search(key)


class CareGPTSource(Source):
    name = DATASET
    uses_known_names = True

    def __init__(self, path: str | Path, dataset: str = DATASET) -> None:
        self.path = Path(path)
        self.name = dataset
        self._data: list[object] | None = None

    def _load(self) -> list[object]:
        if self._data is None:
            if self.path.is_dir():
                self.path = self.path / "drug.json"
            try:
                data = json.loads(self.path.read_bytes())
            except ValueError as exc:  # not JSON, or not UTF-8
                raise InvalidInput(f"{self.path}: not valid JSON ({exc})") from exc
            if not isinstance(data, list):
                raise InvalidInput(f"{self.path}: expected a JSON list of strings, got {type(data).__name__}")
            self._data = data
        return self._data

    def total(self) -> int | None:
        return len(self._load())

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        data = self._load()
        matcher = IndicationMatcher(known)
        by_core: dict[str, list[str]] = {}
        for e in known.of_types(NodeType.DRUG) if known else []:
            by_core.setdefault(core_name(e.name), []).append(e.id)
        for i, raw in enumerate(data):
            if not isinstance(raw, str):
                yield Reject.of(self.name, self.path, i, f"entry is a {type(raw).__name__}, not a string", raw)
                continue
            name, fields = parse_entry(raw)
            name = usable_name(name) or ""
            if not name or _FIELD.match(name):
                yield Reject.of(self.name, self.path, i, "entry has no drug name on its first line", raw)
                continue
            yield self._record(name, fields, by_core, matcher).at(self.path, i)

    def _record(self, name: str, fields: dict[str, str], by_core: dict[str, list[str]],
                matcher: IndicationMatcher) -> SourceRecord:
        did = entity_id(name)
        aliases: list[str] = []
        for a in _ALIAS_SPLIT.split(fields.get("别名", "")):
            if a.strip() and a.strip() != name:
                aliases.append(a.strip())
        en = fields.get("英文名", "").strip()
        if en and len(en) <= 120:
            aliases.append(en)
        props: dict[str, str | list[str]] = {k: v for k, v in fields.items() if v.strip()}
        drug = Entity(id=did, type=NodeType.DRUG, name=name, aliases=list(dict.fromkeys(aliases)),
                      properties=props, sources=[self.name], described=True)
        relations = [Relation(other, RelType.HAS_INGREDIENT, did, self.name, SAME_INGREDIENT)
                     for other in sorted(set(by_core.get(core_name(name), []))) if other != did]
        relations += [Relation(did, RelType.INDICATED_FOR, tid, self.name, INDICATION_FIELD)
                      for tid in matcher.find(fields.get(INDICATION_FIELD, "")) if tid != did]
        return SourceRecord(entities=[drug], relations=relations)
