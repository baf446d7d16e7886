import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Blacklist
from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from audit.log import record
from audit.models import AuditEvent
from changes import selectors as change_selectors
from draws.models import Event
from draws.selectors import (
    expert_evaluations,
    own_draws,
    own_draws_as_told,
    reviews_ahead,
    year_counts,
    year_draws,
)
from experts import counts, periods, reveal, services, snapshots
from experts.attachments import MAX_FILES
from experts.choices import TitleLevel
from experts.facets import TOP_UNITS, pool_facets
from experts.filters import PeopleFilter, PoolFilter, QueueFilter
from experts.forms import (
    ApplicationReasonForm,
    AttachmentForm,
    CommentForm,
    ExpertApplicationForm,
    GiveConsentForm,
    RemovalForm,
)
from experts.models import (
    ACTIONS_WITH_REASON,
    ADMITTED,
    ANSWERING_ACTIONS,
    EDITABLE,
    IN_POOL,
    IN_REVIEW,
    ApplicationStatus,
    ExpertApplication,
)
from experts.permissions import can_view_content, hidden_content_note, reveal_refusal
from experts.reveal import RevealForm, labels_of, revealable
from experts.rules import CONSENT_VERSION, consent_text
from experts.selectors import (
    applications_for,
    attachments_for,
    discipline_choices,
    discipline_tree,
    history_of,
    own_application,
    review_queue,
    with_columns,
    with_resubmitted,
)
from notice import periods as notice_periods
from notice.forms import RevokeForm
from notice.views import panel_context
from portal import uploads
from portal.bulk import bulk_decisions
from portal.filters import ALL
from portal.templating import may
from portal.transitions import Action, decisions, empty_forms
from portal.views import list_page, perform, posted, role_required
from portal.workflow import WorkflowError

# What each list prints of a row (its template), and nothing more (experts.selectors).
# returned_at, revising_at and unfreezing: status_badge shows 已退回（待修改） in place of the
# status, or 修改中（曾审核不通过） or 申请解冻 beside it; due_on: 截止日期.
PEOPLE_COLUMNS = (
    "status",
    "returned_at",
    "revising_at",
    "unfreezing",
    "due_on",
    "real_name",
    "username",
    "title",
    "mobile",
    "updated_at",
    "eligibility_flags",  # 资格提示 beside the name
)
QUEUE_COLUMNS = (
    "status",
    "returned_at",
    "revising_at",
    "unfreezing",
    "due_on",
    "real_name",
    "unit_name",
    "title",
    "title_level",
    "submitted_at",  # the time of a row still with its unit
    "recommended_at",
    "decided_at",
    "eligibility_flags",  # 资格提示 beside the name
)
# 专家审核's time column by tab: what the tab's rows are waiting on or were decided by. The
# list keeps its one order (单位推荐时间, oldest first) on every tab but 待申请人修改, which runs
# newest first by the time it shows (experts.filters.QueueFilter.RETURNED_ORDER).
QUEUE_TIMES = {
    # Waiting for its unit: the step's clock started at the 提交 (found by a walk: the column
    # read 单位推荐时间, "—" on every row).
    ApplicationStatus.PENDING_UNIT: ("提交时间", "submitted_at"),
    ApplicationStatus.DRAFT: ("退回时间", "returned_at"),
    ApplicationStatus.REJECTED: ("审核时间", "decided_at"),
    ApplicationStatus.APPROVED: ("入库时间", "decided_at"),
    ApplicationStatus.FROZEN: ("入库时间", "decided_at"),
    ApplicationStatus.EXIT_PENDING: ("入库时间", "decided_at"),
    ApplicationStatus.EXITED: ("入库时间", "decided_at"),
}
# The lists' orders, which their batches' confirmation pages follow.
PEOPLE_ORDER = ["-updated_at", "-pk"]
QUEUE_ORDER = ["recommended_at", "pk"]
# 专家库's 全部: every admitted expert (PoolFilter keeps to IN_POOL), as 统计分析 words it.
POOL_ALL_LABEL = "审核通过、已冻结"
POOL_COLUMNS = (
    *("real_name", "unit_name", "title", "title_level", "current_specialty", "decided_at"),
    "status",
)


def _field_filters(filterset) -> dict:
    """专业领域 and 职称级别 as 专家审核 and 用户账号管理 offer them beside the search box
    (includes/status_tabs.html): the classification (from the cache, as 专家库's), the levels,
    what is chosen, and the chosen in words for an empty list's message."""
    chosen = filterset.form.cleaned_data
    discipline, level = chosen.get("discipline") or "", chosen.get("title_level") or ""
    words = []
    if discipline:
        words.append(f"专业领域：{dict(discipline_choices())[int(discipline)]}")
    if level:
        words.append(f"职称级别：{TitleLevel(level).label}")
    return {
        "disciplines": discipline_tree(),
        "levels": TitleLevel.choices,
        "discipline": discipline,
        "title_level": level,
        "words": words,
    }


