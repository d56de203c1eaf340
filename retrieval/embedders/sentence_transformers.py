"""Any sentence-transformers model (name or local folder), run by torch or by ONNX Runtime.

backend "torch": `SentenceTransformer.encode` in fp32 — the reference path.
backend "onnx":  the transformer exported once to ONNX and dynamically quantized to int8
                 (onnxruntime.quantization), run by ONNX Runtime with length-bucketed batches;
                 mean pooling + L2 normalization in numpy. Needs `pip install 'qizhen[onnx]'`
                 for the one-time export (onnx); running needs only onnxruntime.
backend "auto":  onnx when it can be used, else torch.

The ONNX path assumes the usual Transformer → mean Pooling (→ Normalize) module stack, which
is what e5 models use; other pooling modes fall back to torch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kg.errors import InvalidInput
from retrieval.embedders.base import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX, Embedder, is_e5, l2_normalize

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx")
ONNX_FP32 = "model.onnx"
ONNX_INT8 = "model_qint8.onnx"


def onnx_runtime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def onnx_export_available() -> bool:
    try:
        import onnx  # noqa: F401
        import onnxruntime.quantization  # noqa: F401
    except ImportError:
        return False
    return True


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model.strip("/")).strip("_")[-120:] or "model"


def _mean_pooling_only(model_dir: Path) -> bool:
    """True when the folder's ST stack is Transformer → mean Pooling (→ Normalize)."""
    modules = model_dir / "modules.json"
    if not modules.exists():
        return False
    try:
        for m in json.loads(modules.read_text()):
            kind = m.get("type", "")
            if kind.endswith("Pooling"):
                cfg = json.loads((model_dir / m["path"] / "config.json").read_text())
                active = [k for k, v in cfg.items() if k.startswith("pooling_mode") and v is True]
                if active != ["pooling_mode_mean_tokens"]:
                    return False
            elif not kind.endswith(("Transformer", "Normalize")):
                return False
    except (OSError, ValueError, KeyError):
        return False
    return True


