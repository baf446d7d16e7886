from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与单位"

    def ready(self):
        # Connects the receivers that note when a session logged in (for its 12-hour limit)
        # and count failed logins (for the account's and the address's ceilings).
        from accounts import lockout, middleware  # noqa: F401

        # The keys of the personal numbers it stores encrypted (the ID number among them).
        from portal import checks  # noqa: F401