def _shown(*columns):
    return lambda applications: with_columns(applications, *columns)


def _queue_rows(*columns):
    """A queue's rows (专家审核, 用户账号管理), each marked 重新提交 where it is one."""
    return lambda applications: with_resubmitted(with_columns(applications, *columns))


def _own_application(request):
    """The applicant's own application (the views are the applicants'), with its `user` the
    request's, loaded already with the unit."""
    application = own_application(request.user)
    if application is None:
        raise Http404
    return application


def _latest_reason(history):
    """The reason the person is still answering (退回, 审核不通过, 不予解冻, 出库 …): the newest
    one given since their own last step that answers it (提交, 申请解冻, 重新申请; reopening
    the form with 修改专家信息 does not)."""
    for row in history:
        if row.action in ACTIONS_WITH_REASON:
            return row
        if row.action in ANSWERING_ACTIONS:
            return None
    return None


def _consent_withdrawn(application, history):
    """The 撤回同意 row when the person's last step was withdrawing the consent before
    admission and they have not agreed again since: the page says so, not 修改并重新提交 as
    after a 退回. None otherwise."""
    if application.status != ApplicationStatus.DRAFT or application.consent_at is not None:
        return None
    if history and history[0].action == "withdraw_application":
        return history[0]
    return None


def _answered(history):
    """The 退回 or 审核不通过 (or 撤销入库) the latest 提交 in `history` (newest first)
    answers: the reason given before it, since the 提交 before that. None for a first 提交."""
    for n, row in enumerate(history):
        if row.action == "submit":
            return _latest_reason(history[n + 1 :])
    return None


@role_required(is_applicant)
def applicant_home(request):
    """The applicant's start page: 专家状态, the one next step (申请成为专家, 继续填写,
    修改并重新提交, 修改专家信息), the reason being answered, and the decision history."""
    application = _own_application(request)
    # Every transition starts with 提交, which sets submitted_at: before it, no history to read;
    # but an expert imported from the previous system (历史数据导入) was decided without one.
    history = (
        list(history_of(application)) if application.submitted_at or application.decided_at else []
    )
    # A draft (first, after 退回, or opened again by 重新申请) says how much 提交 still asks
    # for, in the words of the refusal 提交 itself would give: whenever the page says it
    # (applicant_home.html, the same condition).
    missing = (
        services.missing_for_submission(application)
        if application.editable and (application.submitted_at or application.draft_saved_at)
        else []
    )
    withdrawn = _consent_withdrawn(application, history)
    return render(
        request,
        "experts/applicant_home.html",
        {
            "application": application,
            "history": history,
            # A 退回 or 审核不通过 before the withdrawal no longer asks anything of the person:
            # that review ended with it (ExpertApplication.withdraw_application).
            "latest_reason": None if withdrawn else _latest_reason(history),
            "consent_withdrawn": withdrawn,
            "missing": missing,
            # Only the draws this expert was chosen for: time, place and state, no project. Only
            # one decided at some time (decided_at stays) can have been drawn, but whatever the
            # state now: an admission revoked after a draw (撤销入库), or an expert who left and
            # applies again, still sees the reviews they were texted about.
            "draws": (draws := own_draws_as_told(application) if application.decided_at else []),
            # 申请退出 names the reviews still ahead that the expert is expected at.
            "reviews_ahead": reviews_ahead(draws),
            # An admitted expert's 信息变更: the open request and the latest changes.
            "my_changes": change_selectors.for_home(application),
            # 下载入库证明 waits for the end of a 公示期 still under way (certificates.services).
            "on_notice": (
                notice_periods.running(application.decided_at)
                if application.status == ApplicationStatus.APPROVED
                else None
            ),
            **_departure(application, history),
        },
    )


def _departure(application, history) -> dict:
    """For an expert who has left: whether the bureau took them out (出库) rather than
    confirming their own exit, and the 禁入 that bars 重新申请 (told them by SMS at 出库)."""
    if application.status != ApplicationStatus.EXITED:
        return {"removed": False, "ban": None}
    return {
        "removed": bool(history) and history[0].action == "remove",
        "ban": Blacklist.in_force(application.user.id_number_indexes),
    }


