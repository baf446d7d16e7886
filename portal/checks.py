"""Startup checks of the keys for personal numbers (portal.crypto): a placeholder or a key that
is no Fernet key stops `manage.py` (migrate, the workers, `check --deploy`) at once, instead of
a 500 at the first registration that stores an ID number."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register

# How .env.example's placeholders begin.
PLACEHOLDERS = ("replace-with", "change-me")
MAKE_FERNET_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
MAKE_HMAC_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


@register()
def check_field_keys(app_configs, **kwargs):
    errors = []
    for position, key in enumerate(settings.FIELD_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                Error(
                    f"FIELD_ENCRYPTION_KEYS 的第{position}个密钥不是有效的 Fernet 密钥"
                    "（应为32字节、URL安全的Base64编码）。",
                    hint=f"用以下命令生成：{MAKE_FERNET_KEY}",
                    id="portal.E001",
                )
            )
    hmac_key = settings.FIELD_HMAC_KEY.strip()
    if not hmac_key or hmac_key.lower().startswith(PLACEHOLDERS):
        errors.append(
            Error(
                "FIELD_HMAC_KEY 未设置或仍是 .env.example 中的占位值。",
                hint=(
                    f"用以下命令生成：{MAKE_HMAC_KEY}。"
                    "一经使用不可更换（见 docs/security.md 的密钥轮换）。"
                ),
                id="portal.E002",
            )
        )
    return errors
