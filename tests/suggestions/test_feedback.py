"""What agents do with suggestions is recorded, and feeds the next training."""

import pytest

from inbox import services as inbox_services
from inbox.models import Category, PreparedResponse
from suggestions import history, services
from suggestions.models import Feedback
from tests.factories import TicketFactory
from tests.inbox.factories import MessageFactory, ThreadFactory
from tickets import services as ticket_services
from tickets.models import Macro, RoutingRule

BADGE = "Certification > Badge not received"


def _badge_ticket():
    return TicketFactory(subject="Passed the exam, no badge yet", group=None, topic="",
                         description="I passed my certification exam but no badge arrived.")


def test_applying_the_suggested_macro_is_taken(trained, agent, eager_tasks,
                                               django_capture_on_commit_callbacks):
    ticket = _badge_ticket()
    services.suggest_for_ticket(ticket.pk)
    macro = Macro.objects.get(title=BADGE)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    feedback = Feedback.objects.get(subject=ticket.subject_key)
    assert (feedback.kind, feedback.choice, feedback.chosen) == ("macro", "taken", str(macro.pk))
    assert feedback.actor == agent and feedback.model_version == trained.version


def test_a_macro_sent_through_the_reply_box_is_taken_and_learned_from(
        trained, agent, eager_tasks, django_capture_on_commit_callbacks):
    ticket = _badge_ticket()
    services.suggest_for_ticket(ticket.pk)
    macro = Macro.objects.get(title=BADGE)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.add_comment(ticket_id=ticket.pk, actor=agent, public=True,
                                    body="Hi, your badge is on its way (edited).", macro=macro)
    feedback = Feedback.objects.get(subject=ticket.subject_key)
    assert (feedback.kind, feedback.choice, feedback.chosen) == ("macro", "taken", str(macro.pk))
    # The next training sees the macro on this ticket, though the audit line is a reply.
    doc = next(d for d in history.ticket_docs() if d.key == ticket.subject_key)
    assert doc.labels["macro"] == str(macro.pk)


def test_applying_another_macro_is_a_correction(trained, agent, eager_tasks,
                                                django_capture_on_commit_callbacks):
    ticket = _badge_ticket()
    services.suggest_for_ticket(ticket.pk)
    other = Macro.objects.get(title="General > Forms > Incorrect Form Used")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.apply_macro(ticket_id=ticket.pk, macro=other, actor=agent)
    feedback = Feedback.objects.get(subject=ticket.subject_key)
    assert feedback.choice == "corrected"
    assert feedback.suggested == str(Macro.objects.get(title=BADGE).pk)
    assert feedback.chosen == str(other.pk)


def test_routing_as_suggested_is_taken(trained, agent, eager_tasks,
                                       django_capture_on_commit_callbacks):
    ticket = TicketFactory(subject="TeamOps in Spanish?", group=None, topic="",
                           description="Is the TeamOps course offered in Spanish?")
    services.suggest_for_ticket(ticket.pk)
    rule = RoutingRule.objects.get(name__startswith="L&D trainings")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule)
    feedback = Feedback.objects.get(subject=ticket.subject_key)
    assert (feedback.kind, feedback.choice, feedback.chosen) == ("delegate", "taken", "L&D")


def test_category_correction_and_response_sent_are_recorded(trained, agent, eager_tasks,
                                                            django_capture_on_commit_callbacks):
    thread = ThreadFactory(subject="Sandbox out of credits", category=None)
    MessageFactory(thread=thread, body_text="The demo cloud sandbox stopped: no credits left.")
    services.suggest_for_thread(thread.pk)
    response = PreparedResponse.objects.get(title="Out of demo cloud credits")
    with django_capture_on_commit_callbacks(execute=True):
        inbox_services.correct_category(thread_id=thread.pk, actor=agent,
                                        category=Category.objects.get(slug="demo-cloud"))
    with django_capture_on_commit_callbacks(execute=True):
        inbox_services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Credits added.",
                                       prepared_response=response)
    choices = dict(Feedback.objects.filter(subject=thread.subject_key).values_list(
        "kind", "choice"))
    assert choices == {"category": "taken", "response": "taken"}


def test_dismissed_suggestions_weigh_less_in_the_next_training(trained, agent):
    ticket = _badge_ticket()
    label = services.suggest_for_ticket(ticket.pk).payload["macros"][0]["label"]
    for _ in range(8):
        services.dismiss(subject=ticket.subject_key, kind="macro", label=label, actor=agent)
    services.record_feedback(subject=ticket.subject_key, kind="macro", choice="taken",
                             suggested=label, chosen=label, actor=agent)
    # Taken once, ignored eight times: (1 + 2) / (9 + 2), smoothed towards "no opinion".
    assert history.acceptance()["macro"][label] == pytest.approx(3 / 11)
    model = services.train_model()
    assert model.metrics["feedback"]["macro"] == {"ignored": 8, "taken": 1}
    learned, _ = services.selectors.current_model()
    assert learned.acceptance["macro"][label] == pytest.approx(3 / 11)


def test_solving_without_taking_the_suggestion_is_ignored(trained, agent, eager_tasks,
                                                         django_capture_on_commit_callbacks):
    ticket = _badge_ticket()
    top = services.suggest_for_ticket(ticket.pk).payload["macros"][0]["label"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.add_comment(ticket_id=ticket.pk, actor=agent, body="Sorted by phone.",
                                    public=True, status="solved")
    feedback = Feedback.objects.get(subject=ticket.subject_key)
    assert (feedback.kind, feedback.choice, feedback.suggested) == ("macro", "ignored", top)
