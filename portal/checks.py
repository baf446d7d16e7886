"""Startup checks of the keys for personal numbers (portal.crypto): a placeholder, a key that
is no Fernet key, or a former HMAC key that cannot be the former one stops `manage.py`
(migrate, the workers, `check --deploy`) at once, instead of a 500 at the first registration
that stores an ID number, or a ban that silently stops matching. With DEBUG off, .env.example's
SECRET_KEY and PORTAL_URL, and a mail server told to use both TLS and SSL, stop it too.

And deploy checks (`check --deploy`, which docs/deployment.md runs with `--fail-level
WARNING`) of PORTAL_URL, the address printed on every 入库证明, of ALLOWED_HOSTS, and of the
SMS and mail settings .env.example shows as examples, of the database (PostgreSQL, whose triggers
keep the audit trail and the histories append-only) and of mail sent in clear text."""

import ipaddress
import re
from email.utils import parseaddr
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Warning, register
from django.http.request import validate_host

# How .env.example's placeholders begin.
PLACEHOLDERS = ("replace-with", "change-me")
MAKE_FERNET_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
MAKE_HMAC_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
MAKE_SECRET_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'


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
            hint=("在 .env 中将 PORTAL_URL 设为用户访问本系统的 https 地址（末尾不带斜杠）。"),
            id="portal.W001",
        )
    ]


@register()
def check_example_values(app_configs, **kwargs):
    """.env.example's SECRET_KEY and PORTAL_URL, left as they are with DEBUG off. An Error, as
    the placeholder keys are: it stops `migrate`, which docker-compose.yml's web service runs
    before gunicorn, so the site never starts with them.

    The example SECRET_KEY is public: anyone could sign a session or a password-reset link. The
    example PORTAL_URL (any host with a label "example": expert.example.gov.cn, example.com …)
    prints a QR code on every 入库证明 that leads to someone else's site or nowhere."""
    if settings.DEBUG:
        return []
    errors = []
    if settings.SECRET_KEY.strip().lower().startswith(PLACEHOLDERS):
        errors.append(
            Error(
                "SECRET_KEY 仍是 .env.example 中的示例值：用它签名的登录会话和重置密码链接，"
                "任何人都能伪造。",
                hint=(
                    f"用以下命令生成新的密钥，填入 .env 的 SECRET_KEY：{MAKE_SECRET_KEY}"
                    "（更换会让所有人重新登录，见 docs/security.md）。"
                ),
                id="portal.E004",
            )
        )
    hostname = urlsplit(settings.PORTAL_URL).hostname or ""
    if "example" in hostname.split("."):
        errors.append(
            Error(
                f"PORTAL_URL 仍是示例地址（{settings.PORTAL_URL}）：{PORTAL_URL_LINKS}"
                "将指向并不存在的网站。",
                hint=(
                    "在 .env 中将 PORTAL_URL 设为用户访问本系统的 https 地址（末尾不带斜杠），"
                    "并把其中的域名加入 ALLOWED_HOSTS。"
                ),
                id="portal.E005",
            )
        )
    return errors


