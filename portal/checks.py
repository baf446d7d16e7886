"""Startup checks of the keys for personal numbers (portal.crypto): a placeholder, a key that
is no Fernet key, or a former HMAC key that cannot be the former one stops `manage.py`
(migrate, the workers, `check --deploy`) at once, instead of a 500 at the first registration
that stores an ID number, or a ban that silently stops matching.

And a deploy check (`check --deploy`, which docs/deployment.md runs with `--fail-level
WARNING`) of PORTAL_URL, the address printed on every 入库证明."""

import ipaddress
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Warning, register

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


# What the links in PORTAL_URL lead to: the 入库证明's QR code and 查验 link, the reminders' links.
PORTAL_URL_LINKS = "入库证明上的二维码和查验链接、提醒邮件中的链接"


@register(deploy=True)
def check_portal_url(app_configs, **kwargs):
    """PORTAL_URL's default (http://localhost:8000) suits a development server only: left on it,
    a deployment prints QR codes on its certificates that lead nowhere, and never says so.

    A Warning of `check --deploy`, as Django's own checks of the deploy settings are: the
    documented install fails on it (`--fail-level WARNING`), while a run with DEBUG off on one
    machine (the benchmark's gunicorn on 127.0.0.1, `scripts/serve`, the tests) still starts.
    """
    if settings.DEBUG:
        return []
    url = settings.PORTAL_URL
    parts = urlsplit(url)
    if _is_this_machine(parts.hostname or ""):
        problem = f"仍指向本机（{url}）：{PORTAL_URL_LINKS}在其他电脑和手机上都打不开。"
    elif parts.scheme != "https":
        problem = f"不是 https 地址（{url}）：{PORTAL_URL_LINKS}将以不加密的 HTTP 打开。"
    else:
        return []
    return [
        Warning(
            f"PORTAL_URL {problem}",
            hint=(
                "在 .env 中将 PORTAL_URL 设为用户访问本系统的 https 地址（末尾不带斜杠），"
                "例如 https://expert.example.gov.cn。"
            ),
            id="portal.W001",
        )
    ]


def _is_this_machine(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