def _attachments(application) -> list:
    """The application's 证明材料, oldest first: one query, however many there are."""
    return list(application.attachments.order_by("uploaded_at", "pk"))


def _render_form(request, form, status=200, version=None, attachment_form=None):
    application = form.instance
    context = {
        "form": form,
        "attachments": _attachments(application),
        "attachment_form": attachment_form or AttachmentForm(),
        "max_attachments": MAX_FILES,
        "version": version or services.draft_version(application),
        "stale": status == 409,
        # The manual's title for a first application; after a 退回 or 审核不通过 it is a 修改.
        "form_title": "专家信息管理-" + ("修改" if application.submitted_at else "新增"),
        "latest_reason": _latest_reason(history_of(application)),
    }
    return render(request, "experts/application_form.html", context, status=status)


@role_required(is_applicant)
def application_form(request):
    """专家信息管理-新增: 保存草稿 any number of times, 提交 when complete; read-only after."""
    application = _own_application(request)
    if not application.editable:
        if request.method == "POST":
            # A stale tab or a double click after 提交: say why nothing was saved.
            hint = (
                "请先在首页点击“修改专家信息”。"
                if application.status == ApplicationStatus.REJECTED
                else "信息已提交，不能再修改或提交。"
            )
            messages.error(request, f"专家状态为“{application.get_status_display()}”，{hint}")
            return redirect("experts:home")
        # After 审核不通过, the reviewer's field comments beside the rows they are about.
        context = {
            "application": application,
            "latest_reason": _latest_reason(history_of(application)),
            "attachments": _attachments(application),
        }
        return render(request, "experts/application_readonly.html", context)
    submitting = request.POST.get("action") == "submit"
    form = ExpertApplicationForm(*posted(request), instance=application, for_submission=submitting)
    if request.method != "POST":
        return _render_form(request, form)

    valid = form.is_valid()
    # Whatever is well formed is kept, even when other fields fail: nothing typed is lost.
    try:
        saved = services.save_draft(
            application,
            request.user,
            form.valid_values(),
            form.cleaned_data.get("disciplines") if "disciplines" not in form.errors else None,
            # A form from before the version was carried sends none: not checked.
            seen=request.POST.get("version"),
        )
    except services.StaleDraft as error:
        # Shown again as typed, now carrying the saved draft's version: sent again, it wins.
        messages.error(request, str(error))
        return _render_form(request, form, status=409, version=error.version)
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect("experts:home")
    # The page shown again (errors, a refused 提交) carries the draft just saved.
    application.draft_saved_at = saved.draft_saved_at
    if not valid:
        messages.error(request, "表单有误，请按提示修改。已填写的正确内容已保存为草稿。")
        return _render_form(request, form, status=400)
    if not submitting:
        messages.success(request, "草稿已保存，可随时回来继续填写。")
        return redirect("experts:form")
    if perform(
        request,
        services.submit_application,
        application,
        request.user,
        success="已提交，专家状态变更为“待单位推荐”，请等待单位审核推荐。",
    ):
        return redirect("experts:home")
    # Submitted meanwhile (a double click)? Then the home page shows the status it reached.
    # (A fresh query: django-fsm's refresh_from_db toggles a class attribute, unsafe in threads.)
    status = ExpertApplication.objects.filter(pk=application.pk).values_list("status", flat=True)
    if status.get() not in EDITABLE:
        return redirect("experts:home")
    return _render_form(request, form, status=400)


@require_POST
@role_required(is_applicant)
def attachment_upload(request):
    """上传证明材料: one file and its kind, on a form of its own (the long form's typing is
    neither saved nor lost: static/js/portal.js keeps it in the browser before the page goes).
    A refused file shows the form page again with the reason beside the file box."""
    application = _own_application(request)
    form = AttachmentForm(request.POST, request.FILES)
    try:
        # The state first: a file sent while under review is refused for that, whatever it is.
        services.check_attachments_changeable(application, request.user)
        if form.is_valid():
            added = services.add_attachment(
                application, request.user, form.cleaned_data["kind"], form.cleaned_data["file"]
            )
            messages.success(request, f"证明材料“{added.original_name}”已上传。")
            return redirect(reverse("experts:form") + "#attachments")
    except WorkflowError as error:
        messages.error(request, f"证明材料未上传：{error}")
        if not application.editable:
            return redirect("experts:form")
        return _render_form(request, _long_form(application), status=400, attachment_form=form)
    errors = "".join(error for errors in form.errors.values() for error in errors)
    messages.error(request, f"证明材料未上传：{errors}")
    return _render_form(request, _long_form(application), status=400, attachment_form=form)


