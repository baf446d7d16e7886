from django.apps import AppConfig


class NoticeConfig(AppConfig):
    name = "notice"
    verbose_name = "专家入库公示"

    def ready(self):
        from notice import receivers  # noqa: F401  (an approval or a reversal renews the list)
