"""导出Excel from 专家库: the confirmation page (导出专家名单), the job's progress page, and the
download of its file (experts.exports does the work). Bureau reviewers only; a job and its file
are their requester's alone (anyone else: 404)."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import is_bureau_reviewer
from experts.exports import (
    COLUMNS,
    ExportRefused,
    count_message,
    download_name,
    filter_in_words,
    pool_filter,
    pool_params,
    pool_rows,
    request_pool_export,
    scope_note,
    stalled,
)
from experts.models import ExportJob
from portal.forms import PortalFormMixin
from portal.views import PAGE_SIZE, posted, role_required, search_term
from portal.xlsx import CONTENT_TYPE


class ExportForm(PortalFormMixin, forms.Form):
    """Which numbers the file holds whole (ExportJob.Scope) and, with any, the reason
    (recorded in the audit trail). The least is the default: nothing whole."""

    printed_once = True  # the same for everyone: portal.jinja2.crispy

    scope = forms.ChoiceField(
        label="导出的敏感信息",
        choices=[
            (ExportJob.Scope.MASKED, "不含敏感信息"),
            (ExportJob.Scope.CONTACT, "含联系方式（手机号码，不含证件号码和银行账号）"),
            (ExportJob.Scope.FULL, "含敏感信息（证件号码、银行账号、手机号码）"),
        ],
        initial=ExportJob.Scope.MASKED,
        # Not posted (an old form, a script): the least, never more than was asked for.
        required=False,
        widget=forms.RadioSelect,
        help_text="不含敏感信息时，证件号码、银行账号、手机号码脱敏显示（如 4201**********1234），"
        "出生日期只显示年份。组织评审需要电话联系专家时，选择“含联系方式”：只有手机号码完整导出。"
        "选择含联系方式或含敏感信息的，须填写理由，导出人、理由和名单中的专家记入审计记录。",
        error_messages={"invalid_choice": "请从列表中选择导出的敏感信息。"},
    )
    reason = forms.CharField(
        label="理由",
        max_length=100,
        required=False,
        help_text="选择含联系方式或含敏感信息时必填，例如“组织项目评审，电话通知抽中专家”。",
    )

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or ExportJob.Scope.MASKED

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope")
        whole = scope in (ExportJob.Scope.CONTACT, ExportJob.Scope.FULL)
        if whole and not cleaned.get("reason", "").strip():
            label = "含联系方式" if scope == ExportJob.Scope.CONTACT else "含敏感信息"
            self.add_error("reason", f"选择“{label}”时，请填写理由。")
        return cleaned


@never_cache
@role_required(is_bureau_reviewer)
def pool_export(request):
    """导出专家名单: 专家库's rows through the page's own filter (its query string), counted and
    said in words; 导出 queues the job and shows its progress. Over EXPORT_MAX_ROWS: refused,
    with the count. GET shows the page; POST (the same URL and query string) asks."""
    params = pool_params(request.GET, search_term(request))
    filterset = pool_filter(request.user, params)
    form = ExportForm(*posted(request))
    refused = ""
    if form.is_bound and form.is_valid():
        try:
            job = request_pool_export(
                request.user,
                params,
                scope=form.cleaned_data["scope"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ExportRefused as error:
            refused = str(error)
        else:
            return redirect("experts:export_job", job.pk)
    count = pool_rows(filterset).order_by().count()
    refused = refused or count_message(count)
    pool_url = reverse("experts:pool") + (f"?{params}" if params else "")
    context = {
        "form": form,
        "count": count,
        "filter_text": filter_in_words(filterset),
        # Named as the pool page names them: the export leaves them out too.
        "ignored": filterset.ignored(),
        "refused": refused,
        "pool_url": pool_url,
        "keep_hours": settings.EXPORT_KEEP_HOURS,
        # The sheet's own headers, so that the page names every column it will hold.
        "columns": [header for header, _ in COLUMNS],
    }
    status = 400 if form.is_bound else 200
    return render(request, "experts/export_confirm.html", context, status=status)


@never_cache
@require_safe
@role_required(is_bureau_reviewer)
def export_list(request):
    """我的导出: the reviewer's own exports, newest first, each with its state and, while kept,
    its file: where to come back for one that took a while."""
    jobs = ExportJob.objects.filter(requested_by=request.user).order_by("-created_at", "-pk")
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": page.object_list, "keep_hours": settings.EXPORT_KEEP_HOURS}
    return render(request, "experts/export_list.html", context)


def _own_job(request, pk) -> ExportJob:
    return get_object_or_404(ExportJob.objects.filter(requested_by=request.user), pk=pk)


@never_cache
@require_safe
@role_required(is_bureau_reviewer)
def export_job(request, pk):
    """The job's progress (排队中, 正在导出 n / N, 已完成 with the download, or why it failed).
    static/js/export-progress.js refreshes it every second; without script, 刷新 does."""
    job = _own_job(request, pk)
    keep = timedelta(hours=settings.EXPORT_KEEP_HOURS)
    context = {
        "job": job,
        "keep_hours": settings.EXPORT_KEEP_HOURS,
        "expires_at": job.finished_at + keep if job.finished_at else None,
        "stalled": stalled(job),
        "scope_note": scope_note(job.scope, job.reason),
    }
    return render(request, "experts/export_job.html", context)


@never_cache
@require_safe
@role_required(is_bureau_reviewer)
def export_download(request, pk):
    """The job's file, to its requester, while it is kept."""
    job = _own_job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file_name:
        raise Http404
    response = FileResponse(
        default_storage.open(job.file_name, "rb"),
        as_attachment=True,
        filename=download_name(job),
        content_type=CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response