def _long_form(application):
    """The long form as saved, for a page shown again after an upload was refused."""
    return ExpertApplicationForm(instance=application)


@require_POST
@role_required(is_applicant)
def attachment_delete(request, pk):
    """删除证明材料 (asked first on the page): the applicant's own, while editable."""
    # The applicant's scope (applications_for): another's file, or none, is a 404.
    attachment = get_object_or_404(attachments_for(request.user), pk=pk)
    if perform(
        request,
        services.delete_attachment,
        attachment,
        request.user,
        success=f"证明材料“{attachment.original_name}”已删除。",
    ):
        return redirect(reverse("experts:form") + "#attachments")
    return redirect("experts:form")


@login_required
def attachment_download(request, pk):
    """One 证明材料, to whoever may read its application's content: its applicant, their
    unit (专家信息查看's scope) and the bureau; anyone else, or a draft never submitted to
    anyone but its owner, a 404. Never a public URL. Opening someone else's is audited."""
    attachment = get_object_or_404(attachments_for(request.user), pk=pk)
    application = attachment.application
    if not can_view_content(application, request.user):
        raise Http404
    response = uploads.scan_response(
        attachment.file,
        filename=attachment.original_name,
        missing="证明材料文件不存在，请联系科技局。",
    )
    if application.user_id != request.user.pk:
        record(
            AuditEvent.Action.ATTACHMENT_DOWNLOAD,
            request=request,
            obj=application,
            detail=f"{attachment.get_kind_display()}（编号{attachment.pk}）",
        )
    return response


@require_POST
@role_required(is_applicant)
def revise(request):
    """After 审核不通过: reopen the form to correct it and submit again."""
    application = _own_application(request)
    perform(
        request,
        services.revise_application,
        application,
        request.user,
        success="已重新打开专家信息，修改后请再次提交。",
    )
    return redirect("experts:form")


@role_required(is_approved_unit_account)
def unit_people(request):
    """用户账号管理: the unit's own people with their 专家状态."""
    context = list_page(
        request,
        applications_for(request.user),
        PeopleFilter,
        default_status=ALL,
        counts=lambda: counts.for_unit(request.user.unit_id),
        order_by=PEOPLE_ORDER,
        shown=_queue_rows(*PEOPLE_COLUMNS),
    )
    context["returned"] = context["filter"].returned_only()
    # The time column: 更新时间, the list's order; 退回时间 where only returned drafts are
    # listed, newest 退回 first (PeopleFilter.ordering).
    context["time_label"], context["time_field"] = (
        ("退回时间", "returned_at") if context["returned"] else ("更新时间", "updated_at")
    )
    context["field_filters"] = _field_filters(context["filter"])
    context["eligibility"] = context["filter"].form.cleaned_data.get("eligibility") or ""
    # 信息变更: requests waiting for this unit, and its experts asking to move away.
    context["unit_changes"] = {
        "waiting": change_selectors.waiting_count(request.user),
        "moving_away": change_selectors.moving_away(request.user.unit_id),
    }
    return render(request, "experts/unit_people.html", context)


# The decisions of 专家信息查看 (the unit's) and of 专家审核 (the bureau's), each posted to its
# own URL and done by portal.transitions.TransitionView: adding one is a row here and a URL.
UNIT_DECISIONS = {
    "recommend": Action(
        is_approved_unit_account,
        CommentForm,
        services.recommend_application,
        "已推荐{obj.user.real_name}，专家状态变更为“待科技局审核”。",
    ),
    "send_back": Action(
        is_approved_unit_account,
        ApplicationReasonForm,
        services.return_application,
        "已退回{obj.user.real_name}的专家信息，申请人将看到退回理由。",
    ),
}
BUREAU_DECISIONS = {
    "approve": Action(
        is_bureau_reviewer,
        CommentForm,
        services.approve_application,
        "{obj.user.real_name}的{obj.request_noun}已审核通过，短信通知将在几秒内发给申请人。",
    ),
    "reject": Action(
        is_bureau_reviewer,
        ApplicationReasonForm,
        services.reject_application,
        "{obj.user.real_name}的{obj.request_noun}审核不通过，短信通知将在几秒内发给申请人。",
    ),
    # After admission: the expert's 申请退出 confirmed, or a removal by the bureau.
    "confirm_exit": Action(
        is_bureau_reviewer,
        CommentForm,
        services.confirm_exit,
        "已确认{obj.user.real_name}退出专家库，短信通知将在几秒内发出。",
    ),
    "remove": Action(
        is_bureau_reviewer,
        RemovalForm,
        services.remove_application,
        "已将{obj.user.real_name}移出专家库，短信通知将在几秒内发出。",
    ),
}
# 撤销入库（公示异议）, on the same detail page but at a URL of its own: not one of 专家审核's
# bulk actions (bureau_bulk offers 审核通过 and 审核不通过 of BUREAU_DECISIONS).
NOTICE_DECISIONS = {
    "revoke": Action(
        is_bureau_reviewer,
        RevokeForm,
        services.revoke_admission,
        "已撤销{obj.user.real_name}的入库，专家状态变更为“审核不通过”，短信通知将在几秒内发给申请人。",
    ),
}


