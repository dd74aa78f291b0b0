"""Reads: the current model (loaded once per process and version) and one subject's stored
suggestions, the single row a ticket or thread page reads."""

from __future__ import annotations

import logging
import threading

from . import embeddings
from .learning import Learned
from .models import Suggestion, SuggestionModel

_loaded: dict[str, object] = {"version": None, "learned": None}
_lock = threading.Lock()
log = logging.getLogger(__name__)


def current_version() -> int | None:
    return SuggestionModel.objects.order_by("-version").values_list("version", flat=True).first()


def current_model() -> tuple[Learned | None, int | None]:
    """The newest trained model, unpickled only when it changed since last time (known by
    its hash too: a restored database may reuse a version number)."""
    newest = SuggestionModel.objects.order_by("-version").values_list("version", "sha256").first()
    if newest is None:
        return None, None
    with _lock:
        if _loaded["version"] != newest:
            row = SuggestionModel.objects.only("artifact", "sha256").get(version=newest[0])
            _loaded["learned"] = Learned.loads(bytes(row.artifact), row.sha256)
            _loaded["version"] = newest
        learned = _loaded["learned"]
    if learned.encoder == "minilm" and not embeddings.is_available():
        # Trained where the extra was installed: the rules answer until the next training.
        log.warning("Suggestion model v%s needs the embeddings extra, which is not installed",
                    newest[0])
        return None, newest[0]
    return learned, newest[0]


def forget_loaded_model() -> None:
    with _lock:
        _loaded.update(version=None, learned=None)


def suggestion_for(subject: str) -> Suggestion | None:
    return Suggestion.objects.filter(subject=subject).first()
