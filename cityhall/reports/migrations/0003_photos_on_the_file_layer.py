"""Report photos on the core file layer: `image` becomes `file`, new columns, SHA-256 filled."""

import hashlib

import django.utils.timezone
from django.db import migrations, models

import cityhall.core.files.models


def fill_digests(apps, schema_editor):
    """Every existing photo is ready; its received digest is its stored one, computed if empty."""
    photo_model = apps.get_model("reports", "ReportPhoto")
    for photo in photo_model.objects.filter(sha256="").iterator():
        digest = hashlib.sha256()
        try:
            with photo.file.open("rb") as stored:
                for chunk in stored.chunks():
                    digest.update(chunk)
        except OSError:
            continue  # a missing file: nothing to fill from; the row keeps its empty digest
        photo_model.objects.filter(pk=photo.pk).update(sha256=digest.hexdigest())
    photo_model.objects.filter(received_sha256="").update(received_sha256=models.F("sha256"))


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_report_indexes'),
    ]

    operations = [
        migrations.RenameField(model_name='reportphoto', old_name='image', new_name='file'),
        migrations.AlterField(
            model_name='reportphoto',
            name='file',
            field=models.FileField(max_length=255, upload_to=cityhall.core.files.models.upload_path, verbose_name='file'),
        ),
        migrations.AddField(
            model_name='reportphoto',
            name='original_name',
            field=models.CharField(blank=True, max_length=255, verbose_name='original name'),
        ),
        migrations.AddField(
            model_name='reportphoto',
            name='received_sha256',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='reportphoto',
            name='state',
            field=models.CharField(choices=[('ready', 'ready'), ('pending', 'being cleaned'), ('failed', 'could not be read')], default='ready', max_length=8),
        ),
        migrations.AlterField(
            model_name='reportphoto',
            name='content_type',
            field=models.CharField(max_length=100, verbose_name='content type'),
        ),
        migrations.AlterField(
            model_name='reportphoto',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='reportphoto',
            name='sha256',
            field=models.CharField(max_length=64, verbose_name='SHA-256'),
        ),
        migrations.AlterField(
            model_name='reportphoto',
            name='size',
            field=models.PositiveBigIntegerField(verbose_name='size in bytes'),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
    ]
