"""导出Excel: lists of experts as .xlsx (issue 22 part 3).

专家库's export starts where the pool page starts: applications_for(user), approved, through
experts.filters.PoolFilter built from the page's own query string, in the page's order. The
request only checks and records it (`request_pool_export`: a confirmation, the cap, the audit
event) and queues an ExportJob; the export worker (`manage.py run_exports`) writes the file
(`run_job`), reporting its progress on the job's row, which the progress page reads. The file
lives in the private storage, for its requester only, and is deleted EXPORT_KEEP_HOURS later.

Personal numbers (PIPL's minimum-necessary rule): the file holds whole only what the reviewer
chose on the confirmation page (ExportJob.Scope), and gave a reason for:
- 不含敏感信息: the 证件号码, the 银行账号 and the 手机 masked, the 出生日期 the year only. The
  reviewers' pages show one expert's 手机 whole (they phone the people they review and draw:
  experts.permissions.may_read_mobile); a file of many is a copy that leaves the portal, so it
  masks the mobile too unless asked for.
- 含联系方式: the 手机 whole (a call list for a panel), the rest as masked.
- 含敏感信息: all three whole; the 证件号码 and the 银行账号 only for the people whose consent to
  processing them stands (experts.permissions.may_process_sensitive_numbers), as no consent
  covers the mobile.
Every export is audited, masked or not: 导出专家名单, 导出含联系方式的专家名单 or
导出含敏感信息的专家名单, the latter two with the reason and a record of whose numbers went out
(ExportedApplication; docs/audit.md).

Any list of experts with a title block (a draw record's, by its own module) writes through
`write_expert_list` (a file, for the worker) or `expert_list_response` (a short list, in the
response).
"""

import logging
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES

from accounts.validators import display_mobile
from audit.log import record
from audit.models import AuditEvent
from experts.choices import join_disciplines
from experts.filters import PoolFilter
from experts.models import (
    ApplicationStatus,
    Discipline,
    ExpertApplication,
    ExportedApplication,
    ExportJob,
)
from experts.permissions import may_process_sensitive_numbers
from experts.selectors import applications_for
from portal.templating import masked_bank_account, masked_id_number, masked_mobile
from portal.xlsx import write_xlsx, xlsx_response

logger = logging.getLogger(__name__)

# (header, column width in characters), in the sheet's order.
COLUMNS = [
    ("姓名", 10),
    ("专家状态", 10),
    ("性别", 6),
    ("出生日期", 12),
    ("最高学历", 12),
    ("最高学位", 10),
    ("工作单位", 28),
    ("单位性质", 14),
    ("所在区", 10),
    ("所在部门", 16),
    ("行政职务", 14),
    ("专业技术职称", 14),
    ("职称级别", 10),
    ("现从事专业", 16),
    ("专业领域", 26),
    ("手机", 14),
    ("电子邮箱", 26),
    ("证件号码", 22),
    ("开户银行", 26),
    ("银行账号", 24),
    ("入库时间", 12),
]
# What a row reads, and nothing more: the 证件号码 is the account's; 工作单位, 单位性质 and 所在区
# the unit's. A field read by the row but left out here would be loaded by a query per row.
ROW_FIELDS = (
    "status",
    "gender",
    "birth_date",
    "education",
    "degree",
    "department",
    "admin_position",
    "title",
    "title_level",
    "current_specialty",
    "mobile",
    "email",
    "bank_name",
    "bank_account",
    "decided_at",
    "consent_version",  # no consent, no numbers (experts.permissions)
    "consent_at",
    "user__real_name",
    "user__id_number",
    "user__unit__name",
    "user__unit__nature",
    "user__unit__district",
)
# Rows read per round trip; each chunk's 专业领域 come in one more query (Django prefetches per
# chunk of an iterator).
CHUNK_SIZE = 2000
# A running job writes its progress every 1,000 rows (portal.xlsx), about every 0.3 s at the
# benchmark's pace (docs/performance.md); its quiet stretches, the first chunk's query before
# the first row and the zip and the copy into the storage after the last, take about a second
# each for EXPORT_MAX_ROWS. Its page says the progress has stopped after STALLED_AFTER without
# a write: a hint, as a busy machine may be slower. After STALE_AFTER the job was interrupted
# (the worker stopped): a worker's sweep marks it failed, and its requester asks again. Both
# leave a margin of a hundred times the stretches above, so that a running export is not
# failed.
STALLED_AFTER = timedelta(minutes=1)
STALE_AFTER = timedelta(minutes=3)
# Where the files go, and how old a file there must be before the sweep deletes it when no
# job names it (a job that failed after its file was written, a worker stopped mid-copy): the
# copy into the folder takes seconds, so an hour never takes a file still being written.
EXPORT_FOLDER = "exports"
ORPHAN_AFTER = timedelta(hours=1)
# What a job whose file could not be stored says (a full or read-only disk).
NOT_STORED = (
    "导出文件未能保存（服务器存储空间不足或不可写），请稍后重新导出；仍不成功请联系运维人员。"
)

