"""CMeKG: the pickled `{subject: {predicate: [object, ...]}}` dict shipped in PyCMeKG.

Every (predicate, value) pair becomes exactly one of: a relation, an alias, or a property
(key = the CMeKG predicate, value = the list of values kept as a list). The decision:

1. `ALIAS_PREDICATES` (通用名, 商品名, 英文名, 别称 …): aliases of the subject, also kept as properties.
2. `PROPERTY_PREDICATES` and predicates starting with `PROPERTY_PREFIXES` (用法用量, 注意事项, 贮藏,
   ICD10, OTC类型, taxonomy ranks, clinical-pathway texts 诊断依据_*/手术_* …): properties.
3. Any other value that is long (> `TERM_MAX_CHARS`) or contains sentence punctuation
   (`SENTENCE_PUNCT`) is not a term: a property under its predicate.
4. The remaining short terms become relations to a (weak, `described=False`) node for the value:
   typed by `RELATION_PREDICATES` when the relation fits the subject's type (drug relations
   from drugs, disease relations from diseases), otherwise `RELATED_TO`. Every relation keeps
   the CMeKG predicate in `Relation.predicate`.

Subjects are classified from their predicates (`DRUG_KEYS`, `HERB_KEYS`, `DISEASE_KEYS`,
`CHECK_KEYS`) and are `described=True`. A Drug subject also gets, as an alias, its name without
dosage form or salt (`core_name`) when exactly one subject reduces to it and it is not itself
another subject's name.
"""

from __future__ import annotations

import importlib.util
import pickle
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from kg.errors import InvalidInput
from kg.normalize import core_name, normalize_name
from kg.schema import Entity, NodeType, Relation, RelType
from kg.sources.base import EntityCache, KnownNames, Reject, Source, SourceRecord, cached_normalize

DATASET = "cmekg"

#: Predicates whose values name the subject.
ALIAS_PREDICATES = frozenset({
    "通用名", "商品名", "英文名", "英文名称", "别称", "又称", "英文别名", "英文别称", "外文名", "同义词",
    "其他名称", "中文名", "中文学名", "拉丁学名", "学名", "药品名称", "英文", "名称",
})
ALIAS_MAX_CHARS = 80  # longer alias values are kept only as properties

#: Attribute / free-text predicates: always properties.
PROPERTY_PREDICATES = frozenset({
    # drug label texts and attributes
    "用法用量", "注意事项", "性状", "贮藏", "贮藏方式", "规格", "有效期", "OTC类型", "药品监管分级",
    "药品类型", "特殊药品", "是否处方药", "是否处方", "是否纳入医保", "是否进入医保", "批准文号",
    "ATC编码", "CAS号", "执行标准", "警示语", "运动员慎用", "剂型", "用量", "服药方法", "服药时间",
    "分子量", "分子式", "化学式",
    # herbs, formulas, minerals
    "性味", "性味归经", "味", "功效", "功用", "功能", "作用", "入药部位", "毒性", "采收时间", "采集时间",
    "采收季节", "采收", "采集加工", "制法", "分布区域", "分布", "产地", "出处", "主要配伍", "方法",
    "颜色", "光泽", "透明度", "晶系", "条痕", "硬度", "比重", "解离程度",
    "汉语拼音", "拼音", "二名法",
    # taxonomy ranks
    "界", "亚界", "门", "亚门", "总门", "纲", "亚纲", "目", "亚目", "超目", "科", "亚科", "族", "亚族",
    "属", "亚属", "种", "亚种", "性",
    # disease attributes
    "ICD10", "多发群体", "发病人群", "传染性", "传播途径", "常见发病部位", "发病部位", "转移部位", "外侵部位",
    "转移方式", "多发地区", "发病性别倾向", "预后状况", "病理分型", "阶段", "疾病分期", "病史", "预防",
    "中医病名", "标准住院时间", "出院标准", "进入路径标准", "选择治疗方案的依据",
})
PROPERTY_PREFIXES = ("诊断依据_", "手术_", "术后住院_", "术前准备_")

