"""Startup checks of the keys for personal numbers (portal.crypto): a placeholder, a key that
is no Fernet key, or a former HMAC key that cannot be the former one stops `manage.py`
(migrate, the workers, `check --deploy`) at once, instead of a 500 at the first registration
that stores an ID number, or a ban that silently stops matching."""

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
                    "更换时须按 docs/security.md 的密钥轮换步骤进行。"
                ),
                id="portal.E002",
            )
        )
    errors += _old_hmac_key_errors(hmac_key)
    return errors


def _old_hmac_key_errors(hmac_key: str) -> list[Error]:
    """FIELD_HMAC_OLD_KEYS lists the former FIELD_HMAC_KEY exactly as it was: a placeholder, a
    copy of the current key (the rotation was not made) or a key with spaces around it (`A, B`
    in .env: a hash under " B" matches nothing) would quietly stop bans and the
    one-account-per-ID-number rule from matching the rows made under the real former key."""
    errors = []
    for position, key in enumerate(settings.FIELD_HMAC_OLD_KEYS, start=1):
        if not key.strip() or key.strip().lower().startswith(PLACEHOLDERS):
            problem = "为空或是 .env.example 中的占位值"
        elif key != key.strip():
            problem = "前后有空格（逗号前后不要加空格）"
        elif key.strip() == hmac_key:
            problem = "与当前的 FIELD_HMAC_KEY 相同"
        else:
            continue
        errors.append(
            Error(
                f"FIELD_HMAC_OLD_KEYS 的第{position}个密钥{problem}。",
                hint=(
                    "这里只应填写更换前的 FIELD_HMAC_KEY 原值，多个用英文逗号分隔；"
                    "见 docs/security.md 的密钥轮换。"
                ),
                id="portal.E003",
            )
        )
    return errors
