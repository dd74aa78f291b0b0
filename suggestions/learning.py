"""The learning itself, with no Django in it: TF-IDF over subject and description (or, with
the embeddings extra, MiniLM sentence embeddings), one linear model per kind of suggestion, and
the same vectors as a nearest-neighbour index for similar tickets and for the reasons shown
("applied to 14 similar tickets in the last 90 days")."""

from __future__ import annotations

import hashlib
import io
import time
from collections import Counter
from dataclasses import dataclass, field

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

KINDS = ("macro", "delegate", "category", "response")
# Below this many examples (or with a single label) a kind is not learned: the rules answer.
MIN_EXAMPLES = 20
RECENT_DAYS = 90
NEIGHBOURS = 50
# Cosine similarity at which another doc counts as similar in a reason ("similar"), is shown
# as a similar ticket ("shown"), or as a possible duplicate ("duplicate"). Embeddings put any
# two support requests closer than TF-IDF does (a held-out request's nearest ticket: median
# 0.73 against 0.48, lowest 0.43 against 0.27), so their bars sit higher by as much.
THRESHOLDS = {"tfidf": {"similar": 0.25, "shown": 0.2, "duplicate": 0.9},
              "minilm": {"similar": 0.45, "shown": 0.4, "duplicate": 0.95}}
ENCODERS = tuple(THRESHOLDS)
DAY = 86_400.0


@dataclass
class Doc:
    """One ticket or thread of the history: its text, when, and what was done with it."""

    key: str  # "ticket:42", "thread:7"
    text: str
    when: float  # epoch seconds
    labels: dict[str, str] = field(default_factory=dict)  # kind -> label
    weights: dict[str, float] = field(default_factory=dict)  # kind -> example weight
    resolution: str = ""  # how it was solved: "macro …", "routed to …"


@dataclass
class Ranked:
    label: str
    score: float
    similar_recent: int  # neighbours with this label in the last RECENT_DAYS


class Learned:
    """A fitted model; pickled with joblib into SuggestionModel.artifact."""

    # Class defaults, so models stored before embeddings existed read as TF-IDF.
    encoder = "tfidf"
    digests: list[bytes] = []  # minilm: each row's text digest, to reuse rows when retraining
    encoded = 0  # minilm: texts this training encoded (the others were reused)

    def __init__(self) -> None:
        self.vectorizer: TfidfVectorizer | None = None
        self.classifiers: dict[str, SGDClassifier] = {}
        self.examples: dict[str, int] = {}
        self.label_counts: dict[str, dict[str, int]] = {}
        self.acceptance: dict[str, dict[str, float]] = {}
        self.index = None  # csr_matrix, one L2-normalised row per doc
        self.keys: list[str] = []
        self.when = np.zeros(0)
        self.labels: dict[str, np.ndarray] = {}
        self.resolutions: list[str] = []
        self.trained_at = 0.0

    def is_learned(self, kind: str) -> bool:
        return kind in self.classifiers

    @property
    def thresholds(self) -> dict[str, float]:
        return THRESHOLDS[self.encoder]

    # ---- reading ---------------------------------------------------------------------------
    def vector(self, text: str):
        return self.vectorizer.transform([text]).astype(np.float32)

    def vectors(self, texts: list[str]):
        return self.vectorizer.transform(texts)

    def is_blank(self, vector) -> bool:
        """Not one word the model knows (an embedding always says something)."""
        return self.encoder == "tfidf" and vector.nnz == 0

    def scores(self, matrix, vector) -> np.ndarray:
        """Cosine similarity of `vector` to each row of `matrix` (both L2-normalised)."""
        if self.encoder == "tfidf":
            # A dense query makes this one sparse matrix-vector product (milliseconds at
            # 200,000 rows); sparse times sparse would build a sparse result first.
            return matrix @ vector.toarray().ravel()
        return matrix @ np.asarray(vector, dtype=np.float32).ravel()

    def similarities(self, vector) -> np.ndarray:
        """Cosine similarity of `vector` to every doc."""
        if self.encoder == "tfidf":
            return self.scores(self.index, vector)
        dense = self.__dict__.get("_dense")
        if dense is None:
            # Stored as float16 (half the artifact); widened once per process, for BLAS.
            dense = self.__dict__["_dense"] = self.index.astype(np.float32)
        return self.scores(dense, vector)

    def neighbours(self, vector, k: int = NEIGHBOURS, prefix: str = "",
                   scores: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the k most similar docs, most similar first; pass `scores` from
        similarities() to look among several kinds of doc for the price of one product."""
        if self.index is None or self.index.shape[0] == 0:
            return []
        if scores is None:
            scores = self.similarities(vector)
        if prefix:
            scores = np.where(self._prefix_mask(prefix), scores, 0.0)
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def _prefix_mask(self, prefix: str) -> np.ndarray:
        masks = self.__dict__.setdefault("_masks", {})
        if prefix not in masks:
            masks[prefix] = np.fromiter((k.startswith(prefix) for k in self.keys), bool,
                                        len(self.keys))
        return masks[prefix]

    def rank(self, kind: str, vector, near: list[tuple[int, float]], *, now: float,
             top: int = 3) -> list[Ranked]:
        """The labels of `kind` best fitting `vector`, with how many recent similar docs had
        each; acceptance from agents' feedback lowers labels they keep ignoring."""
        model = self.classifiers.get(kind)
        if model is None or self.is_blank(vector):
            return []  # not learned, or not one word the model knows: nothing to go on
        probabilities = model.predict_proba(vector)[0]
        accepted = self.acceptance.get(kind, {})
        scored = sorted(((p * accepted.get(label, 1.0), label)
                         for label, p in zip(model.classes_, probabilities, strict=True)),
                        reverse=True)[:top]
        labels = self.labels.get(kind)
        recent = Counter()
        if labels is not None:
            for row, similarity in near:
                if similarity >= self.thresholds["similar"] and labels[row] is not None \
                        and now - self.when[row] <= RECENT_DAYS * DAY:
                    recent[labels[row]] += 1
        return [Ranked(str(label), round(float(score), 4), recent[label])
                for score, label in scored]

    # ---- storing ---------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        # Caches rebuilt on first use: prefix masks, the widened embedding index.
        return {k: v for k, v in self.__dict__.items() if k not in ("_masks", "_dense")}

    def dumps(self) -> tuple[bytes, str]:
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        data = buffer.getvalue()
        return data, hashlib.sha256(data).hexdigest()

    @staticmethod
    def loads(data: bytes, sha256: str) -> Learned:
        # The artifact comes from our own database; the hash catches a truncated copy.
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("The stored suggestion model does not match its checksum.")
        return joblib.load(io.BytesIO(data))  # noqa: S301 - written by train(), checked above


def fit(docs: list[Doc], *, acceptance: dict[str, dict[str, float]] | None = None,
        max_features: int = 100_000, encoder: str = "tfidf",
        previous: Learned | None = None) -> Learned:
    """Fit the vectoriser on every doc, and one classifier per kind with enough examples;
    with encoder="minilm", `previous` lends the embeddings of texts it already encoded."""
    if encoder == "minilm":
        return _fit_minilm(docs, acceptance=acceptance, previous=previous)
    learned = Learned()
    learned.trained_at = time.time()
    learned.acceptance = acceptance or {}
    learned.vectorizer = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=max_features,
        stop_words="english", dtype=np.float32, strip_accents="unicode")
    if not docs:
        learned.vectorizer = None  # nothing to read yet: the rules answer every kind
        return learned
    texts = [d.text for d in docs]
    try:
        matrix = learned.vectorizer.fit_transform(texts)
    except ValueError:  # too few docs for min_df: learn from every word once
        learned.vectorizer.set_params(min_df=1, max_df=1.0)
        matrix = learned.vectorizer.fit_transform(texts)
    learned.index = matrix.tocsr()
    _fit_classifiers(learned, docs, matrix)
    return learned


