from django.contrib.admin.apps import AdminConfig


class StaybookAdminConfig(AdminConfig):
    default_site = "config.admin_site.StaybookAdminSite"