#: predicate → (relation, target type); target None = Disease when the value is a CMeKG
#: disease subject, else the fallback in `_AUTO_FALLBACK`.
RELATION_PREDICATES: dict[str, tuple[RelType, NodeType | None]] = {
    **dict.fromkeys(("适应症", "主治", "功能主治", "治疗", "主要适用症", "主要适用", "主治病症", "特殊主治",
                     "适应证", "用于"), (RelType.INDICATED_FOR, None)),
    **dict.fromkeys(("不良反应", "用药后不良反应"), (RelType.ADVERSE_REACTION, NodeType.SYMPTOM)),
    **dict.fromkeys(("禁忌", "禁忌证", "主要用药禁忌"), (RelType.CONTRAINDICATED, None)),
    **dict.fromkeys(("相互作用", "药物相互作用"), (RelType.INTERACTS_WITH, NodeType.DRUG)),
    **dict.fromkeys(("成份", "组成"), (RelType.HAS_INGREDIENT, NodeType.INGREDIENT)),
    **dict.fromkeys(("分类", "用途分类", "所属分类", "功效分类", "疾病分类", "专科分类", "类别", "种类"),
                    (RelType.IN_CATEGORY, NodeType.CATEGORY)),
    **dict.fromkeys(("常见症状", "临床症状及体征", "相关症状", "主要症状", "术后症状", "药物治疗后症状",
                     "侵及周围组织转移的症状", "侵及周围组织或转移的症状"), (RelType.HAS_SYMPTOM, NodeType.SYMPTOM)),
    **dict.fromkeys(("检查", "实验室检查", "影像学检查", "辅助检查", "组织学检查", "内窥镜检查", "其他检查", "筛查",
                     "住院必检项目", "辅助检查（属性描述：入院必检）"), (RelType.NEEDS_CHECK, NodeType.CHECK)),
    **dict.fromkeys(("相关药物", "药物治疗", "主要用药"), (RelType.TREATED_BY, NodeType.DRUG)),
    **dict.fromkeys(("就诊科室", "所属科室"), (RelType.IN_DEPARTMENT, NodeType.DEPARTMENT)),
    **dict.fromkeys(("并发症", "药物引起的并发症", "手术引起的并发症", "治疗引起的并发症"),
                    (RelType.COMPLICATION, NodeType.DISEASE)),
    **dict.fromkeys(("常见病因", "病因", "主要病因", "遗传因素", "诱发因素"), (RelType.HAS_CAUSE, NodeType.CAUSE)),
    # kept as RELATED_TO but with a better guess for the other end than Concept
    **dict.fromkeys(("相关疾病", "鉴别诊断"), (RelType.RELATED_TO, NodeType.DISEASE)),
}
_AUTO_FALLBACK = {RelType.INDICATED_FOR: NodeType.SYMPTOM, RelType.CONTRAINDICATED: NodeType.CONCEPT}

#: Which subject type each typed relation requires; otherwise it is stored as RELATED_TO.
RELATION_DOMAIN: dict[RelType, NodeType | None] = {
    RelType.INDICATED_FOR: NodeType.DRUG,
    RelType.ADVERSE_REACTION: NodeType.DRUG,
    RelType.CONTRAINDICATED: NodeType.DRUG,
    RelType.INTERACTS_WITH: NodeType.DRUG,
    RelType.HAS_INGREDIENT: NodeType.DRUG,
    RelType.HAS_SYMPTOM: NodeType.DISEASE,
    RelType.NEEDS_CHECK: NodeType.DISEASE,
    RelType.TREATED_BY: NodeType.DISEASE,
    RelType.IN_DEPARTMENT: NodeType.DISEASE,
    RelType.COMPLICATION: NodeType.DISEASE,
    RelType.HAS_CAUSE: NodeType.DISEASE,
    RelType.IN_CATEGORY: None,
    RelType.RELATED_TO: None,
}
#: 治疗 on a disease lists procedures (光凝, 冷凝), not drugs.
_RELATED_ON_MISMATCH = NodeType.CONCEPT

