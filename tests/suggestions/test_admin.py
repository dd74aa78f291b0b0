"""The admin lists models and feedback without their bytes, and changes neither."""


def test_admin_lists_models_and_feedback(client, admin_user, trained):
    client.force_login(admin_user)
    page = client.get("/admin/suggestions/suggestionmodel/")
    assert page.status_code == 200 and b"macro" in page.content
    assert client.get(f"/admin/suggestions/suggestionmodel/{trained.pk}/change/").status_code == 200
    assert client.get("/admin/suggestions/feedback/").status_code == 200
    assert client.get("/admin/suggestions/feedback/add/").status_code == 403


def test_agents_do_not_reach_it(agent_client, trained):
    assert agent_client.get("/admin/suggestions/suggestionmodel/").status_code == 302
