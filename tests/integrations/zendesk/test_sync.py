"""Inbound sync from the fake Zendesk over real HTTP: mapping, resume, idempotence, bad data."""

import time

import pytest
from django.core.management import CommandError, call_command

from integrations.errors import PermanentError
from integrations.models import SyncState
from integrations.zendesk import conf, sync
from integrations.zendesk.fake import MISSING
from integrations.zendesk.models import ZendeskUser
from people.models import AgentProfile, AuditEvent, Team
from tickets.models import Comment, Macro, Ticket, TicketForm

from .conftest import open_ids


def fake_comment_ids(fake) -> set[int]:
    return {c["id"] for tid in fake.tickets for c in fake.get_comments(tid)}


def test_full_sync_mirrors_tickets_comments_people_and_catalog(fake_zendesk, agent):
    result = sync.run_sync(full=True)

    assert result.ran and result.counts["tickets"] == 120 and result.counts["comments"] == 360
    assert set(Ticket.objects.values_list("zendesk_id", flat=True)) == set(fake_zendesk.tickets)
    assert set(Comment.objects.values_list("zendesk_id", flat=True)) == fake_comment_ids(
        fake_zendesk)
    # Groups and forms are matched to the configured teams and forms by name.
    assert Team.objects.get(slug="education-services").zendesk_id == 2001
    assert TicketForm.objects.get(name="Free Training").zendesk_id == 3002
    # Ada's EduDesk login has the email of a Zendesk agent: her tickets are hers here too.
    assert AgentProfile.objects.get(user=agent).zendesk_id == 1001
    upstream = fake_zendesk.get_ticket(next(tid for tid, t in fake_zendesk.tickets.items()
                                            if t.assignee_id == 1001))
    local = Ticket.objects.get(zendesk_id=upstream["id"])
    assert local.assignee == agent and local.status == upstream["status"]
    assert local.subject == upstream["subject"] and local.tag_list == sorted(upstream["tags"])
    requester = fake_zendesk.users[upstream["requester_id"]]
    assert (local.requester_name, local.requester_email) == (requester["name"],
                                                             requester["email"])
    region_tag = next(t for t in upstream["tags"] if t.startswith("region_"))
    assert local.region.code == region_tag.removeprefix("region_").upper()
    assert local.topic and f"topic_{local.topic}" in upstream["tags"] or local.topic == (
        "ld_training")
    assert local.upstream_updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") == upstream["updated_at"]
    first = local.comments.order_by("created_at", "zendesk_id").first()
    assert first.author_name == requester["name"] and "<p>" in first.body_html

    # Zendesk macros arrive read-only beside the local ones; one of the same title takes the
    # local one over, so it is listed once.
    imported = Macro.objects.get(zendesk_id=4002)
    assert imported.title == "Education Services > Certification > Badge Reissue"
    assert imported.is_read_only and imported.set_status == "pending"
    assert imported.add_tags == "badge_reissued" and imported.comment.startswith("Hi {{")
    assert Macro.objects.get(zendesk_id=4001).title == "General > Forms > Incorrect Form Used"
    assert not Macro.objects.get(zendesk_id=4006).active
    assert Macro.objects.filter(zendesk_id=None).count() == 4

    state = SyncState.objects.get(system="zendesk")
    assert state.cursors["tickets"] and state.cursors["ticket_events"] > 0
    assert state.full_sync_done == state.full_sync_total == 120 and state.full_sync_finished_at
    assert state.last_success_at and not state.last_error and not state.is_running


def test_the_same_pages_twice_change_nothing(fake_zendesk, agent):
    fake_zendesk.duplicate_overlap = 7  # Zendesk repeats items across pages
    sync.run_sync(full=True, per_page=20)
    before = list(Ticket.objects.order_by("pk").values())
    comments = list(Comment.objects.order_by("pk").values())

    again = sync.run_sync(full=True, per_page=20)

    assert again.counts["tickets"] == 0 and again.counts["comments"] == 0
    assert list(Ticket.objects.order_by("pk").values()) == before
    assert list(Comment.objects.order_by("pk").values()) == comments


