"""A partial index of the open cases by deadline, for the indicators' live counts."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0003_applicant_result_rating'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(condition=models.Q(('clock_paused_at__isnull', True), ('closed_at__isnull', True)), fields=['due_at', 'unit'], name='dossier_running_due'),
        ),
    ]
