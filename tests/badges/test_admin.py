"""The badges' admin: a sender's signed example works as shown, Credly's records are read-only."""

import html
import re
import shlex

import pytest
from django.core.exceptions import ValidationError

from badges.models import Badge, ResultSender, Submission, TemplateRequest
from tests.factories import BadgeFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def curl_parts(page: str) -> tuple[dict[str, str], str]:
    text = html.unescape(re.search(r'<pre id="example-curl">(.*?)</pre>', page, re.S).group(1))
    words = shlex.split(text.replace("\\\n", " "))
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    return headers, words[words.index("--data-raw") + 1]


def test_a_senders_page_shows_a_signed_example_that_the_webhook_accepts(
        client, admin_user, sender, certification):
    client.force_login(admin_user)
    page = client.get(f"/admin/badges/resultsender/{sender.pk}/change/").content.decode()

    assert "curl -X POST http://testserver/hooks/certifications/" in html.unescape(page)
    headers, body = curl_parts(page)
    client.logout()
    response = client.post("/hooks/certifications/", data=body.encode(),
                           content_type=headers.pop("content-type"), headers=headers)

    assert response.status_code == 200, response.content
    submission = Submission.objects.get()
    assert (submission.sender, submission.passed) == (sender, False)  # safe to run: no badge
    assert not Badge.objects.exists()


def test_a_new_sender_gets_a_secret_and_bad_secrets_are_refused(db):
    assert ResultSender.objects.create(name="LMS").secret_list[0].startswith("whsec_")
    taken = ResultSender.objects.get().secrets
    for bad in ("plain-text", "whsec_not*base64", "whsec_c2hvcnQ=", taken):
        with pytest.raises(ValidationError):
            ResultSender(name="x", secrets=bad).clean()


def test_credlys_records_are_read_only_and_for_admins_only(client, admin_user, agent):
    badge = BadgeFactory(submission=SubmissionFactory())
    client.force_login(admin_user)
    for path in (f"/admin/badges/badge/{badge.pk}/change/",
                 f"/admin/badges/submission/{badge.submission_id}/change/",
                 f"/admin/badges/badgetemplate/{badge.template_id}/change/"):
        page = client.get(path)
        assert page.status_code == 200
        if "badgetemplate" not in path:
            assert 'name="_save"' not in page.content.decode()
    assert client.get("/admin/badges/badge/add/").status_code == 403
    assert client.get("/admin/badges/badgetemplate/add/").status_code == 403
    for path in ("/admin/badges/badge/", "/admin/badges/certification/"):
        assert client.get(path).status_code == 200
    client.force_login(agent)
    assert client.get("/admin/badges/badge/").status_code == 302  # to the admin's login


def test_a_template_is_created_only_once_its_design_is_approved(template):
    request = TemplateRequest.objects.create(name="Security Specialist",
                                             design_request_url="https://example.com/design/1")
    request.status, request.template = "created", template
    with pytest.raises(ValidationError, match="Approve the design"):
        request.clean()
    TemplateRequest.objects.filter(pk=request.pk).update(status="approved")
    request.clean()
    request.template = None
    with pytest.raises(ValidationError, match="Choose the Credly template"):
        request.clean()