def test_incremental_sync_brings_in_upstream_changes(fake_zendesk, agent):
    sync.run_sync()
    tid = open_ids(fake_zendesk, 1)[0]
    stamp = Ticket.objects.get(zendesk_id=tid).upstream_updated_at
    fake_zendesk.upstream_update(tid, status="hold", tags=["region_emea", "topic_sales"],
                                 comment={"body": "Moved to hold by a colleague", "public": False})

    result = sync.run_sync()

    assert result.counts["tickets"] == 1 and result.counts["comments"] == 1
    ticket = Ticket.objects.get(zendesk_id=tid)
    assert ticket.status == "hold" and ticket.topic == "sales" and ticket.region.code == "EMEA"
    assert ticket.upstream_updated_at > stamp
    note = ticket.comments.get(body_html__contains="Moved to hold")
    assert not note.is_public and note.author == agent  # Zendesk user 1001 is Ada


def test_changes_made_in_zendesk_appear_in_the_history_as_from_zendesk(fake_zendesk, agent,
                                                                        agent_client):
    sync.run_sync()
    tid = open_ids(fake_zendesk, 1)[0]
    ticket = Ticket.objects.get(zendesk_id=tid)
    status = "hold" if ticket.status != "hold" else "pending"
    fake_zendesk.upstream_update(tid, status=status, priority="urgent")

    result = sync.run_sync()

    assert result.counts["changed_in_zendesk"] == 1
    [line] = AuditEvent.objects.filter(subject=f"ticket:{ticket.pk}", verb="zendesk_update")
    assert line.actor is None
    assert line.changes["status"] == [ticket.get_status_display(), status.title()]
    assert line.changes["priority"][1] == "Urgent"
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Changed in Zendesk: status" in page and "System:" not in page
    # The same pages again, and our own writes coming back, add nothing.
    sync.run_sync()
    assert AuditEvent.objects.filter(verb="zendesk_update").count() == 1


class Crash(Exception):
    pass


def crash_on(phase: str, page: int):
    """A progress hook that fails inside the page's transaction, after its rows are written."""
    seen = {"n": 0}

    def hook(state) -> None:
        if state.phase == phase:
            seen["n"] += 1
            if seen["n"] == page:
                raise Crash(f"killed during {phase} page {page}")
    return hook


def test_interrupted_full_sync_resumes_with_every_ticket_and_comment_once(fake_zendesk, agent):
    fake_zendesk.seed(tickets=300, comments_per_ticket=3)
    fake_zendesk.duplicate_overlap = 5

    with pytest.raises(Crash):
        sync.run_sync(full=True, per_page=40, progress=crash_on("tickets", 3))
    state = SyncState.objects.get()
    assert "Crash" in state.last_error and state.is_full_sync_running and not state.is_running
    partial = Ticket.objects.count()
    assert 0 < partial < 300  # two pages committed, the third rolled back with its cursor

    with pytest.raises(Crash):
        sync.run_sync(full=True, per_page=40, progress=crash_on("comments", 4))
    assert Ticket.objects.count() == 300 and 0 < Comment.objects.count() < 900

    sync.run_sync(full=True, per_page=40)  # resumes the interrupted full sync

    assert sorted(Ticket.objects.values_list("zendesk_id", flat=True)) == sorted(
        fake_zendesk.tickets)
    assert sorted(Comment.objects.values_list("zendesk_id", flat=True)) == sorted(
        fake_comment_ids(fake_zendesk))
    state = SyncState.objects.get()
    assert state.counts["tickets"] == 300 and state.counts["comments"] == 900
    assert state.full_sync_finished_at and state.full_sync_done == 300 and not state.last_error


