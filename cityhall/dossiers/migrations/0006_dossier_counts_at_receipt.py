"""The dossier's parts as received, and when every part was first digitised.

The index's roll-ups count a dossier's parts at receipt; `recompute` (verify, rebuild)
counted them from the component rows as they are now, which a supplement changes. The
dossiers held before this migration get the closest values known: their rows now, and
for `digitised_at` the moment their last part was digitised (what `recompute` used).
"""

from django.db import migrations, models

# One pass over the components, grouped, joined to the dossiers (a correlated subquery per
# dossier and column took minutes at 5 million dossiers). A dossier without components
# keeps 0, 0 and no moment, which is what the counts of no rows give.
BACKFILL = """
UPDATE dossiers_dossier SET
  components_at_receipt = parts.n,
  by_data_at_receipt = parts.by_data,
  digitised_at = parts.whole_at
FROM (
  SELECT dossier_id, count(*) AS n,
         count(*) FILTER (WHERE data_source <> '') AS by_data,
         CASE WHEN count(*) = count(digitised_at) THEN max(digitised_at) END AS whole_at
  FROM dossiers_dossiercomponent GROUP BY dossier_id
) AS parts
WHERE dossiers_dossier.id = parts.dossier_id
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