Scope = ExportJob.Scope
# Each scope's audit action (docs/audit.md): its 操作 says which numbers went out whole.
SCOPE_ACTIONS = {
    Scope.MASKED: AuditEvent.Action.EXPORT,
    Scope.CONTACT: AuditEvent.Action.EXPORT_CONTACT,
    Scope.FULL: AuditEvent.Action.EXPORT_SENSITIVE,
}
MASKED_NOTE = "否（证件号码、银行账号、手机已脱敏，出生日期只显示年份）"
CONTACT_NOTE = "仅联系方式（手机号码完整；证件号码、银行账号已脱敏，出生日期只显示年份）"


def scope_note(scope: str, reason: str = "") -> str:
    """是否含敏感信息 as the file's title block and the job's page say it."""
    if scope == Scope.FULL:
        return f"是（理由：{reason}）"
    if scope == Scope.CONTACT:
        return f"{CONTACT_NOTE}（理由：{reason}）"
    return MASKED_NOTE


class ExportRefused(Exception):
    """An export that may not run (too many rows); the message says why, in Chinese."""


# -- Which rows: the pool page's own ------------------------------------------------------


def pool_params(query: QueryDict, term: str) -> str:
    """The filter of a 专家库 URL's query string, as a query string of its own: only the
    FilterSet's parameters (anything else, such as ?limit= or ?page=, is not kept), with `term`
    the search box's text as the page reads it (portal.views.search_term)."""
    kept = QueryDict(mutable=True)
    for name in PoolFilter.base_filters:
        values = [term] if name == "q" else query.getlist(name)
        values = [value for value in values if value not in EMPTY_VALUES]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def pool_filter(user, params: str) -> PoolFilter:
    """专家库's FilterSet over `user`'s admitted experts (审核通过 unless 专家状态 says 已冻结),
    as the page builds it."""
    data = QueryDict(params, mutable=True)
    data.setdefault("status", ApplicationStatus.APPROVED)
    scope = applications_for(user)  # PoolFilter keeps to the admitted (IN_POOL)
    return PoolFilter(data, queryset=scope)


def pool_rows(filterset: PoolFilter) -> QuerySet[ExpertApplication]:
    """The rows of 专家库 through `filterset`, in the page's order: all of them, not a page."""
    rows = filterset.by_status(filterset.narrowed())
    return rows.order_by(*filterset.ordering(list(filterset.DEFAULT_ORDER)))


def filter_in_words(filterset) -> str:
    """The filters set, as people read them: "专业领域：电子信息；搜索：光电". The labels and the
    choices are the FilterSet's own, so a filter added to it is named here too."""
    filterset.is_valid()
    parts = []
    for name, value in filterset.form.cleaned_data.items():
        if name == "status":
            field = filterset.form.fields[name]
            parts.append(f"专家状态：{_value_in_words(field, filterset.status_chosen())}")
            continue
        if value in EMPTY_VALUES:
            continue
        field = filterset.form.fields[name]
        label = filterset.filters[name].label or field.label or name
        parts.append(f"{label}：{_value_in_words(field, value)}")
    if parts == [f"专家状态：{ApplicationStatus.APPROVED.label}"]:
        return "全部在库专家（审核通过，未筛选）"
    return "；".join(parts)


def _value_in_words(field, value) -> str:
    choices = {}
    for key, shown in getattr(field, "choices", ()):
        if isinstance(shown, (list, tuple)):  # a group of choices
            choices.update({str(k): str(v) for k, v in shown})
        else:
            choices[str(key)] = str(shown)
    values = value if isinstance(value, (list, tuple, set, QuerySet)) else [value]
    return "、".join(choices.get(str(getattr(v, "pk", v)), str(v)) for v in values)


def count_message(count: int) -> str:
    """Why an export of `count` rows is refused, or "" when it may run."""
    cap = settings.EXPORT_MAX_ROWS
    if count <= cap:
        return ""
    return (
        f"符合筛选条件的专家有{count:,}人，超过单次导出上限{cap:,}人，不能导出。"
        "请缩小筛选范围（如按专业领域、职称级别筛选）后再导出。"
    )