def _fit_minilm(docs: list[Doc], *, acceptance, previous: Learned | None) -> Learned:
    from .embeddings import Vectorizer

    learned = Learned()
    learned.encoder = "minilm"
    learned.trained_at = time.time()
    learned.acceptance = acceptance or {}
    if not docs:
        return learned  # no vectoriser: the rules answer every kind
    known = {}
    if previous is not None and previous.encoder == "minilm" and previous.index is not None:
        known = dict(zip(previous.digests, previous.index.astype(np.float32), strict=True))
    learned.vectorizer = Vectorizer()
    matrix, learned.digests, learned.encoded = learned.vectorizer.fit_transform(
        [d.text for d in docs], known)
    learned.index = matrix.astype(np.float16)
    # The same linear model as on TF-IDF: on the labelled file it matched logistic
    # regression (lbfgs, C 1 to 100) within a request or two, and fits in half the time.
    _fit_classifiers(learned, docs, matrix)
    return learned


def _fit_classifiers(learned: Learned, docs: list[Doc], matrix) -> None:
    learned.keys = [d.key for d in docs]
    learned.when = np.array([d.when for d in docs], dtype=np.float64)
    learned.resolutions = [d.resolution for d in docs]
    for kind in KINDS:
        rows = [i for i, d in enumerate(docs) if kind in d.labels]
        learned.examples[kind] = len(rows)
        column = np.empty(len(docs), dtype=object)
        for i in rows:
            column[i] = docs[i].labels[kind]
        learned.labels[kind] = column
        targets = [docs[i].labels[kind] for i in rows]
        learned.label_counts[kind] = dict(Counter(targets))
        if len(rows) < MIN_EXAMPLES or len(set(targets)) < 2:
            continue
        model = SGDClassifier(loss="log_loss", alpha=2e-5, max_iter=50, tol=1e-3,
                              random_state=0, n_jobs=2)
        model.fit(matrix[rows], targets,
                  sample_weight=np.array([docs[i].weights.get(kind, 1.0) for i in rows]))
        learned.classifiers[kind] = model