def _detail_page(template, decisions, detail_url, reveal_url, extra=None):
    """A detail page (`detail_url`, its URL's name, which its links name too: after a form's
    errors the page stands at the form's POST-only URL): the application, its history, and
    a form per decision (`posted` has
    those sent back with errors, by action). The 证件号码 and 银行账号 are masked; `revealed`
    names those 查看完整信息 (`reveal_url`) shows in full in this one response, checked and
    audited by the reveal view; `reveal` is its form sent back with errors. `extra(application,
    viewer)` adds to the context (the bureau's 公示与异议)."""

    def render_detail(
        request, application, posted=None, status=200, *, reveal=None, revealed=frozenset()
    ):
        show_content = can_view_content(application, request.user)
        # The numbers still masked, offered by 查看完整信息. A GET shows none whole, so it
        # writes no audit row: the reveal view does, when someone asks and says why.
        still_masked = [
            choice
            for choice in (revealable(application, request.user) if show_content else [])
            if choice[0] not in revealed
        ]
        # The bureau needs to know which reviewer decided; applicants and units see roles only
        # (and a unit by its name: TransitionRecord.actor_label).
        show_actor_names = is_bureau_reviewer(request.user)
        revealed_labels = labels_of(revealed)
        # A resubmission waiting for a decision: what changed against the submission before
        # it. Not once returned (the page shows the draft being revised, not the submission),
        # once decided, nor for a 申请解冻 (no submission waits).
        submissions = (
            snapshots.last_two_submissions(application)
            if show_content and application.status in IN_REVIEW and not application.unfreezing
            else None
        )
        comparable = submissions is not None and None not in submissions
        history = list(history_of(application))
        # What the 退回 or 审核不通过 the resubmission answers asked, read from the history
        # the page shows anyway: no query of its own.
        asked = _answered(history) if submissions is not None else None
        context = {
            "application": application,
            "changes": snapshots.compare(
                *submissions,
                frozenset(revealed_labels),
                asked.comments_by_label() if asked else None,
            )
            if comparable
            else None,
            "changes_not_kept": submissions is not None and not comparable,
            "asked": asked,
            "only_changes": request.GET.get("changes") == "only",
            "history": history,
            "show_content": show_content,
            "hidden_note": "" if show_content else hidden_content_note(application),
            # 证明材料 with the content they prove, and only then: one query for all.
            "attachments": _attachments(application) if show_content else [],
            "show_actor_names": show_actor_names,
            "forms": empty_forms(decisions) | (posted or {}),
            "revealed": revealed,
            "revealed_labels": revealed_labels,
            "reveal_form": reveal or (RevealForm(choices=still_masked) if still_masked else None),
            # Where the form would be: why it is not offered (consent withdrawn, …).
            "reveal_refusal": reveal_refusal(application, request.user) if show_content else "",
            "reveal_url": reverse(reveal_url, args=[application.pk]),
            "detail_url": reverse(detail_url, args=[application.pk]),
        }
        if extra is not None:
            context.update(extra(application, request.user))
        return render(request, template, context, status=status)

    return render_detail


def _reveal(request, pk, detail):
    """查看完整信息 on a detail page (experts.reveal.answer)."""
    application = get_object_or_404(applications_for(request.user), pk=pk)
    return reveal.answer(
        request,
        revealable(application, request.user),
        application,
        functools.partial(detail, request, application),
    )


def _unit_extra(application, _viewer) -> dict:
    """An admitted expert's 公示期 still under way, which the unit would otherwise learn of
    only from the public page (found by a unit's walk)."""
    approved = application.status == ApplicationStatus.APPROVED
    return {"on_notice": notice_periods.running(application.decided_at) if approved else None}


_unit_detail = _detail_page(
    "experts/unit_detail.html",
    UNIT_DECISIONS,
    "experts:unit_detail",
    "experts:unit_reveal",
    _unit_extra,
)