# -- One expert, one row ------------------------------------------------------------------


def expert_rows(
    applications: Iterable[ExpertApplication],
    *,
    scope: str,
    lead=None,
    on_batch: Callable[[list[int]], None] | None = None,
) -> Iterator[list]:
    """One row per application, in COLUMNS' order. A queryset is read in chunks, with only
    ROW_FIELDS and its 专业领域 prefetched per chunk: a constant number of queries per chunk,
    none per row. Any other iterable must carry `user`, `user.unit` and `disciplines` loaded.
    `on_batch` is given the ids of the applications written, CHUNK_SIZE at a time, the last
    ones once the rows are all written (record_exported)."""
    if isinstance(applications, QuerySet):
        applications = (
            applications.select_related("user", "user__unit")
            .only(*ROW_FIELDS)
            .prefetch_related(
                Prefetch("disciplines", queryset=Discipline.objects.only("name").order_by("code"))
            )
            .iterator(chunk_size=CHUNK_SIZE)
        )
    batch: list[int] = []
    for application in applications:
        row = expert_row(application, scope=scope)
        # Recorded before the row is handed on: a row in the file is never missing from the
        # record (a failed job's are removed with its file, run_job).
        if on_batch is not None:
            batch.append(application.pk)
            if len(batch) == CHUNK_SIZE:
                on_batch(batch)
                batch = []
        yield [*lead(application), *row] if lead else row
    if on_batch is not None and batch:
        on_batch(batch)


def numbers(application: ExpertApplication, *, scope: str) -> tuple[str, str, str, bool]:
    """The 手机, 证件号码 and 银行账号 an export of `scope` holds, whole or masked, and whether
    the latter two are whole: for every file that lists experts (专家库, a draw's record, a
    劳务费发放表)."""
    # The mobile whole in a call list and in a full export, whatever the consent (which is
    # to the 证件号码 and the 银行账号: experts.rules.CONSENT_TEXTS), as on the draw's page.
    if scope == Scope.MASKED:
        mobile = masked_mobile(application.mobile)
    else:
        mobile = display_mobile(application.mobile or "")
    id_number = application.user.id_number or ""
    bank_account = application.bank_account or ""
    # 含敏感信息 only while the person's consent stands: a withdrawn one's numbers are as
    # masked as in an export without it, whichever list it is for.
    whole = scope == Scope.FULL and may_process_sensitive_numbers(application)
    if not whole:
        id_number = masked_id_number(id_number)
        bank_account = masked_bank_account(bank_account)
    return mobile, id_number, bank_account, whole


def expert_row(application: ExpertApplication, *, scope: str) -> list:
    user = application.user
    born = application.birth_date
    mobile, id_number, bank_account, whole = numbers(application, scope=scope)
    if not whole:
        # The year only: the whole date beside the masked number's last digits would give
        # most of the number back (the mask keeps the birth date out for that reason).
        born = f"{born.year}年" if born else None
    decided = timezone.localtime(application.decided_at).date() if application.decided_at else None
    unit = user.unit
    return [
        user.real_name,
        application.get_status_display(),
        application.get_gender_display(),
        born,
        application.get_education_display(),
        application.get_degree_display(),
        unit.name if unit else "",
        unit.get_nature_display() if unit else "",
        unit.get_district_display() if unit else "",
        application.department,
        application.admin_position,
        application.title,
        application.get_title_level_display(),
        application.current_specialty,
        join_disciplines(discipline.name for discipline in application.disciplines.all()),
        mobile,
        application.email,
        id_number,
        application.bank_name,
        bank_account,
        decided,
    ]


def title_block(
    *,
    user,
    filter_text: str,
    count: int,
    scope: str,
    reason: str = "",
    at=None,
    extra: Sequence[tuple[str, object]] = (),
    filter_label: str = "筛选条件",
) -> list[tuple[str, object]]:
    """The sheet's first rows: when, who, which filter (`filter_label`: a draw's are its
    抽取条件), how many, which numbers whole (`scope`) and why. `extra` rows come first (a
    draw's 项目名称 …)."""
    at = timezone.localtime(at or timezone.now())
    who = user.real_name or user.username
    if user.real_name:
        who = f"{user.real_name}（{user.username}）"
    return [
        *extra,
        ("导出时间", f"{at:%Y-%m-%d %H:%M}"),
        ("导出人", who),
        (filter_label, filter_text),
        ("条数", count),
        ("是否含敏感信息", scope_note(scope, reason)),
    ]