@register(deploy=True)
def check_allowed_hosts(app_configs, **kwargs):
    """Django answers 400 (the portal's 400.html) to a Host that ALLOWED_HOSTS does not match.
    Left at its default (this machine's names only), the site answers nobody but the compose
    healthcheck, which sends `Host: localhost` and passes; a PORTAL_URL on another host prints
    links that the portal itself refuses."""
    if settings.DEBUG:
        return []
    warnings = []
    if all(_is_this_machine(host.strip("[]")) for host in settings.ALLOWED_HOSTS):
        hosts = "、".join(settings.ALLOWED_HOSTS) or "空"
        warnings.append(
            Warning(
                f"ALLOWED_HOSTS 只有本机的名称（{hosts}）：用户通过域名访问时，"
                "每个页面都只显示“请求无法处理”（400）。",
                hint=(
                    "在 .env 中将 ALLOWED_HOSTS 设为用户访问本系统所用的域名"
                    "（多个用英文逗号分隔），即 PORTAL_URL 中的域名。"
                ),
                id="portal.W002",
            )
        )
    hostname = urlsplit(settings.PORTAL_URL).hostname or ""
    # ALLOWED_HOSTS writes an IPv6 address in brackets, as a Host header does.
    host = f"[{hostname}]" if ":" in hostname else hostname
    if hostname and not validate_host(host, settings.ALLOWED_HOSTS):
        warnings.append(
            Warning(
                f"PORTAL_URL 的域名 {hostname} 不在 ALLOWED_HOSTS 中：{PORTAL_URL_LINKS}"
                "打开时只显示“请求无法处理”（400）。",
                hint="在 .env 的 ALLOWED_HOSTS 中加入该域名（多个用英文逗号分隔）。",
                id="portal.W003",
            )
        )
    return warnings


@register()
def check_mail_security(app_configs, **kwargs):
    """Django's SMTP backend takes TLS (STARTTLS, usually port 587) or SSL (port 465), never
    both: with both it refuses every mail, and the reminders' digest fails each morning."""
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        return [
            Error(
                "EMAIL_USE_TLS 和 EMAIL_USE_SSL 不能同时为 true。",
                hint=(
                    "邮件服务器端口为 465 时只设 EMAIL_USE_SSL=true；"
                    "端口为 587（STARTTLS）时只设 EMAIL_USE_TLS=true。"
                ),
                id="portal.E006",
            )
        ]
    return []


TWILIO_BACKEND = "sms.backends.twilio.TwilioBackend"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# The defaults (settings.py): they print, and send nothing.
CONSOLE_SMS_BACKEND = "sms.backends.console.ConsoleBackend"
CONSOLE_MAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# .env.example's Twilio lines: an account SID of x's, a token "your-…", and Twilio's magic test
# number +15005550006, which only its test credentials accept.
TWILIO_EXAMPLES = {
    "TWILIO_ACCOUNT_SID": lambda value: re.fullmatch(r"AC[xX]*", value) is not None,
    "TWILIO_AUTH_TOKEN": lambda value: value.lower().startswith("your-"),
    "TWILIO_FROM_NUMBER": lambda value: value == "+15005550006",
}


def _has_example_label(hostname: str) -> bool:
    return "example" in hostname.lower().split(".")


