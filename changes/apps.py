from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "信息变更"

    def ready(self):
        from changes import receivers  # noqa: F401  (an expert leaving 审核通过 closes an open change)
