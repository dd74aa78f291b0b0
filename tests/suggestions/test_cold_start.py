"""With too little history the desk's own rules answer, and the reasons say so."""

from suggestions import services
from suggestions.synthetic import seed_history
from tests.factories import TicketFactory
from tests.inbox.factories import MessageFactory, ThreadFactory


def test_without_a_model_routing_rules_answer_and_say_why(db):
    ticket = TicketFactory(subject="Remote Foundations certificate", topic="ld_training",
                           group=None)
    payload = services.suggest_for_ticket(ticket.pk).payload
    row = services.selectors.suggestion_for(ticket.subject_key)
    assert row.model_version is None
    assert payload["delegate"]["team"] == "L&D"
    assert payload["delegate"]["cold"] is True
    assert "matches this ticket" in payload["delegate"]["reason"]
    assert "too little history" in payload["delegate"]["reason"]
    assert payload["macros"] == []
    assert "too little history" in payload["cold"]["macro"]


def test_a_thin_history_still_falls_back_per_kind(db):
    seed_history(tickets=10, threads=0)
    model = services.train_model()
    assert model.metrics["learned"] == []
    thread = ThreadFactory(subject="Lab environment stuck", category=None)
    MessageFactory(thread=thread, body_text="The lab environment is still provisioning.")
    category = services.suggest_for_thread(thread.pk).payload["category"]
    assert category["slug"] == "demo-cloud"
    assert "category rule" in category["reason"]
    assert "too little history" in category["reason"]
    assert "(0 categorised threads; learning starts at 20)" in category["reason"]


def test_a_model_trained_on_an_empty_desk_leaves_everything_to_the_rules(db):
    services.train_model()
    ticket = TicketFactory(subject="Sales certification", topic="sales", group=None)
    payload = services.suggest_for_ticket(ticket.pk).payload
    assert payload["delegate"]["team"] == "Field Enablement"
    assert "(0 routed tickets; learning starts at 20)" in payload["delegate"]["reason"]
    assert payload["similar"] == [] and payload["macros"] == []
