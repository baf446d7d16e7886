from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = "专家劳务费"
    default_auto_field = "django.db.models.BigAutoField"
