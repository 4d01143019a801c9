"""The staff roles may take bookings at their hotels (the booking desk) and see their rooms and the offline payments
recorded there; managers may also sell a room at another price, with a reason."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGER = ["add_booking", "view_roomline", "view_offlinepayment", "override_booking_price"]
FRONT_DESK = ["add_booking", "view_roomline", "view_offlinepayment"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Hotel manager", MANAGER), ("Front desk", FRONT_DESK)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="bookings", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Hotel manager", "Front desk"]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="bookings", codename__in=MANAGER))


class Migration(migrations.Migration):
    dependencies = [("bookings", "0011_offline_payments"), ("hotels", "0006_rate_plan_roles")]

    operations = [migrations.RunPython(grant, revoke)]
