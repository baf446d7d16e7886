"""Startup checks: a wrong SMS_BACKEND stops the portal and the worker at once, rather than
leaving every decision's SMS failing in the outbox."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from sms.backends import BaseBackend
from sms.templates import TEMPLATES

# Where the backends lived before they became the sms app.
OLD_PREFIX = "experts.sms."
NEW_PREFIX = "sms.backends."


@register()
def check_sms_backend(app_configs, **kwargs):
    path = settings.SMS_BACKEND
    hint = "SMS_BACKEND 应为短信后端类的完整路径，例如 sms.backends.console.ConsoleBackend。"
    if path.startswith(OLD_PREFIX):
        hint = f"短信后端已移到 sms 应用：请改为 {NEW_PREFIX}{path.removeprefix(OLD_PREFIX)}。"
    try:
        backend = import_string(path)
    except ImportError as exc:
        return [Error(f"SMS_BACKEND {path!r} 无法导入：{exc}", hint=hint, id="sms.E001")]
    if not (isinstance(backend, type) and issubclass(backend, BaseBackend)):
        return [
            Error(
                f"SMS_BACKEND {path!r} 不是短信后端类（sms.backends.BaseBackend）。", id="sms.E002"
            )
        ]
    return []


ALIYUN_BACKEND = "sms.backends.aliyun.AliyunBackend"


@register()
def check_aliyun_settings(app_configs, **kwargs):
    """With 阿里云短信, every template the portal sends needs the code Aliyun approved it
    under, and the AccessKey must be there: otherwise each such SMS would fail in the outbox."""
    if settings.SMS_BACKEND != ALIYUN_BACKEND:
        return []
    errors = []
    missing = [
        name
        for name in ("ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET")
        if not getattr(settings, name)
    ]
    if missing:
        errors.append(
            Error(
                f"使用阿里云短信时必须设置 {'、'.join(missing)}。",
                hint="在环境中加上："
                + "；".join(f"{name}=…" for name in missing)
                + "（RAM 用户的 AccessKey，需 dysms:SendSms 和 dysms:QuerySendDetails 权限）。",
                id="sms.E003",
            )
        )
    codes = settings.ALIYUN_SMS_TEMPLATES
    without = [key for key in TEMPLATES if not codes.get(key)]
    if without:
        # The whole line, with the codes already set: it replaces the one in the environment.
        line = ",".join(f"{key}={codes.get(key) or 'SMS_…'}" for key in TEMPLATES)
        errors.append(
            Error(
                f"以下短信模板没有阿里云模板CODE：{'、'.join(without)}。",
                hint="在阿里云短信控制台申请这些模板（`python manage.py sms_templates` "
                f"打印模板内容），审核通过后把模板CODE填入环境：ALIYUN_SMS_TEMPLATES={line}",
                id="sms.E004",
            )
        )
    unknown = sorted(set(codes) - set(TEMPLATES))
    if unknown:
        errors.append(
            Error(
                f"ALIYUN_SMS_TEMPLATES 中有本系统没有的短信模板：{'、'.join(unknown)}。",
                hint="模板名称见 `python manage.py sms_templates`；请改正拼写或删去。",
                id="sms.E005",
            )
        )
    return errors


LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@register(deploy=True)
def check_aliyun_protocol(app_configs, **kwargs):
    """Plain HTTP to Aliyun (ALIYUN_SMS_PROTOCOL=http, meant for a fake on this machine) would
    send every mobile number and text unencrypted: refused in production but to this host."""
    if settings.SMS_BACKEND != ALIYUN_BACKEND or settings.ALIYUN_SMS_PROTOCOL != "http":
        return []
    endpoint = settings.ALIYUN_SMS_ENDPOINT
    if endpoint.startswith(LOCAL_HOSTS):
        return []
    return [
        Error(
            f"ALIYUN_SMS_PROTOCOL=http：手机号码和短信内容将以明文发往 {endpoint}。",
            hint="生产环境请删去 ALIYUN_SMS_PROTOCOL（默认 https）。",
            id="sms.E006",
        )
    ]
