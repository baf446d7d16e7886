from django.apps import AppConfig


class DrawsConfig(AppConfig):
    name = "draws"
    verbose_name = "专家抽取"
    default_auto_field = "django.db.models.BigAutoField"
