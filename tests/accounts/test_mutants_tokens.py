"""What a token's owner or an admin would notice if the API token service went subtly wrong.

Each test here kills mutants of accounts/tokens.py that the rest of the suite let live
(python -m mutation accounts/tokens.py): someone else's tokens revoked along with the
owner's, a revoke's reason or author overwritten, a stale copy revoking twice, a junk key
costing a query, every token marked used when one is.
"""

import pytest

from accounts import tokens
from accounts.models import ApiToken
from people.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_issued_token_is_shown_once_and_recorded_with_its_prefix_and_name(agent, admin_user):
    issued = tokens.issue_token(user=agent, actor=admin_user, name="  " + "n" * 150,
                                ip="203.0.113.9")

    assert len(issued.key) == 44 and issued.key.startswith("edk_")  # 30 random bytes
    token = ApiToken.objects.get()
    assert (token.key_prefix, token.name) == (issued.key[:10], "n" * 100)
    line = AuditEvent.objects.get(verb="token_issued")
    assert line.actor == admin_user
    assert line.changes == {"token": token.pk, "name": "n" * 100, "ip": "203.0.113.9"}
    assert line.summary.startswith(f"API token {issued.key[:10]}… issued to ada, expires ")


def test_revoking_a_stale_copy_of_a_revoked_token_changes_nothing(agent, admin_user):
    token = tokens.issue_token(user=agent, actor=agent).token
    stale = ApiToken.objects.get(pk=token.pk)
    tokens.revoke_token(token=token, actor=agent, reason="lost laptop")

    again = tokens.revoke_token(token=stale, actor=admin_user, reason="cleanup")

    assert (again.revoke_reason, again.revoked_by) == ("lost laptop", agent)
    [line] = AuditEvent.objects.filter(verb="token_revoked")
    assert line.changes == {"token": token.pk} and line.actor == agent
    assert line.summary == f"API token {token.key_prefix}… revoked: lost laptop"


def test_revoking_a_users_tokens_leaves_others_and_earlier_revokes_alone(agent, other_agent,
                                                                         admin_user):
    earlier = tokens.issue_token(user=agent, actor=agent).token
    tokens.revoke_token(token=earlier, actor=agent, reason="lost laptop")
    tokens.issue_token(user=agent, actor=agent)
    tokens.issue_token(user=agent, actor=agent)
    colleague = tokens.issue_token(user=other_agent, actor=other_agent)

    assert tokens.revoke_tokens_of(user=agent, reason="deactivated", actor=admin_user) == 2

    rows = ApiToken.objects.filter(user=agent).order_by("pk")
    assert [(t.revoke_reason, t.revoked_by) for t in rows] == [
        ("lost laptop", agent), ("deactivated", admin_user), ("deactivated", admin_user)]
    assert tokens.token_for_key(colleague.key) is not None
    line = AuditEvent.objects.filter(verb="token_revoked").order_by("pk").last()
    assert line.changes == {"count": 2}


def test_a_junk_key_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert tokens.token_for_key("Bearer something") is None
        assert tokens.token_for_key("edk_" + "x" * 97) is None


def test_use_is_noted_on_the_token_used_only(agent, other_agent):
    mine = tokens.issue_token(user=agent, actor=agent)
    theirs = tokens.issue_token(user=other_agent, actor=other_agent)

    assert tokens.token_for_key(mine.key).pk == mine.token.pk

    used = dict(ApiToken.objects.values_list("pk", "last_used_at"))
    assert used[mine.token.pk] is not None and used[theirs.token.pk] is None
