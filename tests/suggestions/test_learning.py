"""Training on the desk's history: what it suggests for tickets and threads, and why."""

from inbox.models import Category, Thread
from suggestions import services
from suggestions.models import SuggestionModel
from tests.factories import TicketFactory
from tests.inbox.factories import MessageFactory, ThreadFactory
from tickets.models import Macro


def _ticket(subject, description, **kwargs):
    return TicketFactory(subject=subject, description=description, group=None, topic="",
                         **kwargs)


def test_training_stores_a_versioned_model_with_its_metrics(trained):
    assert trained.version == 1
    assert set(trained.metrics["learned"]) == {"macro", "delegate", "category", "response"}
    assert trained.metrics["examples"]["macro"] > 100
    assert services.train_model().version == 2
    assert SuggestionModel.objects.count() == 2


def test_a_badge_question_gets_the_badge_macro_with_a_reason(trained):
    ticket = _ticket("Passed the exam, still no badge",
                     "I passed my certification exam last week and no badge arrived from Credly.")
    payload = services.suggest_for_ticket(ticket.pk).payload
    top = payload["macros"][0]
    assert top["title"] == "Certification > Badge not received"
    assert top["id"] == Macro.objects.get(title=top["title"]).pk
    assert "similar tickets in the last 90 days" in top["reason"]
    assert payload["cold"] == {}


def test_an_ld_training_is_routed_to_ld(trained):
    ticket = _ticket("TeamOps course in Spanish?",
                     "Is the TeamOps course offered in Spanish for our managers?")
    delegate = services.suggest_for_ticket(ticket.pk).payload["delegate"]
    assert delegate["team"] == "L&D"
    assert delegate["rule"].startswith("L&D trainings")
    assert "routed there for" in delegate["reason"]


def test_sales_certification_goes_to_field_enablement(trained):
    ticket = _ticket("Sales certification for our partners",
                     "Our partner sales reps need the sales certification training.")
    assert services.suggest_for_ticket(ticket.pk).payload["delegate"]["team"] == \
        "Field Enablement"


def test_similar_tickets_put_open_ones_first_and_say_how_solved_ones_were(trained):
    ticket = _ticket("Please move my badge to my new email",
                     "Please reissue my badge to my new email address.")
    similar = services.suggest_for_ticket(ticket.pk).payload["similar"]
    assert 1 <= len(similar) <= 5
    solved = [s["status"] in ("solved", "closed") for s in similar]
    assert solved == sorted(solved)  # open ones first
    assert all(s["how"] for s in similar if s["status"] in ("solved", "closed"))


def test_a_thread_gets_its_category_and_ranked_responses(trained):
    thread = ThreadFactory(subject="Sandbox out of credits", category=None)
    MessageFactory(thread=thread, body_text="The demo cloud sandbox stopped: no credits left.")
    payload = services.suggest_for_thread(thread.pk).payload
    assert payload["category"]["slug"] == "demo-cloud"
    assert payload["category"]["is_current"] is False
    assert payload["responses"][0]["title"] == "Out of demo cloud credits"
    assert all(r["reason"] for r in payload["responses"])


def test_the_same_requester_recently_is_a_possible_duplicate(trained):
    first = _ticket("Badge missing", "No badge after my exam.", requester_email="sam@example.com")
    thread = ThreadFactory(requester_email="sam@example.com", subject="Where is my badge?")
    second = _ticket("Badge still missing", "Any news?", requester_email="sam@example.com")
    duplicates = services.suggest_for_ticket(second.pk).payload["duplicates"]
    assert {(d["kind"], d["id"], d["why"]) for d in duplicates} >= {
        ("ticket", first.pk, "same requester"), ("thread", thread.pk, "same requester")}


def test_a_thread_already_in_the_suggested_category_says_so(trained):
    category = Category.objects.get(slug="certification")
    thread = ThreadFactory(subject="Badge missing after my exam", category=category)
    MessageFactory(thread=thread)
    payload = services.suggest_for_thread(thread.pk).payload
    assert payload["category"]["slug"] == "certification"
    assert payload["category"]["is_current"] is True
    assert Thread.objects.get(pk=thread.pk).category == category  # suggestions never act


def test_embeddings_asked_for_without_the_extra_train_tf_idf_and_say_so(history, settings,
                                                                       monkeypatch):
    from suggestions import embeddings

    settings.SUGGESTIONS_ENCODER = "minilm"
    # As on a desk that never ran `make embeddings`: no model package to find.
    monkeypatch.setattr(embeddings, "MODEL_PACKAGE", "no_such_model_package")
    row = services.train_model()
    assert row.metrics["backend"] == "tfidf+sgd"
    assert "embeddings extra is not installed" in row.metrics["note"]
    assert "make embeddings" in row.metrics["note"]