def _bureau_extra(application, viewer) -> dict:
    """公示与异议 (notice), and for an admitted expert, whom 确认退出 or 出库 would take out of
    the pool, the reviews they are still down for (not declined, not yet held): each draw
    then needs a 不参加 and a 补抽; and for one in the pool, the 变更申请 that 出库 or 撤销入库
    would withdraw."""
    context = panel_context(application)
    # An admitted expert is found in 专家库, anyone else in 专家审核: the way back names it.
    context["in_pool"] = application.status in IN_POOL
    # 本年度抽中次数, as the yearly cap counts it, with the draws behind it: for an expert in
    # the pool, and for anyone drawn before (since gone, or revoked).
    drawn = year_draws(viewer, application)
    shown = drawn is not None and (application.status in ADMITTED or drawn.last is not None)
    context["year_draws"] = drawn if shown else None
    # 评价记录: how the expert did at the reviews they sat (专家评价), for anyone drawn before.
    context["evaluation_record"] = expert_evaluations(viewer, application) if shown else None
    # An admission revoked (审核不通过 after 审核通过) may have been drawn too.
    if application.status in (*ADMITTED, ApplicationStatus.REJECTED):
        now = timezone.now()
        context["coming_reviews"] = [
            (pick, state)
            for pick, state in own_draws(application)
            if not pick.draw.voided
            and state != Event.Action.DECLINE.label
            and pick.draw.review_at >= now
        ]
    # 出库 with 禁入: until when the ID number may not apply again (admin's 禁入名单 keeps it).
    context["ban"] = (
        Blacklist.in_force(application.user.id_number_indexes)
        if application.status == ApplicationStatus.EXITED
        else None
    )
    context["open_change"] = (
        change_selectors.open_request(application) if application.status in ADMITTED else None
    )
    return context


_bureau_detail = _detail_page(
    "experts/bureau_detail.html",
    BUREAU_DECISIONS | NOTICE_DECISIONS,
    "experts:bureau_detail",
    "experts:bureau_reveal",
    extra=_bureau_extra,
)


@role_required(is_approved_unit_account)
def unit_detail(request, pk):
    """专家信息查看: the read-only form, with 提交 (recommend) and 退回."""
    return _unit_detail(request, get_object_or_404(applications_for(request.user), pk=pk))


# POST only; the action comes from the URL (experts/urls.py).
unit_decide = decisions(UNIT_DECISIONS, applications_for, _unit_detail, "experts:unit_detail")


# 查看完整信息: POST only, and never cached: the response holds whole numbers, and going back
# to the detail page shows them masked again.
@never_cache
@require_POST
@role_required(is_approved_unit_account)
def unit_reveal(request, pk):
    """The unit's 查看完整信息: the applicant's 证件号码 (experts.permissions)."""
    return _reveal(request, pk, _unit_detail)


@role_required(is_bureau_reviewer)
def bureau_queue(request):
    """专家审核: applications 待科技局审核, longest waiting first."""
    context = list_page(
        request,
        review_queue(request.user),
        QueueFilter,
        default_status=ApplicationStatus.PENDING_BUREAU,
        counts=counts.review_queue,  # the returned drafts' tab counts them alone
        overdue_counts=lambda: counts.overdue(QueueFilter.WAITING),
        order_by=QUEUE_ORDER,
        shown=_queue_rows(*QUEUE_COLUMNS),
    )
    context["eligibility"] = context["filter"].form.cleaned_data.get("eligibility") or ""
    context["field_filters"] = _field_filters(context["filter"])
    context["time_label"], context["time_field"] = QUEUE_TIMES.get(
        context["status"], ("单位推荐时间", "recommended_at")
    )
    # 截止日期 only where rows have one: the waiting tabs, and 全部 that holds them.
    context["due_column"] = context["status"] in (*QueueFilter.WAITING, ALL)
    context["changes_waiting"] = change_selectors.waiting_count(request.user)  # 信息变更审核
    return render(request, "experts/bureau_queue.html", context)


@role_required(is_bureau_reviewer)
def bureau_detail(request, pk):
    """专家审核's detail: the read-only form, with 审核通过 and 审核不通过."""
    return _bureau_detail(request, get_object_or_404(applications_for(request.user), pk=pk))


bureau_decide = decisions(
    BUREAU_DECISIONS, applications_for, _bureau_detail, "experts:bureau_detail"
)
bureau_revoke = decisions(
    NOTICE_DECISIONS, applications_for, _bureau_detail, "experts:bureau_detail"
)


@never_cache
@require_POST
@role_required(is_bureau_reviewer)
def bureau_reveal(request, pk):
    """The bureau's 查看完整信息: the 证件号码 and the 银行账号 (experts.permissions)."""
    return _reveal(request, pk, _bureau_detail)


