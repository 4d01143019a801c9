"""The two staff roles as Django groups with their permissions (scoping to hotels is done by HotelStaff)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGER = {
    "hotels": ["view_hotel", "change_hotel", "view_roomtype", "add_roomtype", "change_roomtype",
               "view_nightinventory", "add_nightinventory", "change_nightinventory", "view_hoteltax",
               "add_hoteltax", "change_hoteltax", "delete_hoteltax", "view_hotelphoto", "add_hotelphoto",
               "change_hotelphoto", "delete_hotelphoto", "view_roomtypephoto", "add_roomtypephoto",
               "change_roomtypephoto", "delete_roomtypephoto", "view_amenity", "view_hotelstaff", "add_hotelstaff",
               "change_hotelstaff", "delete_hotelstaff"],
    "bookings": ["view_booking", "change_booking", "view_booking_prices", "refund_booking", "cancel_booking",
                 "mark_booking", "view_bookingstatuschange"],
    "payments": ["view_payment", "view_refund", "view_receipt"],
    "notifications": ["view_outboundemail"],
}
FRONT_DESK = {
    "hotels": ["view_hotel", "view_roomtype", "view_amenity"],
    "bookings": ["view_booking", "change_booking", "mark_booking", "view_bookingstatuschange"],
    "notifications": ["view_outboundemail"],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in (("Hotel manager", MANAGER), ("Front desk", FRONT_DESK)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Hotel manager", "Front desk"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hotels", "0002_historicalhotel_historicalhoteltax_and_more"),
        ("bookings", "0004_staff_permissions"),
        ("payments", "0002_payment_redirect_url"),
        ("notifications", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
