"""Startup checks: a wrong SMS_BACKEND stops the portal and the worker at once, rather than
leaving every decision's SMS failing in the outbox."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from sms.backends import BaseBackend

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
