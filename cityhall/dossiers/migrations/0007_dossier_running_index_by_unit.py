"""The running dossiers' partial index by unit first: a ward's "in processing now" count
reads its own entries instead of scanning the whole city's."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0006_dossier_counts_at_receipt'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_running_due',
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(condition=models.Q(('clock_paused_at__isnull', True), ('closed_at__isnull', True)), fields=['unit', 'due_at'], name='dossier_running_unit_due'),
        ),
    ]
