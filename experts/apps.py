from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "experts"
    verbose_name = "专家管理"

    def ready(self):
        from experts import (
            receivers,  # noqa: F401  (accounts' signals)
            selectors,  # noqa: F401  (its signal receivers)
        )