@role_required(is_bureau_reviewer)
def expert_pool(request):
    """The expert pool (专家库): the approved experts, or the frozen ones (专家状态), filterable
    by 专业领域 (a field or a sub-field), 职称级别, 单位, 单位性质, 所在区, 年龄段 and the
    search box, each option with its count (experts.facets); a filter value none can take is
    named as ignored."""
    facets = {}
    # The kept status counts: the tabs' and the facets' cache key's, read once.
    kept = counts.current()

    def counted(filterset) -> dict[str, int]:
        # The page's count is the facets' (experts.facets.count_facets): not counted twice.
        facets.update(pool_facets(filterset, kept))
        return {option.value: option.n for option in facets["status"]}

    context = list_page(
        request,
        applications_for(request.user),  # PoolFilter keeps to the admitted (IN_POOL)
        PoolFilter,
        default_status=ApplicationStatus.APPROVED,
        counts=lambda: kept,
        narrowed_counts=counted,
        order_by=list(PoolFilter.DEFAULT_ORDER),
        shown=_shown(*POOL_COLUMNS),
    )
    filterset = context["filter"]
    chosen = {
        name: str(getattr(value, "pk", value))
        for name, value in filterset.form.cleaned_data.items()
        if value not in (None, "") and name not in ("status", "q")
    }
    context.update(
        facets=facets or pool_facets(filterset, kept),
        top_units=TOP_UNITS,
        chosen=chosen,
        frozen=ApplicationStatus.FROZEN,
        # 本年度抽中: the page's rows in one grouped query, as 专家详情 counts them.
        year_counts=year_counts(request.user, context["rows"]),
        # What the heading's count counts: 审核通过 alone by default, where 统计分析 counts
        # 专家库 as 审核通过 and 已冻结 (found by a reviewer's walk: 213 人 beside 217).
        counted_as=dict(PoolFilter.STATUSES).get(context["status"], POOL_ALL_LABEL),
        # 按当前条件抽取: a new draw from this list's filters (draws.forms.from_pool), for
        # those who may draw, once a filter a draw can take is chosen. Frozen experts are
        # never drawn: not offered from their tab. (Who may draw is asked last: a query.)
        draw_from_pool=context["status"] != ApplicationStatus.FROZEN
        and bool(chosen.keys() & DRAW_FILTERS)
        and is_bureau_reviewer(request.user),
    )
    return render(request, "experts/expert_pool.html", context)


# 专家库's filters a new draw takes as its own (draws.forms.from_pool).
DRAW_FILTERS = {"discipline", "title_level", "nature", "district", "age"}


def _names(applications):
    """`names` of a bulk decision: each application's pk, name, username, unit and 资格提示."""
    return applications.values_list(
        "pk", "user__real_name", "user__username", "user__unit__name", "eligibility_flags"
    )


def _with_flags(first: str, flags) -> str:
    """`first`, then any 资格提示 under their name (not run on after a unit's name)."""
    flagged = "资格提示：" + "、".join(flags) if flags else ""
    return "；".join(part for part in (first, flagged) if part)


def _unit_note(username, unit_name, flags) -> str:
    """Beside a name on 用户账号管理's confirmation page: the account, and any 资格提示."""
    return _with_flags(f"用户名 {username}", flags)


def _bureau_note(username, unit_name, flags) -> str:
    """Beside a name on 专家审核's confirmation page: the unit, and any 资格提示."""
    return _with_flags(unit_name or "", flags)


# 批量处理 on the queues: the same actions as the detail pages, each item through its service.
unit_bulk = bulk_decisions(
    actions=UNIT_DECISIONS,
    scope=applications_for,
    filters=PeopleFilter,
    status=ApplicationStatus.PENDING_UNIT,
    names=_names,
    order=PEOPLE_ORDER,
    note=_unit_note,
    list_url="experts:unit_people",
    detail_url="experts:unit_detail",
    noun="申请",
    measure="份",
    action_labels={"recommend": "提交", "send_back": "退回"},
    action_styles={"send_back": "btn-danger"},
    notes={
        "recommend": "已推荐至市科技局审核。",
        "send_back": "申请人将收到短信，并在其页面上看到退回理由。",
    },
)
bureau_bulk = bulk_decisions(
    # The decisions on 待科技局审核 only: 确认退出 and 出库 are one expert at a time.
    actions={name: BUREAU_DECISIONS[name] for name in ("approve", "reject")},
    scope=review_queue,  # 专家审核's own scope, as the list it acts on
    filters=QueueFilter,
    status=ApplicationStatus.PENDING_BUREAU,
    names=_names,
    order=QUEUE_ORDER,
    note=_bureau_note,
    list_url="experts:bureau_queue",
    detail_url="experts:bureau_detail",
    noun="申请",
    measure="份",
    action_labels={"approve": "审核通过", "reject": "审核不通过"},
    action_styles={"approve": "btn-success", "reject": "btn-danger"},
    notes=dict.fromkeys(["approve", "reject"], "短信通知将在几秒内陆续发给申请人。"),
)