def write_expert_list(
    target,
    *,
    title_block: Sequence[tuple[str, object]],
    applications: Iterable[ExpertApplication],
    scope: str,
    sheet_title: str = "专家名单",
    on_progress: Callable[[int], None] | None = None,
    on_batch: Callable[[list[int]], None] | None = None,
) -> int:
    """A list of experts as an .xlsx written to `target` (a path or a binary file): the title
    block, the header row, one row per application (`expert_rows`, which gives `on_batch` the
    ids written). Returns the rows written."""
    return write_xlsx(
        target,
        sheet_title=sheet_title,
        title_block=title_block,
        columns=[header for header, _ in COLUMNS],
        widths=[width for _, width in COLUMNS],
        rows=expert_rows(applications, scope=scope, on_batch=on_batch),
        on_progress=on_progress,
    )


def expert_list_response(
    filename: str,
    *,
    title_block: Sequence[tuple[str, object]],
    applications: Iterable[ExpertApplication],
    scope: str,
    sheet_title: str = "专家名单",
    lead_columns: Sequence[tuple[str, int]] = (),
    lead: Callable[[ExpertApplication], list] | None = None,
) -> HttpResponse:
    """A short list of experts (a draw record's) as a download in this response. `lead`
    gives each row's first cells, under `lead_columns` ((header, width)): a draw's 身份,
    序号 and 状态."""
    columns = [*lead_columns, *COLUMNS]
    return xlsx_response(
        filename,
        sheet_title=sheet_title,
        title_block=title_block,
        columns=[header for header, _ in columns],
        widths=[width for _, width in columns],
        rows=expert_rows(applications, scope=scope, lead=lead),
    )


# -- The job: asked for by a request, run by the worker -----------------------------------


def audit_detail(job: ExportJob) -> str:
    """The audit event's 说明: filter, count, which numbers whole and, with any, the reason
    (never a number)."""
    detail = f"条数：{job.rows_total}；含敏感信息：{job.get_scope_display()}"
    if job.holds_numbers:
        detail += f"；理由：{job.reason}"
    # The filter goes last: a long one is cut to the column, not the count or the reason.
    return f"{detail}；筛选条件：{job.filter_text}"


def audited_reason(detail: str) -> str:
    """The reason in an export's audit 说明: audit_detail's (the filter after it) or a draw
    record's (draws.views.draw_export, which ends with it); "" for a masked export's."""
    _, found, rest = detail.partition("；理由：")
    return rest.partition("；筛选条件：")[0] if found else ""


def request_pool_export(
    user, params: str, *, scope: str, reason: str = "", request=None
) -> ExportJob:
    """Queue an export of 专家库 through the filter `params` (pool_params) for `user`, with
    the numbers `scope` says whole (ExportJob.Scope).

    Side effects, in one transaction: the ExportJob row and its audit event (导出专家名单, or
    导出含联系方式的专家名单 / 导出含敏感信息的专家名单 with the reason). Raises ExportRefused, and
    saves nothing, when more rows match than EXPORT_MAX_ROWS."""
    filterset = pool_filter(user, params)
    count = pool_rows(filterset).order_by().count()
    refused = count_message(count)
    if refused:
        raise ExportRefused(refused)
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            kind=ExportJob.Kind.POOL,
            params=params,
            filter_text=filter_in_words(filterset)[:500],
            scope=scope,
            reason=reason.strip() if scope != Scope.MASKED else "",
            rows_total=count,
        )
        record(
            SCOPE_ACTIONS[job.scope], request=request, actor=user, obj=job, detail=audit_detail(job)
        )
    return job


def record_exported(event: AuditEvent) -> Callable[[list[int]], None]:
    """What writes down, for an export 含敏感信息 or 含联系方式 named by its audit `event`, the
    applications whose numbers (all three, or the mobile) went out whole: one INSERT per batch
    of ids (expert_rows' on_batch), so 100,000 rows cost 50 statements, not 100,000. Each batch is
    written as its rows are, in the transaction of whoever writes them (the draw's response;
    the worker's batches)."""

    def write(ids: list[int]) -> None:
        at = timezone.now()
        ExportedApplication.objects.bulk_create(
            [ExportedApplication(event=event, application_id=pk, at=at) for pk in ids]
        )

    return write


