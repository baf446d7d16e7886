import datetime

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.triggers import no_truncate, no_update

# 网络安全法 §21 and MLPS ask for at least six months (docs/audit.md). Six calendar months are
# up to 184 days (March to August); 180 fell short in some spans, 186 never does.
RETENTION = datetime.timedelta(days=186)


class AuditEvent(models.Model):
    """One security-relevant event (MLPS 安全审计): who, in what role, did what to which object,
    with what result, when and from where. Never a password, a code or a full ID number."""

    class Action(models.TextChoices):
        # Signed in: the password, and for whoever must use a second factor the code too.
        LOGIN = "login", "登录成功"
        # The password of someone who must still enter a second-factor code: not in yet.
        PASSWORD_VERIFIED = "password_ok", "密码验证通过"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOCKED_OUT = "locked_out", "登录锁定"
        UNLOCKED = "unlocked", "解除登录锁定"
        LOGOUT = "logout", "退出登录"
        # 信息更改: a unit corrects its own details, its 电子邮箱 among them (where 找回密码 sends
        # the unit account's link).
        UNIT_PROFILE = "unit_profile", "单位信息更改"
        # Someone signed in already (an applicant, a unit) binds a second factor of their own.
        DEVICE_BOUND = "device_bound", "绑定身份验证器"
        TRANSITION = "transition", "状态变更"
        VIEW_PERSONAL_DATA = "view_personal", "查看完整个人信息"
        LICENCE_DOWNLOAD = "licence", "查看营业执照扫描件"
        # A unit or the bureau opening an applicant's 证明材料 (experts.views): which file, by
        # its kind and number, never its name (a file name may carry personal data).
        ATTACHMENT_DOWNLOAD = "attachment", "查看证明材料"
        ADMIN_CHANGE = "admin_change", "后台修改"
        REMINDED = "reminded", "发送超期提醒"
        # Every export of a list of experts (experts.exports); in full when 含敏感信息 was ticked.
        EXPORT = "export", "导出专家名单"
        EXPORT_SENSITIVE = "export_sensitive", "导出含敏感信息的专家名单"
        # The mobile whole, the 证件号码 and the 银行账号 masked: a call list for a panel.
        EXPORT_CONTACT = "export_contact", "导出含联系方式的专家名单"
        # 公示异议 recorded on an admission (notice.services): who recorded it and how it came,
        # never who objected or what they said (the expert reads the events about them).
        OBJECTION = "objection", "记录公示异议"
        # reindex_personal_data after a change of FIELD_HMAC_KEY: how many stored hashes it
        # recomputed, never a value.
        REINDEX = "reindex", "重算个人信息索引"
        # reencrypt_personal_data after a new first key in FIELD_ENCRYPTION_KEYS: how many
        # stored values it rewrote under that key, never a value.
        REENCRYPT = "reencrypt", "重新加密个人信息"
        # recompute_deadlines after the working-day calendar learnt a year: up to which year
        # it knew, and how many due dates the run moved (experts.due_dates reads it back).
        RECOMPUTE_DEADLINES = "deadlines", "重算截止日期"
        # housekeeping deleting SMS and 导出任务 rows past their keeping: how many, never what.
        PURGE = "purge", "按保留期删除记录"
        # Every step on a draw's record (draws.services), the draw as object, the step and the
        # expert in 说明: 抽取, 确认参加, 不参加, 递补, 补抽, 短信通知, 作废.
        DRAW = "draw", "专家抽取"
        # An export of the trail itself from admin (audit.exports): who took a copy of which
        # part of it, and how many rows.
        EXPORT_AUDIT = "export_audit", "导出审计记录"
        # 删除个人信息 (experts.erasure): an operator erasing a person's data on request; what
        # kinds were erased and how many, never a value.
        ERASE_PERSONAL_DATA = "erase_personal", "删除个人信息"
        # A signed-in person agreeing to a new version of the 个人信息保护说明 (PIPL art. 17,
        # accounts.services.agree_to_current_notice): which version, and the one before.
        PRIVACY_NOTICE = "privacy_notice", "同意个人信息保护说明"
        # An admitted expert who never gave this portal the sensitive-data consent (one imported
        # from the bureau's previous system) giving it (experts.services.give_consent).
        SENSITIVE_CONSENT = "sensitive_consent", "同意敏感个人信息处理"
        # import_roster's run (experts.roster): how many experts came in, never who.
        ROSTER_IMPORT = "roster_import", "历史数据导入"
        # 新用户注册：单位 / 个人 (accounts.services): the new account as actor, 说明 which of
        # the two; the registration itself is the row, not only the account's date_joined.
        REGISTERED = "registered", "新用户注册"
        # 修改密码 by the signed-in person (accounts.views.PortalPasswordChangeView): never the
        # password, only why it was changed (their own choice, expired, set by an operator).
        PASSWORD_CHANGED = "password_changed", "修改密码"
        # 找回密码's request (accounts.views.PortalPasswordResetView): the account a link was
        # meant for, or for an address with no account only that there was none (the address
        # typed is not kept: it may be anyone's).
        PASSWORD_RESET_REQUEST = "reset_request", "申请找回密码"
        # 找回密码's last step: the owner set a new password through the link in the mail.
        PASSWORD_RESET = "password_reset", "找回密码重设密码"

    class Result(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    role = models.CharField("角色", max_length=20, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=50, blank=True)
    object_id = models.CharField("对象编号", max_length=50, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    result = models.CharField("结果", max_length=10, choices=Result.choices)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    # Room for a decision's reasons (the reason codes, the reviewer's whole text as its form
    # allows it, the fields commented); audit.log.fitted cuts anything longer, with a marker.
    detail = models.CharField("说明", max_length=2000, blank=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        # 导出Excel of the trail (admin): superusers, and whoever is given this permission
        # (the bureau's 纪检监察 account, say), besides 可查看审计记录 to open the list.
        permissions = [("export_auditevent", "可导出审计记录")]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        # Append-only in the database itself (PostgreSQL), whoever sends the statement: no row
        # is ever changed, and one is deleted only once the retention period has passed.
        triggers = [
            no_update("audit"),
            pgtrigger.Protect(
                name="audit_keep_retention",
                operation=pgtrigger.Delete,
                # As SQL text, not pgtrigger.Q: Q compiles through the current database's
                # backend, and SQLite's text for now() would make a migration of its own.
                condition=pgtrigger.Condition(f"OLD.at > now() - interval '{RETENTION.days} days'"),
            ),
            no_truncate("audit"),
        ]

    def __str__(self) -> str:
        # In the site's time, as the list beside it shows it (the column is UTC).
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_action_display()}"


class Reminder(models.Model):
    """One overdue reminder (send_reminders): to whom, of what kind, on which day, and what it
    said. The unique (kind, target, day) is the claim: the run that inserts the row sends, in the
    same transaction; a second run that day, or one running at the same moment, finds the row
    and sends nothing. A unit's SMS has one row per unit; the digest one row per reviewer, so
    that an address the mail server refuses fails (and is retried) alone. A digest that failed,
    or stayed 发送中 past experts.reminders.stale_claim_after() (its run was killed), is taken
    over by the next run that day."""

    class Kind(models.TextChoices):
        UNIT_SMS = "unit_sms", "单位短信提醒"
        BUREAU_DIGEST = "bureau_digest", "科技局摘要邮件"

    class Status(models.TextChoices):
        QUEUED = "queued", "已交短信发送队列"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    # The target of a digest written before each reviewer had their own (all reviewers
    # together); a digest's target is now the reviewer's user id.
    BUREAU = "bureau"

    kind = models.CharField("提醒类型", max_length=20, choices=Kind.choices)
    # The unit's id for a unit's SMS, BUREAU for the digest. Plain text: audit knows no other
    # app's models, and the row outlives whatever it names.
    target = models.CharField("提醒对象编号", max_length=50)
    target_name = models.CharField("提醒对象", max_length=200)
    day = models.DateField("提醒日期")
    overdue_recommendations = models.PositiveIntegerField("超期待单位推荐", default=0)
    overdue_registrations = models.PositiveIntegerField("超期单位注册审核", default=0)
    overdue_decisions = models.PositiveIntegerField("超期待科技局审核", default=0)
    # 信息变更 (changes.ChangeRequest): the unit's 待单位确认 in its SMS, the bureau's
    # 待科技局审核 in the digest.
    overdue_change_confirmations = models.PositiveIntegerField("超期信息变更待单位确认", default=0)
    overdue_change_decisions = models.PositiveIntegerField("超期信息变更待科技局审核", default=0)
    # A unit's SMS goes through the outbox, whose row says whether it went out.
    sms_message = models.ForeignKey(
        "sms.SMSMessage",
        verbose_name="短信",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recipients = models.TextField("收件人", blank=True)
    status = models.CharField("发送状态", max_length=10, choices=Status.choices)
    error = models.CharField("错误信息", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # When the digest's current attempt claimed the row: one 发送中 for too long belongs to a
    # run that was killed or hung, and the next run takes it over.
    claimed_at = models.DateTimeField("开始发送时间", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "超期提醒"
        verbose_name_plural = "超期提醒"
        ordering = ["-day", "kind", "target_name", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target", "day"], name="audit_reminder_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()}：{self.target_name}"