# -- subject classification -------------------------------------------------------------------
DRUG_KEYS = frozenset({
    "适应症", "不良反应", "成份", "用法用量", "通用名", "商品名", "功能主治", "主治", "OTC类型", "药品类型",
    "药品监管分级", "贮藏", "性状", "规格", "有效期", "药物相互作用", "用途分类", "特殊药品", "批准文号",
    "是否处方药", "剂型", "注意事项", "分类", "组成", "禁忌", "英文名", "是否纳入医保",
})
HERB_KEYS = frozenset({"功效", "性味", "入药部位", "性味归经", "功用", "采收时间", "用量", "毒性"})
DISEASE_KEYS = frozenset({
    "常见症状", "就诊科室", "ICD10", "检查", "并发症", "相关药物", "常见病因", "临床症状及体征", "常见发病部位",
    "多发群体", "传染性", "病因", "药物治疗", "实验室检查", "影像学检查", "辅助检查", "鉴别诊断", "高危因素",
    "标准住院时间", "传播途径", "预后状况", "病理分型", "发病部位", "治疗方案", "手术治疗", "辅助治疗",
    "中医病名", "治疗", "英文名称", "转移部位",
})
CHECK_KEYS = frozenset({"相关疾病", "相关症状", "所属分类"})

TERM_MAX_CHARS = 25
SENTENCE_PUNCT = re.compile(r"[。；;！!？?，,：:、\n]")


def classify(predicates: dict[str, list[str]]) -> NodeType:
    """Drug / Disease / Check / Concept from which predicates a subject has."""
    keys = predicates.keys()
    drug = sum(k in DRUG_KEYS or k in HERB_KEYS for k in keys)
    disease = sum(k in DISEASE_KEYS or k.startswith(PROPERTY_PREFIXES) for k in keys)
    if drug or disease:
        return NodeType.DRUG if drug > disease else NodeType.DISEASE
    if any(k in CHECK_KEYS for k in keys):
        return NodeType.CHECK
    return NodeType.CONCEPT


_norm = cached_normalize


@lru_cache(maxsize=1 << 18)
def is_term(value: str) -> bool:
    """A short term that can name a node (not a sentence, not a measurement text)."""
    return len(value) <= TERM_MAX_CHARS and not SENTENCE_PUNCT.search(value) and bool(_norm(value))


def default_pickle_path() -> Path:
    spec = importlib.util.find_spec("pyCMeKG")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("PyCMeKG is not installed: pip install PyCMeKG==0.2.5")
    path = Path(next(iter(spec.submodule_search_locations))) / "model" / "cmekg.pkl"
    if not path.exists():
        raise FileNotFoundError(f"CMeKG pickle not found at {path}")
    return path