def export_onnx_int8(model_dir: Path, out_dir: Path) -> Path:
    """Export the folder's transformer to ONNX and quantize its weights to int8 (once, atomically)."""
    target = out_dir / ONNX_INT8
    if target.exists():
        return target
    if not onnx_export_available():
        raise ImportError("the ONNX backend needs onnx for its one-time export: pip install 'qizhen[onnx]'")
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

        class _Hidden(torch.nn.Module):
            def __init__(self, inner: torch.nn.Module) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
                return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        ids = torch.tensor([[0, 6, 10, 11, 2], [0, 6, 12, 2, 1]], dtype=torch.long)
        mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]], dtype=torch.long)
        axes = {0: "batch", 1: "seq"}
        with torch.no_grad():
            torch.onnx.export(_Hidden(model), (ids, mask), str(tmp / ONNX_FP32), dynamo=False,
                              input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                              opset_version=17)
        fused = _fuse_attention(tmp / ONNX_FP32, model.config)
        import onnx

        # MatMul + fused Attention weights, per output channel (per-tensor scales cost ~1 % cosine);
        # the word-embedding Gather stays fp32
        quantize_dynamic(str(fused), str(tmp / ONNX_INT8), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Attention"],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        os.replace(tmp / ONNX_INT8, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _fuse_attention(path: Path, config: object) -> Path:
    """ORT's transformer optimizer (fused Attention, SkipLayerNorm, BiasGelu) for BERT-like
    encoders; the unfused graph when the model is of another kind or fusion fails."""
    heads = getattr(config, "num_attention_heads", 0)
    hidden = getattr(config, "hidden_size", 0)
    if getattr(config, "model_type", "") not in ("bert", "xlm-roberta", "roberta") or not heads:
        return path
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        out = path.with_name("model_fused.onnx")
        optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden,
                       opt_level=1).save_model_to_file(str(out))
        return out
    except Exception as exc:  # noqa: BLE001 - optimizer coverage varies by architecture
        log.warning("ONNX attention fusion failed (%s); quantizing the plain graph", exc)
        return path


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model; `model` is a hub name (offline cache) or a local folder."""

    def __init__(self, model: str, *, name: str | None = None, backend: str = "auto",
                 onnx_dir: Path | None = None, max_length: int = 512, e5_prefixes: bool | None = None,
                 prepare: Callable[[], object] | None = None) -> None:
        """`prepare` runs once before loading (e.g. materializing the model folder)."""
        if backend not in BACKENDS:
            raise InvalidInput(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.model = model
        self.name = name or model
        self.requested_backend = backend
        self.backend = ""
        self.onnx_dir = onnx_dir
        self.max_length = max_length
        self.e5 = (is_e5(self.name) or is_e5(model)) if e5_prefixes is None else e5_prefixes
        self._st: object | None = None
        self._session: object | None = None
        self._tokenizer: object | None = None
        self._dim: int | None = None
        self._lock = threading.Lock()
        self._prepare = prepare

    # -- loading ---------------------------------------------------------------------------------
    def _choose_backend(self) -> str:
        if self.requested_backend != "auto":
            return self.requested_backend
        local = Path(self.model).is_dir()
        if not (local and onnx_runtime_available() and _mean_pooling_only(Path(self.model))):
            return "torch"
        if self.onnx_dir and (self.onnx_dir / ONNX_INT8).exists():
            return "onnx"
        return "onnx" if onnx_export_available() else "torch"

    def warm_up(self) -> None:
        with self._lock:
            if self.backend:
                return
            if self._prepare is not None:
                self._prepare()
                self._prepare = None
            backend = self._choose_backend()
            if backend == "onnx":
                self._load_onnx()
            else:
                self._load_torch()
            self.backend = backend

    def _load_torch(self) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - core dependency
            raise ImportError("embeddings need sentence-transformers: pip install 'qizhen'") from exc
        st = SentenceTransformer(self.model, device="cpu")
        st.max_seq_length = min(self.max_length, st.max_seq_length or self.max_length)
        self._st = st
        get_dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        self._dim = int(get_dim())

    def _load_onnx(self) -> None:
        model_dir = Path(self.model)
        if not model_dir.is_dir() or not _mean_pooling_only(model_dir):
            raise InvalidInput(f"the onnx backend needs a local sentence-transformers folder with mean pooling, "
                             f"not {self.model!r}: use backend 'torch'")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ImportError("the onnx backend needs onnxruntime: pip install 'qizhen[onnx]'") from exc
        from transformers import AutoTokenizer

        onnx_dir = self.onnx_dir or model_dir / "onnx"
        path = export_onnx_int8(model_dir, onnx_dir)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared CPUs: don't spin
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self._dim = int(self._session.get_outputs()[0].shape[-1] or 0) or self._probe_dim()

    def _probe_dim(self) -> int:
        return int(self._onnx_batch(["x"]).shape[1])

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.warm_up()
        assert self._dim is not None
        return self._dim

    # -- encoding --------------------------------------------------------------------------------
    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "onnx":
            return self._onnx_encode(list(texts), batch_size)
        vecs = self._st.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,  # type: ignore[union-attr]
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def _onnx_batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,  # type: ignore[misc]
                              return_tensors="np")
        ids = enc["input_ids"].astype(np.int64)
        mask = enc["attention_mask"].astype(np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]  # type: ignore[union-attr]
        m = mask[..., None].astype(np.float32)
        return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)

    def _onnx_encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Length-bucketed: sort by length so each batch pads to similar lengths."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._onnx_batch([texts[i] for i in idx])
        return l2_normalize(out)

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        prefix = E5_QUERY_PREFIX if self.e5 else ""
        return self._encode([prefix + t for t in texts], batch_size)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        prefix = E5_PASSAGE_PREFIX if self.e5 else ""
        return self._encode([prefix + t for t in texts], batch_size)


def onnx_dir_for(home: Path, model: str) -> Path:
    """Where the ONNX export of `model` lives under $QIZHEN_HOME."""
    return Path(home).expanduser() / "models" / "onnx" / _slug(model)
