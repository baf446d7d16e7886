from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "入库证明"
    default_auto_field = "django.db.models.BigAutoField"