@register(deploy=True)
def check_delivery_examples(app_configs, **kwargs):
    """.env.example's SMS and mail lines, left as they are, or the defaults that print and
    send nothing (the console backends, which a restore drill keeps on purpose). Nothing
    stops: the decisions are made and their SMS queued, and every send fails later (Twilio
    20003, 排队中 for a day) or never leaves, as every mail does (the reviewers' digest,
    找回密码) or goes out from a domain that is not the bureau's and lands in spam.
    `check --deploy --fail-level WARNING`, which the documented install runs, says so before
    the portal opens."""
    if settings.DEBUG:
        return []
    warnings = []
    if settings.SMS_BACKEND == TWILIO_BACKEND:
        left = [
            name
            for name, is_example in TWILIO_EXAMPLES.items()
            if not getattr(settings, name).strip() or is_example(getattr(settings, name).strip())
        ]
        if left:
            warnings.append(
                Warning(
                    f"SMS_BACKEND 为 Twilio，但 {'、'.join(left)} 未设置或仍是 .env.example "
                    "中的示例值：短信都将发送失败。",
                    hint=(
                        "在 .env 中填入短信服务商提供的账号 SID、密钥和发送号码；"
                        "选用境内短信服务商的，改设 SMS_BACKEND（见 docs/deployment.md）。"
                    ),
                    id="portal.W004",
                )
            )
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        left = []
        if _has_example_label(settings.EMAIL_HOST):
            left.append(f"EMAIL_HOST（{settings.EMAIL_HOST}）")
        if settings.EMAIL_HOST_PASSWORD.strip().lower().startswith("your-"):
            left.append("EMAIL_HOST_PASSWORD")
        if left:
            warnings.append(
                Warning(
                    f"{'、'.join(left)} 仍是 .env.example 中的示例值：审核员的超期提醒摘要"
                    "和找回密码邮件都将发送失败。",
                    hint="在 .env 中填入本单位邮件服务器的地址、端口、账号和密码。",
                    id="portal.W005",
                )
            )
    if settings.SMS_BACKEND == CONSOLE_SMS_BACKEND:
        warnings.append(
            Warning(
                "SMS_BACKEND 为控制台（ConsoleBackend）：短信只写入 portal-sms 的日志，不会发出，"
                "申请人、专家和单位都收不到审核结果等通知。",
                hint=(
                    "选定短信服务商后，在 .env 中设置 SMS_BACKEND 及其账号"
                    "（见 docs/deployment.md）。"
                ),
                id="portal.W007",
            )
        )
    if settings.EMAIL_BACKEND == CONSOLE_MAIL_BACKEND:
        warnings.append(
            Warning(
                "EMAIL_BACKEND 为控制台：邮件只写入日志，不会发出，审核员收不到超期提醒摘要，"
                "找回密码的邮件也不会送达。",
                hint="在 .env 中设置 EMAIL_BACKEND 为 SMTP，并填入本单位邮件服务器的地址和账号。",
                id="portal.W008",
            )
        )
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    if _has_example_label(sender.rpartition("@")[2]):
        warnings.append(
            Warning(
                f"DEFAULT_FROM_EMAIL 仍是示例地址（{settings.DEFAULT_FROM_EMAIL}）："
                "邮件将以不属于本单位的域名发出，可能被拒收或归入垃圾邮件。",
                hint=(
                    "在 .env 中将 DEFAULT_FROM_EMAIL 设为本单位邮件服务器允许发信的地址，"
                    "例如 专家入库系统 <noreply@本单位域名>。"
                ),
                id="portal.W006",
            )
        )
    return warnings


@register(deploy=True)
def check_database_engine(app_configs, **kwargs):
    """SQLite serves the README's demo. In production the audit trail, the histories and the
    draws' records would have no triggers (portal.triggers): any statement could rewrite or
    delete them, and the row locks a decision takes would not hold."""
    if settings.DEBUG:
        return []
    engine = settings.DATABASES["default"]["ENGINE"]
    # postgres://, postgresql:// and pgsql:// URLs give Django's backend; postgis:// GeoDjango's.
    if engine in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
        return []
    return [
        Warning(
            f"数据库不是 PostgreSQL（{engine}）：审计记录、审核历史和抽取记录没有保护触发器，"
            "可被改写或删除，并发审核也不能加锁。SQLite 只用于演示和开发。",
            hint="在 .env 中将 DATABASE_URL 设为 PostgreSQL（见 docs/deployment.md）。",
            id="portal.W009",
        )
    ]


@register(deploy=True)
def check_mail_in_clear(app_configs, **kwargs):
    """找回密码's mail carries a link that sets the account's password, and the login to the
    mail server its password: over SMTP without TLS or SSL to another machine, both cross the
    network in clear text. A relay on this machine (localhost) is the operator's business."""
    if settings.DEBUG or settings.EMAIL_BACKEND != SMTP_BACKEND:
        return []
    if settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL or _is_this_machine(settings.EMAIL_HOST):
        return []
    return [
        Warning(
            f"邮件服务器（{settings.EMAIL_HOST}）未启用 TLS 或 SSL：找回密码邮件中的重设链接"
            "和邮件账号的密码将以明文在网络上传输。",
            hint="端口 587 设 EMAIL_USE_TLS=true，端口 465 设 EMAIL_USE_SSL=true。",
            id="portal.W010",
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
