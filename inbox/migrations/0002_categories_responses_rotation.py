"""The team's categories with starting rules, its prepared responses and an empty rotation."""

from django.db import migrations

SIGN_OFF = "\n\nBest,\n{{agent.first_name}}\nGitLab Education Services"

# (name, slug, position, rule phrases); rules are tried in position order.
CATEGORIES = [
    ("Demo cloud", "demo-cloud", 10, ["demo cloud", "sandbox", "lab environment",
                                      "provisioning", "credits"]),
    ("Certification", "certification", 20, ["badge", "certification", "certificate",
                                            "certified", "exam", "recertify", "retake",
                                            "credly", "assessment"]),
    ("Platform support", "platform-support", 30, ["log in", "login", "sign in", "password",
                                                  "invalid credentials", "progress",
                                                  "enrollment", "enrolment", "account"]),
    ("Training", "training", 40, ["course", "training", "module", "lab", "lesson",
                                  "instructor"]),
    ("Other", "other", 90, []),
]

RESPONSES = [
    ("platform-support", "Can't sign in after a password reset",
     "Hi {{requester.first_name}},\n\nSorry you're having trouble signing in to Level Up. "
     "We've cleared an old session on your account: please sign in again from a private "
     "browser window, using \"Forgot password\" on the sign-in page if you need a new "
     "password.\n\nIf you still see \"invalid credentials\", reply with the email address "
     "you registered with and we'll look into it."),
    ("platform-support", "Course progress went back to 0%",
     "Hi {{requester.first_name}},\n\nCourse progress is kept with your account, not your "
     "browser, so please check that you are signed in with the same email address as "
     "before. If you are, tell us the course name and we'll restore your progress."),
    ("platform-support", "Enrollment link expired",
     "Hi {{requester.first_name}},\n\nEnrollment links expire after 30 days. We've sent a new "
     "one to {{requester.email}}; it is valid for another 30 days."),
    ("training", "Lab step doesn't match your instance",
     "Hi {{requester.first_name}},\n\nThe labs follow the latest GitLab release, so a setting "
     "can move between versions. Could you tell us which GitLab version your instance runs "
     "(Help > About)? We'll send the matching steps."),
    ("training", "Scheduling a private training",
     "Hi {{requester.first_name}},\n\nThanks for booking a private training session. Please "
     "send us three dates that suit your team and the number of participants, and we'll "
     "confirm an instructor within two business days."),
    ("certification", "Passed the exam, no badge yet",
     "Hi {{requester.first_name}},\n\nCongratulations on passing! Badges are issued through "
     "Credly, usually within a day. Please look for an email from Credly (admin@credly.com), "
     "including your spam folder. We've checked your result and sent the badge again to "
     "{{requester.email}}."),
    ("certification", "Badge sent to the wrong email",
     "Hi {{requester.first_name}},\n\nWe can move your badge to another address. Please reply "
     "with the address you'd like it sent to. If you have not accepted the badge yet we can "
     "replace it; if you have, we revoke it and issue a new one to the new address."),
    ("certification", "Retaking the assessment",
     "Hi {{requester.first_name}},\n\nYou can retake the hands-on assessment after 14 days. "
     "The same enrollment covers one retake; your previous work is not carried over."),
    ("certification", "Expired badge",
     "Hi {{requester.first_name}},\n\nCertifications are valid for two years. To renew yours, "
     "complete the current version of the exam; a new badge is issued when you pass."),
    ("demo-cloud", "Lab environment stuck provisioning",
     "Hi {{requester.first_name}},\n\nSorry about the wait. We've restarted the provisioning "
     "of your lab environment; it should be ready within 15 minutes. If it still says "
     "\"provisioning\" after that, reply here and we'll set up a fresh one."),
    ("demo-cloud", "Out of demo cloud credits",
     "Hi {{requester.first_name}},\n\nWe've added credits to your sandbox so you can finish "
     "the lab. Remember to stop the environment when you take a break: it uses credits "
     "while it runs."),
    ("other", "Not an Education Services question",
     "Hi {{requester.first_name}},\n\nThis inbox handles Level Up training and certification. "
     "For pricing and licensing please contact GitLab Sales, and for product issues open a "
     "request with GitLab Support; they will be able to help you."),
    (None, "Closing: glad it's sorted",
     "Hi {{requester.first_name}},\n\nGlad this is sorted. We'll close this request; just "
     "reply if anything else comes up."),
]


def seed(apps, schema_editor):
    Category = apps.get_model("inbox", "Category")
    CategoryRule = apps.get_model("inbox", "CategoryRule")
    PreparedResponse = apps.get_model("inbox", "PreparedResponse")
    Rotation = apps.get_model("inbox", "Rotation")
    Team = apps.get_model("people", "Team")
    by_slug = {}
    for name, slug, position, phrases in CATEGORIES:
        category, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name,
                                                                          "position": position})
        by_slug[slug] = category
        if phrases and not CategoryRule.objects.filter(category=category).exists():
            CategoryRule.objects.create(category=category, position=position,
                                        phrases="\n".join(phrases))
    for n, (slug, title, body) in enumerate(RESPONSES):
        PreparedResponse.objects.get_or_create(title=title, defaults={
            "category": by_slug.get(slug), "body": body + SIGN_OFF, "position": 10 * (n + 1)})
    Rotation.objects.get_or_create(name="LevelUp inbox", defaults={
        "team": Team.objects.filter(slug="education-services").first(),
        "time_zone": "America/Denver"})


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial"), ("people", "0002_roles_teams_regions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
