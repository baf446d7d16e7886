from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与单位"

    def ready(self):
        # Connects the receiver that notes when a session logged in (for its 12-hour limit).
        from accounts import middleware  # noqa: F401
