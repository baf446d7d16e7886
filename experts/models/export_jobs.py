"""The .xlsx exports (ExportJob), run by the export worker, and who each one named
(ExportedApplication)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.models import RETENTION, AuditEvent
from experts.models.application import ExpertApplication
from portal.triggers import protect_unless


class ExportJob(models.Model):
    """One export of a list to .xlsx (导出Excel), run by the export worker (`manage.py
    run_exports`), not by the request: 100,000 rows take longer than a request should, and the
    worker's memory stays its own (experts.exports). The row is the job's whole state: what was
    asked (the list, its filter, whether in full and why), how far it got, and the file."""

    class Kind(models.TextChoices):
        POOL = "pool", "专家库"

    class Scope(models.TextChoices):
        """Which personal numbers the file holds whole (PIPL's minimum-necessary rule): none;
        the mobile only, for a call list (a panel to phone); or the 证件号码 and the 银行账号 too
        (fees, identity checks). Both of the latter need a reason and record who was in the
        file (ExportedApplication)."""

        MASKED = "masked", "否"
        CONTACT = "contact", "仅联系方式（手机号码）"
        FULL = "full", "是"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "正在导出"
        DONE = "done", "已完成"
        FAILED = "failed", "导出失败"
        EXPIRED = "expired", "已过期"

    FINISHED = (Status.DONE, Status.FAILED, Status.EXPIRED)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导出人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField("导出内容", max_length=20, choices=Kind.choices)
    # The list's filter as the page's query string (only the FilterSet's own parameters): the
    # worker rebuilds the same FilterSet from it. `filter_text` says it in words.
    params = models.TextField("筛选参数", blank=True)
    filter_text = models.CharField("筛选条件", max_length=500, blank=True)
    scope = models.CharField(
        "含敏感信息", max_length=10, choices=Scope.choices, default=Scope.MASKED
    )
    reason = models.CharField("理由", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField("条数", default=0)
    rows_done = models.PositiveIntegerField("已写入", default=0)
    # A name in the private storage (settings.STORAGES["default"], never web-served), under
    # exports/; emptied when the file is deleted.
    file_name = models.CharField("文件", max_length=200, blank=True, editable=False)
    error = models.CharField("错误信息", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Moved by every progress report: a running job whose heartbeat stops was interrupted.
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-pk"]
        # The worker's rounds: the queued jobs, the running ones, the finished files to delete.
        indexes = [models.Index(fields=["status", "created_at"], name="experts_exportjob_status")]

    def __str__(self) -> str:
        # In the site's time, as admin's list beside it (the column is UTC).
        return f"{self.get_kind_display()}导出 {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @property
    def holds_numbers(self) -> bool:
        """Whether any number goes out whole (the mobile, or all three): a reason was given,
        and the file's people are recorded (ExportedApplication)."""
        return self.scope != self.Scope.MASKED

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class ExportedApplication(models.Model):
    """One person whose personal numbers went out whole in an export: 含敏感信息 (证件号码,
    银行账号, 手机) or 含联系方式 (the 手机 only). A pool export (ExportJob, written by the
    worker as it writes the file) or a draw record's export (written with the response). The
    export is named by its audit event (导出含敏感信息的专家名单 or 导出含联系方式的专家名单: its
    action says which numbers), which both kinds have and which outlives the file (deleted after
    EXPORT_KEEP_HOURS) and the ExportJob row (purge_jobs): the event's object says which job or
    draw, its 说明 the reason. A masked export writes no row: no number left whole.

    Kept as the audit trail is (docs/audit.md): no row changes, none is deleted before the
    retention period, the table is never truncated, whoever sends the statement (PostgreSQL
    triggers). A failed pool export's rows are the one exception: its file was deleted before
    anyone could download it (experts.exports.run_job)."""

    event = models.ForeignKey(
        "audit.AuditEvent",
        verbose_name="导出记录（审计记录）",
        on_delete=models.PROTECT,
        related_name="+",
    )
    application = models.ForeignKey(
        ExpertApplication, verbose_name="专家", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("导出时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "含敏感信息导出名单"
        verbose_name_plural = "含敏感信息导出名单"
        ordering = ["-at", "-pk"]
        triggers = [
            pgtrigger.Protect(name="exported_no_update", operation=pgtrigger.Update),
            protect_unless(
                "exported_keep_retention",
                pgtrigger.Delete,
                # A failed pool export's rows (experts.exports.forget_exported): its job failed
                # and names no file. A trigger's own test, not pgtrigger.ignore, for the reason
                # REENCRYPTION_ONLY gives.
                allowed=(
                    f"EXISTS (SELECT FROM {AuditEvent._meta.db_table} AS event "
                    f"JOIN {ExportJob._meta.db_table} AS job ON event.object_id = job.id::text "
                    f"WHERE event.id = OLD.event_id "
                    f"AND event.object_type = '{ExportJob._meta.label_lower}' "
                    f"AND job.status = '{ExportJob.Status.FAILED}' AND job.file_name = '')"
                ),
                # SQL text, as audit.AuditEvent's: the same retention as the event it names.
                condition=pgtrigger.Condition(f"OLD.at > now() - interval '{RETENTION.days} days'"),
            ),
            # TRUNCATE fires no row trigger: a statement trigger refuses it (as the audit's).
            pgtrigger.Trigger(
                name="exported_no_truncate",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.Truncate,
                func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
            ),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} 专家申请{self.application_id}"