def test_malformed_upstream_data_is_repaired_or_skipped_and_the_rest_imported(
        fake_zendesk, agent):
    no_id, bad_status, no_subject, bad_priority, scripted, huge = open_ids(fake_zendesk, 6)
    fake_zendesk.corrupt_ticket(no_id, id=MISSING)
    fake_zendesk.corrupt_ticket(bad_status, status="escalated")
    fake_zendesk.corrupt_ticket(no_subject, subject=MISSING, raw_subject=None, tags="not-a-list")
    fake_zendesk.corrupt_ticket(bad_priority, priority="extreme", description="x" * 200_000)
    fake_zendesk.upstream_update(scripted, comment={
        "html_body": '<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x()">'
                     'link</a></p>', "public": True})
    fake_zendesk.upstream_update(huge, comment={"body": "A" * 1_000_000, "public": True})
    fake_zendesk.corrupt_comment(huge * 10_000 + 1, id="oops")

    result = sync.run_sync()

    assert result.counts["tickets"] == 118  # 120 less the ticket with no id and the unknown status
    assert not Ticket.objects.filter(zendesk_id=bad_status).exists()
    assert Ticket.objects.get(zendesk_id=no_subject).subject == "(no subject)"
    fixed = Ticket.objects.get(zendesk_id=bad_priority)
    assert fixed.priority == "normal" and len(fixed.description) == 65_000
    html = Comment.objects.filter(ticket__zendesk_id=scripted).order_by("-created_at",
                                                                          "-pk")[0].body_html
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert "Hi" in html and "link" in html
    big = Comment.objects.filter(ticket__zendesk_id=huge).order_by("-created_at", "-pk")[0]
    assert len(big.body_html) < 250_000
    assert not Comment.objects.filter(zendesk_id=huge * 10_000 + 1).exists()
    # Comments of a ticket whose export item was unusable are still fetched with the ticket.
    assert result.counts["skipped"] >= 3 and result.counts["fixed"] >= 4
    problems = " | ".join(SyncState.objects.get().recent_problems)
    assert "unknown status 'escalated'" in problems and "active content removed" in problems


def test_comments_of_a_ticket_the_ticket_pass_missed_are_imported_with_it(fake_zendesk, agent):
    sync.run_sync()
    tid = open_ids(fake_zendesk, 1)[0]
    Ticket.objects.filter(zendesk_id=tid).delete()
    ZendeskUser.objects.all().delete()  # nor do we know its requester any more
    state = SyncState.objects.get()
    state.cursors["ticket_events"] = 0
    state.save()

    sync.run_sync()

    ticket = Ticket.objects.get(zendesk_id=tid)
    requester = fake_zendesk.users[fake_zendesk.get_ticket(tid)["requester_id"]]
    assert ticket.comments.count() == 3 and ticket.requester_name == requester["name"]
    assert any(r.path.endswith("/tickets/show_many") for r in fake_zendesk.request_log)
    assert any(r.path.endswith("/users/show_many") for r in fake_zendesk.request_log)


class RecordingStore:
    """The budget's own store (a file, or Redis in CI's second run), keeping the time of
    every slot it grants, per window."""

    def __init__(self, store) -> None:
        self.store = store
        self.granted: list[tuple[str, float]] = []

    def take(self, windows) -> float:
        wait = self.store.take(windows)
        if wait == 0:
            now = time.time()
            self.granted += [(w.name, now) for w in windows]
        return wait

    def block(self, seconds: float) -> None:
        self.store.block(seconds)


