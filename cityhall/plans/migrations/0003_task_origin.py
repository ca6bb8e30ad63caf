# Tasks remember what they were given from (plans/origins.py).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgunits', '0003_unit_successions_by_hand'),
        ('plans', '0002_targets'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='origin_kind',
            field=models.CharField(choices=[('none', 'nothing in particular'), ('request', "a resident's report"), ('document', 'an official document'), ('indicator', 'a number on the dashboard'), ('dossier', 'a dossier')], db_default='none', default='none', max_length=16, verbose_name='given from'),
        ),
        migrations.AddField(
            model_name='task',
            name='origin_label',
            field=models.CharField(blank=True, db_default='', default='', max_length=300, verbose_name='origin'),
        ),
        migrations.AddField(
            model_name='task',
            name='origin_ref',
            field=models.CharField(blank=True, db_default='', default='', max_length=64, verbose_name="origin's reference"),
        ),
        migrations.AddField(
            model_name='task',
            name='origin_url',
            field=models.CharField(blank=True, db_default='', default='', max_length=500, verbose_name="origin's page"),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['origin_kind', 'origin_ref'], name='task_origin'),
        ),
    ]
