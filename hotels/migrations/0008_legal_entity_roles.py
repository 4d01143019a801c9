"""Managers edit their hotels' legal entities (what invoices print), the front desk sees them; every existing hotel
gets one made from its own name and address, for staff to complete."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGER = ["view_legalentity", "change_legalentity"]
FRONT_DESK = ["view_legalentity"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Hotel manager", MANAGER), ("Front desk", FRONT_DESK)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="hotels", codename__in=codenames))
    Group.objects.get_or_create(name="Hotel manager")[0].permissions.add(
        *Permission.objects.filter(
            content_type__app_label="payments", codename__in=["view_invoice", "view_ledgerentry", "view_billingdetails"]
        )
    )


def entities(apps, schema_editor):
    Hotel = apps.get_model("hotels", "Hotel")
    LegalEntity = apps.get_model("hotels", "LegalEntity")
    LegalEntity.objects.bulk_create(
        [
            LegalEntity(
                hotel=hotel,
                company_name=hotel.name,
                address="\n".join(part for part in (hotel.address, hotel.city, hotel.country) if part),
            )
            for hotel in Hotel.objects.filter(legal_entity__isnull=True)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("hotels", "0007_legal_entity_tax_components"), ("payments", "0005_ledger_invoices")]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(entities, migrations.RunPython.noop),
    ]