@transaction.atomic
def record_short_export(request, obj, *, what: str, scope: str, reason: str, ids: list[int]):
    """The audit row of a short list downloaded at once (a draw's record, its 劳务费发放表):
    `what` and the count, which numbers went out whole and why, and with any whole, who was in
    it (ExportedApplication), as the pool's export job records its own."""
    whole = scope != Scope.MASKED
    detail = f"{what}；条数：{len(ids)}；含敏感信息：{Scope(scope).label}"
    event = record(
        SCOPE_ACTIONS[scope],
        request=request,
        obj=obj,
        detail=detail + (f"；理由：{reason}" if whole else ""),
    )
    if whole:  # who was in it, kept after the file
        record_exported(event)(list(dict.fromkeys(ids)))
    return event


def export_event(job: ExportJob) -> AuditEvent:
    """The audit event of a job with numbers whole (含敏感信息, 含联系方式), written when it was
    asked for (request_pool_export). A job queued without one (by hand, in a shell) gets it
    now: no number goes out whole without its event."""
    event = (
        AuditEvent.objects.filter(
            action=SCOPE_ACTIONS[job.scope],
            object_type=ExportJob._meta.label_lower,
            object_id=str(job.pk),
        )
        .order_by("pk")
        .first()
    )
    if event is None:
        event = record(
            SCOPE_ACTIONS[job.scope],
            actor=job.requested_by,
            obj=job,
            detail=audit_detail(job),
        )
    return event


def forget_exported(job: ExportJob) -> None:
    """Remove the record of a failed job's rows: its file was deleted before anyone could
    download it, so no number went out. The one delete the table's retention trigger lets
    through (ExportedApplication: the rows of a job that failed and names no file)."""
    if not job.holds_numbers:
        return
    rows = ExportedApplication.objects.filter(
        event__object_type=ExportJob._meta.label_lower, event__object_id=str(job.pk)
    )
    rows.delete()


def claim_next() -> ExportJob | None:
    """The oldest queued job, now running and this worker's: a job another worker claimed
    first (the conditional UPDATE found it running) is skipped."""
    queued = ExportJob.objects.filter(status=ExportJob.Status.QUEUED).order_by("created_at", "pk")
    for pk in queued.values_list("pk", flat=True)[:10]:
        now = timezone.now()
        claimed = ExportJob.objects.filter(pk=pk, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.RUNNING, started_at=now, updated_at=now
        )
        if claimed:
            return ExportJob.objects.select_related("requested_by").get(pk=pk)
    return None


def run_job(job: ExportJob) -> None:
    """Write a claimed job's file (the worker's side). The rows are counted again: an export
    that grew past EXPORT_MAX_ROWS since it was asked for fails with the same message. On any
    other error the job is marked failed and the error raised again (the worker stops, as the
    SMS worker does on a bug). Either way no part of its file is left in the storage."""
    target = f"{EXPORT_FOLDER}/{job.pk}-{secrets.token_hex(8)}.xlsx"
    try:
        filterset = pool_filter(job.requested_by, job.params)
        rows = pool_rows(filterset)
        total = rows.order_by().count()
        refused = count_message(total)
        if refused:
            _finish(job, ExportJob.Status.FAILED, error=refused)
            return
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total, updated_at=timezone.now())
        job.rows_total = total
        block = title_block(
            user=job.requested_by,
            filter_text=job.filter_text,
            count=total,
            scope=job.scope,
            reason=job.reason,
            at=job.created_at,
        )

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done, updated_at=timezone.now())

        # 含敏感信息, 含联系方式: who was in the file, batch by batch as the rows are written,
        # kept after the file and the job are gone (ExportedApplication).
        on_batch = record_exported(export_event(job)) if job.holds_numbers else None
        with tempfile.TemporaryFile(suffix=".xlsx") as scratch:
            written = write_expert_list(
                scratch,
                title_block=block,
                applications=rows,
                scope=job.scope,
                on_progress=progress,
                on_batch=on_batch,
            )
            scratch.seek(0)
            name = default_storage.save(target, File(scratch))
        _finish(job, ExportJob.Status.DONE, file_name=name, rows_done=written)
    except Exception as error:
        logger.exception("export job %s failed", job.pk)
        # A disk that filled up part-way leaves the part written: no job would ever name it.
        # Removed before the job's row is written, which a database gone away cannot do.
        _delete_file(target)
        message = "导出时出错，请重新导出；仍不成功请联系运维人员。"
        if isinstance(error, OSError):  # the disk (full, read-only), not this job's data
            message = NOT_STORED
        _finish(job, ExportJob.Status.FAILED, error=message)
        forget_exported(job)
        raise