def most_in_any_span(times: list[float], seconds: float) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_export_stays_within_the_incremental_budget(fake_zendesk, agent, settings):
    fake_zendesk.seed(tickets=40, comments_per_ticket=1)
    fake_zendesk.rate_limit, fake_zendesk.incremental_rate_limit = 100, 3
    fake_zendesk.rate_limit_window = settings.ZENDESK_RATE_WINDOW_SECONDS = 1.0
    settings.ZENDESK_RATE_LIMIT_PER_MINUTE = 100
    settings.ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE = 3
    budget = conf.get_client().rate_budget  # the one this thread's sync will use
    budget.store = store = RecordingStore(budget.store)

    sync.run_sync(full=True, per_page=10)

    assert Ticket.objects.count() == 40 and Comment.objects.count() == 40
    # Judged on the times the budget stamped when it let each request go, not on when the
    # fake logged it: that comes after network, queueing and the fake's own work, whose
    # delays under load vary by more than the budget's margin and bunch requests up.
    granted = [at for name, at in store.granted if name == "incremental"]
    exported = [r for r in fake_zendesk.request_log if "/incremental/" in r.path]
    assert len(granted) == len(exported) > 3  # every export request went through the budget
    assert most_in_any_span(granted, 1.0) <= 3


def test_one_run_at_a_time_and_a_second_request_makes_it_run_again(fake_zendesk, agent):
    token = sync.take_lease()
    assert token and sync.run_sync().ran is False
    assert SyncState.objects.get().rerun_requested
    assert sync.run_sync(force=True).ran  # a foreground run may take over from a dead one


def test_sync_without_zendesk_configured_says_so_and_leaves_no_lease(fake_zendesk, agent,
                                                                     settings):
    url, settings.ZENDESK_URL = settings.ZENDESK_URL, ""
    with pytest.raises(CommandError) as refused:
        call_command("zendesk_sync", "--verbosity", "0")
    assert str(refused.value) == "Zendesk is not configured: set ZENDESK_URL and credentials"
    with pytest.raises(PermanentError, match="not configured"):
        sync.run_sync()
    assert not SyncState.objects.filter(system="zendesk").exclude(lease_token="").exists()

    settings.ZENDESK_URL = url
    assert sync.run_sync().ran  # the next scheduled run is not locked out


def test_management_command_runs_a_full_sync_with_progress(fake_zendesk, agent, capsys):
    call_command("zendesk_sync", "--full")
    out = capsys.readouterr()
    assert "Zendesk sync done" in out.out and "tickets 120" in out.out
    assert Ticket.objects.count() == 120


def test_every_zendesk_owner_is_shown_with_or_without_a_login(fake_zendesk, agent):
    """Tickets assigned in Zendesk to an agent with no EduDesk login are theirs, by name."""
    sync.run_sync()
    assigned = {tid: t["assignee_id"] for tid in fake_zendesk.tickets
                if (t := fake_zendesk.get_ticket(tid))["assignee_id"]}
    assert assigned, "the fake seeds assigned tickets"
    names = {u["id"]: u["name"] for u in fake_zendesk.users.values()}
    local = {t.zendesk_id: t for t in Ticket.objects.filter(zendesk_id__in=assigned)
             .select_related("assignee")}
    for tid, owner in assigned.items():
        ticket = local[tid]
        assert ticket.owner_name, f"ticket {tid} assigned to {owner} shows no owner"
        if ticket.assignee_id is None:
            assert ticket.assignee_name == names[owner]
    unowned = Ticket.objects.exclude(zendesk_id__in=assigned)
    assert all(t.owner_name == "" for t in unowned)


def test_the_customers_last_public_comment_is_what_the_ticket_waits_on(fake_zendesk, agent):
    sync.run_sync(full=True)

    expected = {}
    for tid in fake_zendesk.tickets:
        said = [c["created_at"] for c in fake_zendesk.get_comments(tid)
                if c["public"] and fake_zendesk.users[c["author_id"]]["role"] == "end-user"]
        expected[tid] = max(said) if said else None
    got = {zid: at and at.strftime("%Y-%m-%dT%H:%M:%SZ")
           for zid, at in Ticket.objects.values_list("zendesk_id", "customer_updated_at")}
    assert got == expected
    last = {tid: max(c["created_at"] for c in fake_zendesk.get_comments(tid))
            for tid in fake_zendesk.tickets}
    assert any(last[tid] != at for tid, at in expected.items())  # an agent wrote last somewhere
