"""The staff roles' permissions on rate plans, their nights and child age bands: managers edit them, the front desk
sees the plans (a guest asks what "Flexible" means)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGER = [
    "view_rateplan",
    "add_rateplan",
    "change_rateplan",
    "delete_rateplan",
    "view_rateplannight",
    "add_rateplannight",
    "change_rateplannight",
    "delete_rateplannight",
    "view_childageband",
    "add_childageband",
    "change_childageband",
    "delete_childageband",
]
FRONT_DESK = ["view_rateplan", "view_childageband"]


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


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Hotel manager", "Front desk"]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="hotels", codename__in=MANAGER))


class Migration(migrations.Migration):
    dependencies = [("hotels", "0005_plan_nights_span"), ("hotels", "0003_staff_roles")]

    operations = [migrations.RunPython(grant, revoke)]