def _delete_file(name: str) -> None:
    """Delete `name` from the storage if it is there; a disk that refuses even that is logged
    (the sweep tries again: delete_orphans), so that the job is still marked failed."""
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        logger.warning("could not delete the export file %s", name, exc_info=True)


def stalled(job: ExportJob, now=None) -> bool:
    """Whether `job` runs but has written no progress for STALLED_AFTER: its worker may have
    stopped (the sweep of a worker still running fails it after STALE_AFTER)."""
    now = now or timezone.now()
    return job.status == ExportJob.Status.RUNNING and job.updated_at < now - STALLED_AFTER


def _finish(job: ExportJob, status: str, **fields) -> None:
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=status, finished_at=now, updated_at=now, **fields
    )
    job.refresh_from_db()


def sweep(now=None) -> dict[str, int]:
    """The worker's housekeeping: delete the files older than EXPORT_KEEP_HOURS (the job is
    then 已过期) and the files no job names (delete_orphans), and mark failed the running jobs
    whose progress stopped (STALE_AFTER)."""
    now = now or timezone.now()
    stale = ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, updated_at__lt=now - STALE_AFTER
    ).update(
        status=ExportJob.Status.FAILED,
        finished_at=now,
        updated_at=now,
        error="导出中断（导出程序已停止），请重新导出。",
    )
    old = ExportJob.objects.filter(
        status=ExportJob.Status.DONE,
        finished_at__lt=now - timedelta(hours=settings.EXPORT_KEEP_HOURS),
    )
    expired = 0
    for job in old:
        if job.file_name:
            default_storage.delete(job.file_name)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).update(
            status=ExportJob.Status.EXPIRED, file_name="", updated_at=now
        )
    return {"stale": stale, "expired": expired, "orphans": delete_orphans(now)}


def delete_orphans(now) -> int:
    """Delete the files in EXPORT_FOLDER that no job names and that are older than
    ORPHAN_AFTER: what a job that failed part-way left (a full disk, a database gone away before
    the job recorded its file). Returns how many it deleted."""
    try:
        _, files = default_storage.listdir(EXPORT_FOLDER)
    except FileNotFoundError:
        return 0  # no export yet
    except OSError:
        # An unreadable folder is the host's to mend; the worker goes on with its queue.
        logger.warning("could not list %s for files no job names", EXPORT_FOLDER, exc_info=True)
        return 0
    old = []
    for file in files:
        name = f"{EXPORT_FOLDER}/{file}"
        try:
            if default_storage.get_modified_time(name) < now - ORPHAN_AFTER:
                old.append(name)
        except FileNotFoundError:
            continue  # deleted meanwhile (another worker's sweep)
    named = set(ExportJob.objects.filter(file_name__in=old).values_list("file_name", flat=True))
    orphans = [name for name in old if name not in named]
    for name in orphans:
        logger.warning("deleting export file %s: no export job names it", name)
        _delete_file(name)
    return len(orphans)


def purge_jobs(before) -> int:
    """Delete the export jobs created before `before` that are over and hold no file (导出失败,
    已过期): never one queued or running, nor a finished one whose file the worker has not yet
    deleted (sweep). Returns how many it deleted. Each export's audit event (导出专家名单)
    keeps who exported what, with its own retention (docs/audit.md)."""
    over = ExportJob.objects.filter(
        created_at__lt=before,
        status__in=[ExportJob.Status.FAILED, ExportJob.Status.EXPIRED],
        file_name="",
    )
    return over.delete()[1].get(ExportJob._meta.label, 0)


def run_pending() -> dict[str, int]:
    """One round of the worker: housekeeping, then every queued job in turn. Returns how many
    jobs it ran (`exports`) and how many of them failed on the disk (`failed`): such a job is
    marked failed (run_job) and the next one is run, as the disk may have room again (a
    smaller export, a file deleted). Any other error stops the round."""
    sweep()
    ran = failed = 0
    while (job := claim_next()) is not None:
        ran += 1
        try:
            run_job(job)
        except OSError:
            # Logged and recorded on the job by run_job.
            failed += 1
    return {"exports": ran, "failed": failed}


def download_name(job: ExportJob) -> str:
    at = timezone.localtime(job.created_at)
    whole = {Scope.FULL: "（含敏感信息）", Scope.CONTACT: "（含联系方式）"}.get(job.scope, "")
    return f"专家名单{whole}-{at:%Y%m%d-%H%M}.xlsx"
