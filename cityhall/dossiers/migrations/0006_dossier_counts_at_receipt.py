"""The dossier's parts as received, and when every part was first digitised.

The index's roll-ups count a dossier's parts at receipt; `recompute` (verify, rebuild)
counted them from the component rows as they are now, which a supplement changes. The
dossiers held before this migration get the closest values known: their rows now, and
for `digitised_at` the moment their last part was digitised (what `recompute` used).
"""

from django.db import migrations, models

BACKFILL = """
UPDATE dossiers_dossier SET
  components_at_receipt = (
    SELECT count(*) FROM dossiers_dossiercomponent c WHERE c.dossier_id = dossiers_dossier.id),
  by_data_at_receipt = (
    SELECT count(*) FROM dossiers_dossiercomponent c
    WHERE c.dossier_id = dossiers_dossier.id AND c.data_source <> ''),
  digitised_at = (
    SELECT CASE WHEN count(*) = count(c.digitised_at) THEN max(c.digitised_at) END
    FROM dossiers_dossiercomponent c WHERE c.dossier_id = dossiers_dossier.id)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0005_merge_digitised_running_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='dossier',
            name='components_at_receipt',
            field=models.PositiveSmallIntegerField(default=0,
                                                   verbose_name='components at receipt'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='dossier',
            name='by_data_at_receipt',
            field=models.PositiveSmallIntegerField(
                default=0, verbose_name='components replaced by data at receipt'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='dossier',
            name='digitised_at',
            field=models.DateTimeField(blank=True, null=True,
                                       verbose_name='every part digitised at'),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
