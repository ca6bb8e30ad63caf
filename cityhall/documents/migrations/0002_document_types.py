"""Seed the document types of Decree 30/2020 (Art. 7, Appendix III); a rerun updates them."""

from django.db import migrations


def seed(apps, schema_editor):
    from cityhall.documents.doctypes import DECREE_30_TYPES

    DocumentType = apps.get_model("documents", "DocumentType")
    for order, row in enumerate(DECREE_30_TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=row.code, defaults={"name": row.name, "abbreviation": row.abbreviation,
                                     "order": order})


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
