"""train_suggestions, evaluate_suggestions and the refresh job."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from suggestions import services
from suggestions.models import Suggestion, SuggestionModel
from suggestions.synthetic import seed_history
from tickets.models import Ticket


def test_train_suggestions_stores_a_new_version(history):
    out = StringIO()
    call_command("train_suggestions", stdout=out)
    assert SuggestionModel.objects.get().version == 1
    assert "Model v1:" in out.getvalue()
    assert "macro" in out.getvalue() and "learned" in out.getvalue()


def test_evaluate_prints_accuracy_per_kind_and_a_key_value_last_line(history, tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps(row) for row in [
        {"subject": "No badge after passing", "body": "I passed the exam but got no badge.",
         "macro": "Certification > Badge not received", "delegate": "Education Services",
         "category": "certification"},
        {"subject": "TeamOps in German?", "body": "Is TeamOps offered in German?",
         "delegate": "L&D", "category": "Training"},
        {"subject": "Sandbox credits gone", "body": "My demo cloud credits ran out.",
         "category": "demo-cloud"},
    ]) + "\n")
    out = StringIO()
    call_command("evaluate_suggestions", file=str(labelled), stdout=out)
    lines = out.getvalue().strip().splitlines()
    figures = dict(pair.split("=") for pair in lines[-1].split())
    assert figures["n"] == "3"
    assert figures["macro_n"] == "1" and figures["delegate_n"] == "2" and \
        figures["category_n"] == "3"
    assert float(figures["macro_top1"]) == 1.0
    assert float(figures["category_top3"]) == 1.0
    assert float(figures["p95_ms"]) > 0
    assert any(line.startswith("delegate") and "top-1" in line for line in lines)


def test_the_shipped_labelled_file_is_big_enough_and_well_formed():
    from suggestions.management.commands.evaluate_suggestions import DEFAULT_FILE

    rows = [json.loads(line) for line in DEFAULT_FILE.read_text().splitlines()]
    assert len(rows) >= 300
    assert all(row["subject"] and row["body"] for row in rows)
    assert {row["delegate"] for row in rows} == {"Education Services", "L&D", "Field Enablement"}


def test_evaluate_refuses_a_broken_file(db, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"subject": "ok"}\nnot json\n')
    with pytest.raises(CommandError, match=":2: not JSON"):
        call_command("evaluate_suggestions", file=str(broken), stdout=StringIO())


def test_refresh_picks_up_tickets_the_sync_wrote_in_bulk(db):
    seed_history(tickets=30, threads=5, days=10)  # within the first run's backfill
    assert not Suggestion.objects.exists()
    assert services.refresh_changed(batch=20) == 25  # 20 tickets, 5 threads
    assert services.refresh_changed(batch=20) == 10  # resumes from its cursor
    assert services.refresh_changed(batch=20) == 0
    assert Suggestion.objects.count() == 35
    ticket = Ticket.objects.first()
    Ticket.objects.filter(pk=ticket.pk).update(subject="Changed upstream",
                                               updated_at=timezone.now())
    assert services.refresh_changed() == 1


def test_the_refresh_job_trains_a_first_model_itself(db):
    from suggestions import tasks

    seed_history(tickets=60, threads=10, days=5)
    assert tasks.refresh() == 70
    assert SuggestionModel.objects.get().version == 1
    assert Suggestion.objects.filter(model_version=1).count() == 70


def test_train_with_refresh_updates_open_tickets(history):
    open_count = Ticket.objects.filter(status__in=Ticket.UNSOLVED).count()
    out = StringIO()
    call_command("train_suggestions", "--refresh", stdout=out)
    assert f"Recomputed {open_count} suggestions." in out.getvalue()  # synthetic threads are done
    assert Suggestion.objects.filter(subject__startswith="ticket:", model_version=1).count() \
        == open_count


def test_synthetic_history_can_grow_in_steps(db):
    seed_history(tickets=5, threads=3, seed=1)
    seed_history(tickets=5, threads=3, seed=2)  # the bench tops a database up this way
    assert Ticket.objects.count() == 10
