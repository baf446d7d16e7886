"""个人信息保护说明 (PIPL arts. 13-17): the notice every page links to, its version, and the
deployment's facts it names (the bureau, the SMS and mail providers, the retention settings).

The notice's wording lives in jinja/privacy.html; a change of what it says about the processing
gets a new NOTICE_VERSION, and the registrations record the version each person agreed to
(accounts.User.privacy_notice_version)."""

from django.conf import settings

from notice import periods as notice_periods
from sms.backends import backend_class

NOTICE_VERSION = "2026-12"
NOTICE_TITLE = "个人信息保护说明"


def sms_provider() -> str:
    """Who receives the mobile number and the SMS text, and where: the bureau's own words
    (PRIVACY_SMS_PROVIDER) or what the configured backend says of itself."""
    return settings.PRIVACY_SMS_PROVIDER or backend_class().privacy_provider


def email_provider() -> str:
    return settings.PRIVACY_EMAIL_PROVIDER or "科技局为本系统配置的邮件服务器"


def keep_days_text(days: int | None) -> str:
    """A retention setting in words: None keeps for good (until the bureau deletes)."""
    return "长期保存，直至科技局按档案管理规定删除" if days is None else f"{days}天"


def facts() -> dict:
    """What the notice page prints from the settings, read when it renders (they may change)."""
    return {
        "bureau": settings.BUREAU_NAME,
        "help_line": settings.HELP_LINE,
        "version": NOTICE_VERSION,
        "sms_provider": sms_provider(),
        "email_provider": email_provider(),
        "notice_enabled": notice_periods.enabled(),
        "notice_days": settings.PUBLIC_NOTICE_DAYS,
        "login_log_days": settings.LOGIN_LOG_KEEP_DAYS,
        "sms_keep": keep_days_text(settings.SMS_KEEP_DAYS),
        "export_keep_hours": settings.EXPORT_KEEP_HOURS,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
