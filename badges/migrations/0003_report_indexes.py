# Indexes the reports app reads badges by: a month's badges counted from the index alone,
# and the badges changed since a time.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('badges', '0002_bulk_issue'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='badge',
            index=models.Index(fields=['issued_at', 'template', 'state', 'id'], name='badge_issued_month'),
        ),
        migrations.AddIndex(
            model_name='badge',
            index=models.Index(fields=['updated_at'], name='badge_changed'),
        ),
    ]
