"""个人信息保护说明 (PIPL arts. 13-17): the notice every page links to, its version, and the
deployment's facts it names (the bureau, the SMS and mail providers, the retention settings,
and the audit trail's retention, which the database enforces: audit.models.RETENTION).

The notice's wording lives in jinja/includes/privacy_text.html; a change of what it says about the
processing gets a new NOTICE_VERSION and an entry in CHANGES. The registrations record the version
each person agreed to (accounts.User.privacy_notice_version); a signed-in person whose recorded
version is not the current one (or who has none: an account older than the notice) is shown the
notice again and must agree before any other page (accounts.middleware.OwedStepMiddleware), as
PIPL art. 17 asks when the processing changes."""

from django.conf import settings

from audit.models import RETENTION as AUDIT_RETENTION
from notice import periods as notice_periods
from sms.backends import backend_class

NOTICE_VERSION = "2026-12-08"
NOTICE_TITLE = "个人信息保护说明"

# What each version changed from the one before, newest first, as the people asked to agree
# again read it (accounts.views.privacy_agree). A new NOTICE_VERSION adds its entry at the top,
# in the notice's own words; the first version changed nothing.
CHANGES: dict[str, tuple[str, ...]] = {
    # The trail has been kept 186 days since audit 0027 (six calendar months run up to 184):
    # the storage period is one of what PIPL art. 17 says must be told again when it changes.
    "2026-12-08": (
        "安全审计记录的保存期限由“至少180天”改为“至少186天（不少于六个月）”，"
        "依据《网络安全法》第二十一条和网络安全等级保护要求。",
    ),
    "2026-12-07": (
        "撤回敏感个人信息处理同意不必再联系科技局：审核中或审核不通过的申请，也可在“我的专家状态”"
        "页面撤回同意，申请随之撤回。",
        "科技局审核人员为通知评审事宜导出含完整手机号码的联系名单，须填写理由并记入安全审计。",
    ),
    "2026-12": (),
}


def owes_agreement(user) -> bool:
    """Whether the signed-in `user` has yet to agree to the current version of the notice."""
    return user.privacy_notice_version != NOTICE_VERSION


def changes_since(version: str) -> list[tuple[str, tuple[str, ...]]]:
    """The versions published after `version` that changed something, newest first, each with
    what it changed. Nothing for an account that agreed to no version: it reads the whole
    notice, and a list of changes to a text it never saw would tell it nothing."""
    if not version:
        return []
    newer = []
    for published, changed in CHANGES.items():
        if published == version:
            break
        if changed:
            newer.append((published, changed))
    return newer


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
        "audit_keep_days": AUDIT_RETENTION.days,
        "login_log_days": settings.LOGIN_LOG_KEEP_DAYS,
        "sms_keep": keep_days_text(settings.SMS_KEEP_DAYS),
        "export_keep_hours": settings.EXPORT_KEEP_HOURS,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
