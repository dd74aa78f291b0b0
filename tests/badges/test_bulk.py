"""Bulk issue from a CSV: every row checked first with its line number, a preview, then a task
that queues the badges a chunk at a time; the same file again issues only what is missing."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from badges import bulk, services
from badges.models import Badge, BulkIssue
from integrations.models import OutboxMessage
from tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db
HEADER = "email,template,first_name,last_name,issued_at,expires_at\n"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def csv_of(n: int, template: str, start: int = 0) -> str:
    return HEADER + "".join(f"earner{i}@example.com,{template},Earner,Number {i},2026-05-01,\n"
                            for i in range(start, start + n))


def upload(client, text: str, name: str = "badges.csv"):
    return client.post("/badges/bulk/", {"file": SimpleUploadedFile(name, text.encode())})


def test_every_problem_is_named_by_its_line(template):
    BadgeTemplateFactory(credly_id="old", name="Retired badge", state="archived")
    text = HEADER + "\n".join([
        "ada@example.com,GitLab Certified Git Associate,Ada,Lovelace,,",  # 2: by name, fine
        "not-an-email,nope,,Lovelace,,",                                  # 3
        "bob@example.com,old,Bob,B,,",                                    # 4: archived
        f"cy@example.com,{template.credly_id},Cy,C,01/05/2026,",          # 5: bad date
        f"di@example.com,{template.credly_id},Di,D,2027-01-01,",          # 6: future
        f"ed@example.com,{template.credly_id},Ed,E,2026-05-01,2026-04-01",  # 7: expires first
        "",                                                                # 8: blank, ignored
        f"ADA@example.com,{template.credly_id},Ada,L,,",                  # 9: repeats line 2
    ]) + "\n"
    result = bulk.validate(text, now=NOW)
    assert not result.is_valid and len(result.rows) == 1
    errors = dict(result.errors)
    assert set(errors) == {3, 4, 5, 6, 7, 9}
    assert "email 'not-an-email' is not an email address" in errors[3]
    assert "template 'nope' is neither" in errors[3] and "first_name is empty" in errors[3]
    assert "“Retired badge” is archived" in errors[4]
    assert "issued_at '01/05/2026' is not a date" in errors[5]
    assert errors[6] == "issued_at is in the future"
    assert errors[7] == "expires_at is not after issued_at"
    assert errors[9] == "the same badge for the same email as line 2"


def test_header_and_file_problems(template):
    assert bulk.validate("", now=NOW).errors == [(1, "The file is empty.")]
    assert "lacks template, last_name" in bulk.validate("email,first_name\n", now=NOW).errors[0][1]
    assert bulk.validate(HEADER, now=NOW).errors == [(1, "The file has a header but no rows.")]
    with pytest.raises(Exception, match="not UTF-8"):
        bulk.decode("é".encode("latin-1"))
    # Credly's own column names, in another order, a BOM and a missing optional column.
    text = "issued_to_last_name,Recipient Email,badge_template_id,issued_to_first_name\n" \
           f"Lovelace,ada@example.com,{template.credly_id},Ada\n"
    assert bulk.validate(bulk.decode(text.encode("utf-8-sig")), now=NOW).rows == [
        [2, template.pk, "ada@example.com", "Ada", "Lovelace", None, None]]


def test_validation_costs_two_queries_whatever_the_rows(template):
    for n in (5, 2000):
        with CaptureQueriesContext(connection) as queries:
            result = bulk.validate(csv_of(n, template.credly_id), now=NOW)
        assert result.is_valid and len(result.rows) == n
        assert len(queries) == 2  # the templates, the badges already held


def test_upload_preview_issue_and_the_same_file_again(agent_client, agent, template,
                                                      django_capture_on_commit_callbacks,
                                                      monkeypatch):
    sent = []
    monkeypatch.setattr(services, "_send_bulk_task", sent.append)
    services.issue_badge(template=template, recipient_email="earner1@example.com",
                         recipient_first_name="E", recipient_last_name="One")
    text = csv_of(5, template.name)

    response = upload(agent_client, text)
    first = BulkIssue.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/badges/bulk/{first.pk}/"
    preview = agent_client.get(response["Location"])
    assert (preview.context["to_issue"], preview.context["already_held"]) == (4, 1)
    assert "Issue 4 badges" in preview.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/badges/bulk/{first.pk}/start/")
    assert sent == [first.pk]
    services.run_bulk_issue(bulk_id=first.pk)  # what the worker does
    first.refresh_from_db()
    assert (first.state, first.position, first.queued, first.skipped) == ("done", 5, 4, 1)
    progress = agent_client.get(f"/badges/bulk/{first.pk}/progress/").json()
    assert progress | {"delivered": 0, "failed": 0} == progress
    assert (progress["queued"], progress["settled"]) == (4, False)
    badge = Badge.objects.get(bulk=first, recipient_email="earner0@example.com")
    assert badge.issued_at == datetime(2026, 5, 1, tzinfo=UTC) and badge.recipient_last_name == "Number 0"
    assert OutboxMessage.objects.filter(action="issue").count() == 5

    upload(agent_client, text)  # the same file again: nothing left to issue
    second = BulkIssue.objects.exclude(pk=first.pk).get()
    preview = agent_client.get(f"/badges/bulk/{second.pk}/")
    assert (preview.context["to_issue"], preview.context["already_held"]) == (0, 5)
    services.start_bulk_issue(bulk_id=second.pk)
    second = services.run_bulk_issue(bulk_id=second.pk)
    assert (second.queued, second.skipped) == (0, 5)
    assert Badge.objects.count() == 5


def test_an_invalid_upload_shows_its_errors_and_keeps_nothing(agent_client, template):
    response = upload(agent_client, HEADER + "x,y,,,\n")
    assert response.status_code == 200 and not BulkIssue.objects.exists()
    page = response.content.decode()
    assert "1 row to fix; nothing was issued" in page and "<td>2</td>" in page
    response = agent_client.post("/badges/bulk/", {
        "file": SimpleUploadedFile("x.csv", "é".encode("latin-1"))})
    assert "not UTF-8" in response.content.decode()


def test_a_finished_upload_cannot_start_again(template):
    result = bulk.validate(csv_of(2, template.credly_id), now=NOW)
    upload_ = services.create_bulk_issue(rows=result.rows, filename="a.csv", file_sha256="0")
    services.start_bulk_issue(bulk_id=upload_.pk)
    services.run_bulk_issue(bulk_id=upload_.pk)
    with pytest.raises(Exception, match="issued already"):
        services.start_bulk_issue(bulk_id=upload_.pk)