# What an admitted (or departed) expert does from their home page: POST only, each through its
# service; the home page says what happened, or why not. "{months}" in a message is the
# confirmation period (experts.periods), filled in when the message is shown.
APPLICANT_ACTIONS = {
    "confirm": (services.confirm_information, "已确认您的专家信息，下次请在{months}个月内确认。"),
    "unfreeze": (services.request_unfreeze, "已提交解冻申请，市科技局审核通过后恢复。"),
    "exit": (services.request_exit, "已提交退出申请，市科技局确认后您将退出专家库。"),
    "withdraw_consent": (
        services.withdraw_consent,
        "已撤回敏感个人信息处理同意，并提交退出申请；市科技局确认后您将退出专家库。",
    ),
    "withdraw_exit": (services.withdraw_exit, "已撤回退出申请。"),
    "reapply": (services.reapply, "可以重新填写专家信息并提交入库申请。"),
}


@require_POST
@role_required(is_applicant)
def applicant_act(request, action):
    if action not in APPLICANT_ACTIONS:
        raise Http404
    service, done = APPLICANT_ACTIONS[action]
    application = _own_application(request)
    done = done.format(months=periods.CONFIRM_EVERY_MONTHS)
    perform(request, service, application, request.user, success=done)
    return redirect("experts:home")


@role_required(is_applicant)
def give_consent(request):
    """同意敏感个人信息处理, for an admitted expert who never gave it here (one imported from the
    previous system: experts.roster): the consent's text, as the form shows it, and a box to
    tick; only the POST with the box ticked acts (experts.services.give_consent), and it is
    recorded in the audit trail."""
    application = _own_application(request)
    if not application.may_give_consent:
        messages.info(request, "您无需在此同意敏感个人信息处理。")
        return redirect("experts:home")
    form = GiveConsentForm(*posted(request)[:1])
    if request.method == "POST" and form.is_valid():
        try:
            services.give_consent(application, request.user)
        except WorkflowError as refusal:
            messages.error(request, str(refusal))
        else:
            record(
                AuditEvent.Action.SENSITIVE_CONSENT,
                request=request,
                obj=application,
                detail=f"同意书版本：{CONSENT_VERSION}",
            )
            messages.success(request, "已同意敏感个人信息处理。")
        return redirect("experts:home")
    return render(
        request,
        "experts/give_consent.html",
        {"form": form, "consent": consent_text(CONSENT_VERSION)},
    )


# What 撤回同意 does before admission, said on its confirmation page, by the state it leaves.
WITHDRAW_CONSEQUENCES = {
    ApplicationStatus.PENDING_UNIT: "您的申请将撤回，不再等待单位推荐，",
    ApplicationStatus.PENDING_BUREAU: "您的申请将撤回，不再等待市科技局审核，",
    ApplicationStatus.REJECTED: "您审核不通过的申请将不再保留在审核中，",
    ApplicationStatus.DRAFT: "",
}


@never_cache
@role_required(is_applicant)
def withdraw_consent(request):
    """撤回同意 before admission (待单位推荐, 待科技局审核, 审核不通过, or a draft holding the
    consent): a GET asks, saying what follows; only the POST of that page's button
    (`confirmed`) acts, through experts.services.withdraw_application. An admitted expert's
    撤回同意并申请退出 is on the home page (applicant_act)."""
    application = _own_application(request)
    if not may(request.user, application, "withdraw_application"):
        messages.error(
            request, f"专家状态为“{application.get_status_display()}”，不能在此撤回同意。"
        )
        return redirect("experts:home")
    if request.method == "POST":
        if request.POST.get("confirmed") != "yes":
            messages.error(request, "请在本页确认后再撤回同意。")
            return redirect("experts:withdraw_consent")
        perform(
            request,
            services.withdraw_application,
            application,
            request.user,
            success="已撤回敏感个人信息处理同意，您的专家状态为“信息未填写”。"
            "专家库不再处理您的证件号码和银行账号。",
        )
        return redirect("experts:home")
    return render(
        request,
        "experts/withdraw_consent.html",
        {
            "application": application,
            "consequence": WITHDRAW_CONSEQUENCES[application.status],
        },
    )
