"""The four roles as groups, and the handbook's teams and regions."""

from django.db import migrations

ROLES = ("agent", "ld_agent", "manager", "admin")
TEAMS = [("Education Services", "education-services"), ("L&D", "ld"),
         ("Field Enablement", "field-enablement")]
REGIONS = [("AMER", "Americas"), ("EMEA", "Europe, Middle East and Africa"),
           ("APAC", "Asia Pacific")]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    Team = apps.get_model("people", "Team")
    for name, slug in TEAMS:
        Team.objects.get_or_create(slug=slug, defaults={"name": name})
    Region = apps.get_model("people", "Region")
    for code, name in REGIONS:
        Region.objects.get_or_create(code=code, defaults={"name": name})


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, delete_roles)]
