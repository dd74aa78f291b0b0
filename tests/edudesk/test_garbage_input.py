"""Generated garbage in every query parameter and form field of every page and endpoint:
the answer may be a refusal, never a 5xx. Routes come from the role matrix, so a new route
is covered the day it is added."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.edudesk.test_role_matrix import MATRIX
from tests.factories import MacroFactory, RoutingRuleFactory, TicketFactory, team

# Every name a page, form or endpoint reads; sending all of them everywhere also covers
# fields a route does not expect.
FIELDS = ["q", "cursor", "page_size", "status", "region", "unassigned", "sort", "view",
          "macro", "macro_id", "rule", "rule_id", "delegate_user", "delegate_user_id",
          "delegate_team", "delegate_team_id", "note", "body", "kind", "submit_as", "public",
          "replying", "assignee_id", "username", "password", "next"]
# Skipped: the admin (Django's own forms), logout (no input), the docs (static pages).
SKIPPED = {"admin:index", "logout", "api-docs", "schema"}

garbage = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["²", "١٢٣", "9" * 40, "-1", "1.5", "1e309", "NaN", "Infinity", "null",
                     "[]", "{}", "true", "\x00", "%00", "' OR 1=1 --", "<script>x</script>",
                     "eyJhIjoxfQ", "WzEsMl0", "W0luZmluaXR5LDEsZmFsc2Vd", " ", "#", "0"]),
)


@pytest.fixture
def world(db, agent):
    ticket = TicketFactory()
    MacroFactory()
    RoutingRuleFactory(topic="sales", delegate_team=team("field-enablement"))
    return ticket


@pytest.mark.parametrize("name", sorted(set(MATRIX) - SKIPPED))
def test_no_route_answers_garbage_with_a_5xx(name, client, agent, world):
    method, template, _ = MATRIX[name]
    path = template.replace("{t}", str(world.pk))
    client.force_login(agent)

    @settings(max_examples=15, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(values=st.fixed_dictionaries({field: garbage for field in FIELDS}))
    def probe(values):
        if method == "get":
            response = client.get(path, values)
        else:
            response = client.post(path, values)
        assert response.status_code < 500, (name, values, response.content[:500])
        if path.startswith("/api/") and response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), (name, values)

    probe()
