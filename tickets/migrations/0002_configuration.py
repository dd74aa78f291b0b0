"""The handbook's configuration: forms, the four views, macros, routing."""

from django.db import migrations

FORMS = ["Professional Services", "Free Training"]
UNSOLVED = ["new", "open", "pending", "hold"]
MACROS = [
    {"title": "General > Forms > Incorrect Form Used", "set_status": "solved",
     "add_tags": "incorrect_form", "comment":
     "Hi {{ticket.requester.first_name}},\n\nThank you for reaching out. This form is for "
     "Education Services (training and certification) questions only. For questions about "
     "GitLab the product, licensing or sales, please open a request with the matching form on "
     "the support portal so the right team can help you.\n\nBest regards,\n"
     "{{current_user.first_name}}"},
    {"title": "Certification > Badge not received", "set_status": "pending",
     "add_tags": "badge_missing", "comment":
     "Hi {{ticket.requester.first_name}},\n\nThanks for letting us know. We are checking your "
     "certification result and will issue your badge shortly; it arrives from Credly, so please "
     "also check your spam folder.\n\n{{current_user.first_name}}"},
    {"title": "Certification > Change badge email", "set_status": "pending",
     "add_tags": "badge_email_change", "comment":
     "Hi {{ticket.requester.first_name}},\n\nWe can move your badge to a new address. Please "
     "reply with the email you would like it issued to.\n\n{{current_user.first_name}}"},
    {"title": "Training > Private training scheduling", "set_status": "pending",
     "add_tags": "private_training", "comment":
     "Hi {{ticket.requester.first_name}},\n\nThank you for your purchase. Please reply with "
     "three preferred dates and your time zone and we will confirm the session.\n\n"
     "{{current_user.first_name}}"},
    {"title": "Internal > Needs Education Services review", "comment_is_public": False,
     "add_tags": "needs_review", "comment": "Flagged for review by {{current_user.name}}."},
]


def configure(apps, schema_editor):
    Team = apps.get_model("people", "Team")
    TicketForm = apps.get_model("tickets", "TicketForm")
    View = apps.get_model("tickets", "View")
    Macro = apps.get_model("tickets", "Macro")
    RoutingRule = apps.get_model("tickets", "RoutingRule")

    teams = {team.slug: team for team in Team.objects.all()}
    forms = {name: TicketForm.objects.get_or_create(name=name)[0] for name in FORMS}
    es, ld = teams["education-services"], teams["ld"]
    views = [
        dict(slug="my-assigned", name="My Assigned Tickets", position=0, assignee="me",
             statuses=UNSOLVED, sort="-updated_at"),
        dict(slug="triage", name="Professional Services - Triage", position=10, team=es,
             form=forms["Professional Services"], statuses=["new", "open"],
             assignee="unassigned", sort="created_at"),
        dict(slug="paid", name="Professional Services - Paid", position=20, team=es,
             form=forms["Professional Services"], statuses=UNSOLVED, tags_all=["paid"],
             sort="-updated_at"),
        dict(slug="free", name="Professional Services - Free", position=30, team=ld,
             form=forms["Free Training"], statuses=UNSOLVED, sort="-updated_at"),
    ]
    for fields in views:
        slug = fields.pop("slug")
        view, _ = View.objects.get_or_create(slug=slug, defaults={**fields, "is_system": True})
        if slug == "triage":
            view.shared_with.add(ld)  # the handbook: Triage is worked by L&D and Education Services
    for macro in MACROS:
        Macro.objects.get_or_create(title=macro["title"], defaults=macro)
    RoutingRule.objects.get_or_create(
        name="Sales training or certification -> Field Enablement",
        defaults={"position": 10, "topic": "sales",
                  "tags_any": "sales_training sales_certification",
                  "delegate_team": teams["field-enablement"],
                  "slack_channel": "#field-enablement-team"})
    RoutingRule.objects.get_or_create(
        name="L&D trainings (Remote Foundations, TeamOps) -> L&D delegates",
        defaults={"position": 20, "topic": "ld_training",
                  "tags_any": "remote_foundations teamops ld_training", "delegate_team": ld})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("people", "0002_roles_teams_regions")]
    operations = [migrations.RunPython(configure, migrations.RunPython.noop)]
