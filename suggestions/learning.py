"""The learning itself, with no Django in it: TF-IDF over subject and description, one linear
model per kind of suggestion, and the same vectors as a nearest-neighbour index for similar
tickets and for the reasons shown ("applied to 14 similar tickets in the last 90 days")."""

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
# Cosine similarity at which another ticket counts as "similar" in a reason.
SIMILAR_AT = 0.25
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

    # ---- reading ---------------------------------------------------------------------------
    def vector(self, text: str):
        return self.vectorizer.transform([text]).astype(np.float32)

    def similarities(self, vector) -> np.ndarray:
        """Cosine similarity of `vector` to every doc (rows are L2-normalised)."""
        # A dense query makes this one sparse matrix-vector product (milliseconds at 200,000
        # rows); sparse times sparse would build a sparse result first.
        return self.index @ vector.toarray().ravel()

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
        if model is None or vector.nnz == 0:
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
                if similarity >= SIMILAR_AT and labels[row] is not None \
                        and now - self.when[row] <= RECENT_DAYS * DAY:
                    recent[labels[row]] += 1
        return [Ranked(str(label), round(float(score), 4), recent[label])
                for score, label in scored]

    # ---- storing ---------------------------------------------------------------------------
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
        max_features: int = 100_000) -> Learned:
    """Fit the vectoriser on every doc, and one classifier per kind with enough examples."""
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
    return learned
