"""Sentence embeddings (the optional extra): the numpy MiniLM against the model's published
output, and the suggestions trained on it. Skipped where the extra is not installed (CI
installs `.[dev]` only)."""

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")

from suggestions import embeddings, selectors, services  # noqa: E402
from suggestions.learning import THRESHOLDS  # noqa: E402
from tests.factories import TicketFactory  # noqa: E402

if not embeddings.is_available():
    pytest.skip(f"the model package is not installed: {embeddings.INSTALL_HINT}",
                allow_module_level=True)


@pytest.fixture(scope="module")
def minilm():
    return embeddings.shared()


@pytest.fixture
def minilm_settings(settings):
    settings.SUGGESTIONS_ENCODER = "minilm"


def test_the_vectors_are_the_models_own(minilm):
    # sentence-transformers' output for the model card's example sentences, first six
    # dimensions (the same figures other ports of all-MiniLM-L6-v2 check against).
    vectors = minilm.encode(["This is an example sentence", "Each sentence is converted."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[:, :6], [
        [0.06765693, 0.06349593, 0.04871314, 0.07930495, 0.03744806, 0.00265273],
        [0.07853645, 0.08856265, -0.00209270, -0.00717247, -0.01252624, 0.01881747],
    ], atol=1e-5)


def test_a_paraphrase_is_close_and_an_unrelated_request_is_not(minilm):
    badge, paraphrase, invoice = minilm.encode([
        "I passed the exam but never got my badge",
        "Certification passed, still no Credly badge received",
        "How do I change the billing address on our invoice?"])
    assert badge @ paraphrase > 0.7
    assert badge @ invoice < 0.3


def test_padding_in_a_batch_changes_no_vector(minilm):
    texts = ["Short one", "A much longer request about a lab that never finishes provisioning "
             "in the demo cloud, tried twice already, please help", ""]
    together = minilm.encode(texts)
    alone = np.vstack([minilm.encode([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_suggestions_trained_on_embeddings(history, minilm_settings):
    row = services.train_model()
    assert row.metrics["backend"] == "minilm+sgd"
    assert set(row.metrics["learned"]) == {"macro", "delegate", "category", "response"}
    # Worded apart from the synthetic history: no "badge not received" words in common.
    ticket = TicketFactory(subject="Cleared the certification test, credential never showed up",
                           description="Finished the assessment successfully a week ago; "
                                       "Credly has sent me nothing.", group=None, topic="")
    payload = services.suggest_for_ticket(ticket.pk).payload
    assert payload["macros"][0]["title"] == "Certification > Badge not received"
    assert payload["similar"] and all(s["score"] >= THRESHOLDS["minilm"]["shown"]
                                      for s in payload["similar"])
    assert "similar tickets in the last 90 days" in payload["macros"][0]["reason"]


def test_a_stored_model_loads_again_and_retraining_encodes_only_new_texts(history,
                                                                          minilm_settings):
    first = services.train_model()
    assert first.metrics["texts_encoded"] > 0
    selectors.forget_loaded_model()
    learned, version = selectors.current_model()
    assert (learned.encoder, version) == ("minilm", 1)
    assert first.metrics["artifact_bytes"] < 5_000_000  # the weights stay in the package
    second = services.train_model()
    assert second.metrics["texts_encoded"] == 0


def test_evaluate_compares_the_encoders(history, tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(json.dumps({"subject": "Passed, but where is my badge?",
                                    "body": "I passed the exam and got no badge.",
                                    "macro": "Certification > Badge not received"}) + "\n")
    out = StringIO()
    call_command("evaluate_suggestions", file=str(labelled), encoder="minilm", stdout=out)
    figures = dict(pair.split("=") for pair in out.getvalue().strip().splitlines()[-1].split())
    assert figures["encoder"] == "minilm" and float(figures["macro_top1"]) == 1.0
