"""A partial index of the open cases by deadline, for the indicators' live counts."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0004_report_routing_reasons'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='report',
            index=models.Index(condition=models.Q(('state__in', ['received', 'assigned', 'in_progress'])), fields=['due_at', 'unit'], name='report_open_due'),
        ),
    ]