class _SafeUnpickler(pickle.Unpickler):
    """Only built-in containers, strings and numbers: unpickling cannot run code."""

    ALLOWED = frozenset({"dict", "list", "str", "set", "frozenset", "tuple", "int", "float"})

    def find_class(self, module: str, name: str) -> type:
        if module == "builtins" and name in self.ALLOWED:
            return getattr(__import__("builtins"), name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the CMeKG pickle")


def load_pickle(path: Path) -> object:
    with open(path, "rb") as fh:
        return _SafeUnpickler(fh).load()


class CMeKGSource(Source):
    name = DATASET

    def __init__(self, path: Path | str | None = None, dataset: str = DATASET) -> None:
        self._path = Path(path) if path is not None else None
        self.name = dataset
        self._data: dict[str, object] | None = None

    @property
    def path(self) -> Path:
        return self._path or default_pickle_path()

    def _load(self) -> dict[str, object]:
        if self._data is None:
            try:
                data = load_pickle(self.path)
            except (pickle.UnpicklingError, EOFError, ValueError) as exc:
                raise InvalidInput(f"{self.path}: not a readable CMeKG pickle ({exc})") from exc
            if not isinstance(data, dict):
                raise InvalidInput(f"{self.path}: expected a dict of subjects, got {type(data).__name__}")
            self._data = data
        return self._data

    def total(self) -> int | None:
        return len(self._load())

    def read(self, known: KnownNames | None = None) -> Iterator[SourceRecord | Reject]:
        data = self._load()
        file = str(self.path)
        subjects: dict[str, tuple[str, dict[str, list[str]], NodeType]] = {}
        rejects: dict[str, Reject] = {}
        for raw_subject, preds in data.items():
            reason = _shape_error(raw_subject, preds)
            if reason:
                rejects[str(raw_subject)] = Reject.of(self.name, file, raw_subject, reason, preds)
                continue
            assert isinstance(raw_subject, str) and isinstance(preds, dict)
            subjects[raw_subject] = (raw_subject.strip(), preds, classify(preds))
        diseases = {normalize_name(n) for n, _, t in subjects.values() if t == NodeType.DISEASE}
        core_aliases = _core_aliases([(n, t) for n, _, t in subjects.values()])
        cache = EntityCache(self.name)

        for raw_subject in data:
            if raw_subject in rejects:
                yield rejects[raw_subject]
                continue
            name, preds, stype = subjects[raw_subject]
            yield self._record(name, preds, stype, diseases, core_aliases, cache).at(file, raw_subject)

    def _record(self, name: str, preds: dict[str, list[str]], stype: NodeType, diseases: set[str],
                core_aliases: dict[str, str], cache: EntityCache) -> SourceRecord:
        sid = cache.id(name)
        aliases: list[str] = []
        props: dict[str, str | list[str]] = {}
        out_entities: list[Entity] = []
        relations: list[Relation] = []
        seen_rel: set[tuple[RelType, str]] = set()
        dataset = self.name
        for pred, values in preds.items():
            kept: list[str] = []
            items = sorted(values) if isinstance(values, set | frozenset) else values
            if pred in ALIAS_PREDICATES:
                for v in items:
                    v = str(v).strip()
                    if v:
                        kept.append(v)
                        if len(v) <= ALIAS_MAX_CHARS:
                            aliases.append(v)
            elif pred in PROPERTY_PREDICATES or pred.startswith(PROPERTY_PREFIXES):
                kept = [v for v in (str(x).strip() for x in items) if v]
            else:
                rel, ttype, fallback = _relation_for(pred, stype)
                for v in items:
                    v = v.strip() if isinstance(v, str) else str(v).strip()
                    if not v:
                        continue
                    if not is_term(v):
                        kept.append(v)
                        continue
                    t = ttype or (NodeType.DISEASE if _norm(v) in diseases else fallback)
                    tid = cache.weak(v, t, out_entities)
                    if (rel, tid) not in seen_rel:
                        seen_rel.add((rel, tid))
                        relations.append(Relation(sid, rel, tid, dataset, pred))
            if kept:
                props[pred] = _dedup(kept)
        core = core_aliases.get(name)
        if core:
            aliases.append(core)
        subject = Entity(id=sid, type=stype, name=name, aliases=_dedup([a for a in aliases if a != name]),
                         properties=props, sources=[self.name], described=True)
        return SourceRecord(entities=[subject, *out_entities], relations=relations)


@lru_cache(maxsize=4096)
def _relation_for(pred: str, stype: NodeType) -> tuple[RelType, NodeType | None, NodeType]:
    """(relation, target type, fallback) for a predicate on a subject of type `stype`; a None
    target type means: Disease when the value is a CMeKG disease subject, else the fallback."""
    rel, ttype = RELATION_PREDICATES.get(pred, (RelType.RELATED_TO, NodeType.CONCEPT))
    fallback = _AUTO_FALLBACK.get(rel, NodeType.CONCEPT)
    domain = RELATION_DOMAIN.get(rel)
    if domain is not None and domain != stype:
        if pred == "治疗":  # on a disease: procedures
            return RelType.RELATED_TO, _RELATED_ON_MISMATCH, fallback
        rel = RelType.RELATED_TO
    return rel, ttype, fallback


def _shape_error(subject: object, preds: object) -> str:
    if not isinstance(subject, str) or not normalize_name(subject):
        return "subject is not a non-empty string"
    if not isinstance(preds, dict):
        return f"predicates are a {type(preds).__name__}, not a dict"
    for p, vs in preds.items():
        if not isinstance(p, str):
            return f"predicate {p!r} is not a string"
        if not isinstance(vs, list | tuple | set) or not all(isinstance(v, str | int | float) for v in vs):
            return f"values of {p} are not a list of strings"
    return ""


def _core_aliases(subjects: list[tuple[str, NodeType]]) -> dict[str, str]:
    """Drug name → its core name, where that core name is unambiguous."""
    names = {normalize_name(n) for n, _ in subjects}
    by_core: dict[str, list[str]] = {}
    for n, t in subjects:
        if t != NodeType.DRUG:
            continue
        core = core_name(n)
        if core and core != normalize_name(n) and len(core) >= 2:
            by_core.setdefault(core, []).append(n)
    return {ns[0]: core for core, ns in by_core.items() if len(ns) == 1 and core not in names}


def _dedup(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
