"""信息变更's pages: the expert's form and 撤回; the unit's and the bureau's lists and detail
pages with their decisions (portal.transitions, as experts.views)."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import CommentForm, ReasonForm
from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from audit.log import record
from audit.models import AuditEvent
from changes import counts, fields, selectors, services
from changes.filters import ChangeFilter, UnitChangeFilter
from changes.forms import ChangeForm, initial_values, mark_reselect
from changes.models import ChangeStatus
from experts import reveal, snapshots
from experts.models import ApplicationStatus, ExpertApplication
from experts.permissions import reveal_refusal
from experts.reveal import RevealForm, labels_of
from experts.selectors import own_application
from portal import uploads
from portal.bulk import bulk_decisions
from portal.transitions import Action, decisions, empty_forms
from portal.views import list_page, perform, posted, role_required
from portal.workflow import WorkflowError


def _proofs_of(change) -> list:
    """A change request's 证明材料, oldest first (one query); none without a request."""
    return list(change.attachments.order_by("uploaded_at", "pk")) if change else []


def _form_page(request, form, pending, status=200, version=None, returned=None, offered=None):
    # What this browser kept of the form (static/js/portal.js) is offered back only when newer
    # than the last save: of the application, or of the open (or returned) request.
    saves = [form.instance.updated_at, *(r.updated_at for r in (pending, returned) if r)]
    context = {
        "form": form,
        "pending": pending,
        "key_fields": fields.labels(fields.KEY),
        # To the microsecond: a copy typed in the second of a save is not taken for a newer one.
        "saved_at": max(saves).timestamp(),
        "version": version or services.form_version(form.instance, pending),
        "stale": status == 409,
        "proofs": _proofs_of(pending),
        "returned": returned,
        "returned_proofs": _proofs_of(returned),
        "offered": offered,
    }
    return render(request, "changes/change_form.html", context, status=status)


RESUBMIT = "resubmit"


def _returned(request, application, pending):
    """(prefilled, offered): the expert's latest 变更申请 when the unit returned it or the bureau
    refused it and no other is open. 修改后重新提交 (?resubmit=<pk>) prefills the form with what
    it asked; 修改专家信息 alone offers that link beside its reason. A link to any other request
    (an old one, or one since followed by a new one) opens the values in force, saying so."""
    latest = selectors.latest_key_request(application) if pending is None else None
    if latest is not None and latest.status != ChangeStatus.REJECTED:
        latest = None
    asked_for = request.GET.get(RESUBMIT)
    if not asked_for:
        return None, latest
    if latest is not None and str(latest.pk) == asked_for:
        return latest, None
    messages.warning(
        request,
        "这份变更申请已不是您最近一份被退回或审核不通过的申请，不能据此重新提交；"
        "下方显示现行信息（或您正在审核中的变更申请）。",
    )
    return None, latest


@role_required(is_applicant)
def edit(request):
    """修改专家信息 (an admitted expert): contact details and the other unreviewed fields apply
    when saved; key fields, and a department or post typed with a new unit, become one 变更申请
    for the unit and the bureau."""
    application = own_application(request.user)
    if application is None or application.status != ApplicationStatus.APPROVED:
        messages.error(request, "只有已入库（审核通过）的专家可以申请信息变更。")
        return redirect("experts:home")
    pending = selectors.change_requests_for(request.user).filter(status__in=selectors.OPEN).first()
    # 修改后重新提交: the form shows what the returned request asked, and saving makes a new one.
    returned, offered = _returned(request, application, pending)
    in_force = fields.current(application)
    asked = fields.decode((pending or returned).values) if pending or returned else {}
    # A copy for the form, which writes the cleaned values into its instance (never saved).
    instance = ExpertApplication.objects.get(pk=application.pk)
    instance.user = request.user
    data, files = posted(request)
    form = ChangeForm(
        data,
        files,
        instance=instance,
        initial=initial_values(in_force, asked),
        user=request.user,
        in_force=in_force,
        proof_kinds=frozenset(pending.attachments.values_list("kind", flat=True))
        if pending
        else frozenset(),
        # Shown, not yet asked: the returned request is closed, its values need a new one.
        asked={} if returned else None,
    )
    if request.method != "POST":
        return _form_page(request, form, pending, returned=returned, offered=offered)
    # A browser never shows a chosen file again: a refused page says to choose it again, at
    # the top and beside each file box concerned.
    again = "已选择的证明材料文件需重新选择。" if files else ""
    if not form.is_valid():
        messages.error(request, f"表单有误，请按提示修改；尚未保存任何修改。{again}")
        mark_reselect(form, files or ())
        return _form_page(request, form, pending, status=400, returned=returned)
    try:
        saved = services.save_changes(
            application,
            request.user,
            form.cleaned_data,
            # A form from before the version was carried sends none: not checked.
            seen=request.POST.get("version"),
            proofs=form.proofs(),
        )
    except services.StaleForm as error:
        # Shown again as typed, now carrying the latest version: sent again, it wins.
        messages.error(request, str(error))
        mark_reselect(form, files or ())
        return _form_page(
            request, form, pending, status=409, version=error.version, returned=returned
        )
    except WorkflowError as error:
        messages.error(request, f"{error}本次填写的修改均未保存，请调整后重新保存。{again}")
        mark_reselect(form, files or ())
        return _form_page(request, form, pending, status=400, returned=returned)
    if saved.nothing:
        messages.info(request, "您没有修改任何信息。")
    if saved.contact or saved.details:
        messages.success(request, f"{'、'.join(saved.contact + saved.details)}已修改并生效。")
    if saved.request_change:
        who = "新单位" if saved.request.moves_unit else "所在单位"
        done = "提交" if saved.request_change == "created" else "更新"
        if returned is not None and saved.request_change == "created":
            done = "重新提交"
        # Not marked 需审核 on the form, so the page says why they did not take effect.
        with_move = (
            f"{'、'.join(saved.with_move)}随工作单位变更一并审核。" if saved.with_move else ""
        )
        messages.success(
            request,
            f"变更申请已{done}（{saved.request.changed_labels}），等待{who}确认后由市科技局审核；"
            f"{with_move}审核通过前，专家库仍使用现行信息。",
        )
    if saved.proofs:
        messages.success(request, f"证明材料{'、'.join(saved.proofs)}已上传。")
    return redirect("experts:home")


@require_POST
@role_required(is_applicant)
def withdraw(request, pk):
    """撤回 an open 变更申请: the values in force stay."""
    change = get_object_or_404(selectors.change_requests_for(request.user), pk=pk)
    perform(
        request,
        services.withdraw_change,
        change,
        request.user,
        success="变更申请已撤回，现行信息不变。",
    )
    return redirect("experts:home")


@never_cache
@role_required(is_applicant)
def attachment_delete(request, pk, file_pk):
    """删除 a 证明材料 of the expert's own open 变更申请: a GET asks, naming the file (or says why
    it cannot go: services.proof_removal_refusal); only the POST of that page's button
    (`confirmed`) acts, through services.remove_proof. Another's request or file, or a file of
    the application rather than of the request: a 404."""
    change = get_object_or_404(selectors.change_requests_for(request.user), pk=pk)
    attachment = get_object_or_404(change.attachments.filter(application__isnull=True), pk=file_pk)
    if request.method == "POST":
        if request.POST.get("confirmed") != "yes":
            messages.error(request, "请在本页确认后再删除证明材料。")
            return redirect("changes:attachment_delete", pk=change.pk, file_pk=attachment.pk)
        perform(
            request,
            services.remove_proof,
            change,
            attachment.pk,
            request.user,
            success=f"证明材料“{attachment.original_name}”已删除，变更申请已更新，等待单位确认。",
        )
        return redirect(reverse("experts:home") + "#my-changes")
    context = {
        "change": change,
        "attachment": attachment,
        "refusal": services.proof_removal_refusal(change, attachment, request.user),
    }
    return render(request, "changes/attachment_delete.html", context)


# The review lists' own order: the oldest request first.
LIST_ORDER = ("created_at", "pk")


# The time column: 提交时间, but on the bureau's 待科技局审核 tab 单位确认时间, the moment its
# 截止日期 counts from, as 专家审核 shows 单位推荐时间 (found by a reviewer's walk: the tab read
# 提交时间 while its deadline counted from the unit's 确认). The tab is listed by it too.
SUBMITTED = ("提交时间", "created_at")
CONFIRMED = ("单位确认时间", "confirmed_at")


def _list(request, template, default_status, filters, unit_id=None, times=None):
    """A review list of change requests: the bureau's (every unit's), or the requests unit
    `unit_id` confirms; the tabs read the kept counts of exactly that scope (changes.counts).

    Each waiting tab's 已超期 count is not kept: list_page counts it by one grouped query,
    due_on < today on the open statuses, along the (status, due_on) or (confirming_unit,
    status, due_on) index: fine at the volume of change requests, far below the applications'
    (whose queue keeps its overdue counts too: experts.counts.DueCount). `times`: the time
    column by tab (status → (label, field)), else 提交时间."""
    context = list_page(
        request,
        selectors.change_requests_for(request.user),
        filters,
        default_status=default_status,
        counts=lambda: counts.current(unit_id),
        order_by=LIST_ORDER,
        shown=selectors.as_rows,
    )
    context["moving"] = context["filter"].form.cleaned_data.get("moving") is True
    context["time_label"], context["time_field"] = (times or {}).get(context["status"], SUBMITTED)
    return render(request, template, context)


@role_required(is_approved_unit_account)
def unit_list(request):
    """信息变更待确认: the unit's experts' change requests, and those of experts moving to it."""
    return _list(
        request,
        "changes/unit_list.html",
        ChangeStatus.PENDING_UNIT,
        UnitChangeFilter,
        request.user.unit_id,
    )


@role_required(is_bureau_reviewer)
def bureau_list(request):
    """信息变更审核: every change request; 待科技局审核 those the units confirmed first."""
    return _list(
        request,
        "changes/bureau_list.html",
        ChangeStatus.PENDING_BUREAU,
        ChangeFilter,
        times={ChangeStatus.PENDING_BUREAU: CONFIRMED},
    )


UNIT_DECISIONS = {
    "confirm": Action(
        is_approved_unit_account,
        CommentForm,
        services.confirm_change,
        "已确认{obj.application.user.real_name}的变更申请，将由市科技局审核。",
    ),
    "send_back": Action(
        is_approved_unit_account,
        ReasonForm,
        services.return_change,
        "已退回{obj.application.user.real_name}的变更申请，申请人将看到退回理由。",
    ),
}
BUREAU_DECISIONS = {
    "approve": Action(
        is_bureau_reviewer,
        CommentForm,
        services.approve_change,
        "{obj.application.user.real_name}的变更申请已通过，新信息已生效，短信通知将在几秒内发出。",
    ),
    "reject": Action(
        is_bureau_reviewer,
        ReasonForm,
        services.reject_change,
        "{obj.application.user.real_name}的变更申请审核不通过，短信通知将在几秒内发出。",
    ),
}


def _names(requests):
    """`names` of a bulk decision: each request's pk, its expert's name, and what `_note` reads
    (the units and the fields it changes), columns of the one query however many."""
    return requests.values_list(
        "pk", "application__user__real_name", "old_unit__name", "new_unit__name", "changed_labels"
    )


def _note(old_unit, new_unit, changed_labels) -> str:
    """Beside a name on a confirmation page: the unit (a move as 原单位 → 新单位) and the fields
    it changes, as the list's 工作单位 and 变更内容 columns show them."""
    unit = f"{old_unit} → {new_unit}" if new_unit else old_unit
    return f"{unit}；变更内容：{changed_labels}"


# 批量处理 on the lists: the detail pages' decisions, labelled as their buttons, each item
# through its service. The confirming unit's tab is 待单位确认, the bureau's 待科技局审核.
unit_bulk = bulk_decisions(
    actions=UNIT_DECISIONS,
    scope=selectors.change_requests_for,
    filters=UnitChangeFilter,
    status=ChangeStatus.PENDING_UNIT,
    names=_names,
    order=LIST_ORDER,
    note=_note,
    list_url="changes:unit_list",
    detail_url="changes:unit_detail",
    noun="变更申请",
    measure="份",
    action_labels={"confirm": "确认", "send_back": "退回"},
    action_styles={"send_back": "btn-danger"},
    notes={
        "confirm": "已提交市科技局审核；审核通过前，专家库仍使用现行信息。",
        "send_back": "申请人将收到短信，并在其页面上看到退回理由；现行信息不变。",
    },
)
bureau_bulk = bulk_decisions(
    actions=BUREAU_DECISIONS,
    scope=selectors.change_requests_for,
    filters=ChangeFilter,
    status=ChangeStatus.PENDING_BUREAU,
    names=_names,
    order=LIST_ORDER,
    note=_note,
    list_url="changes:bureau_list",
    detail_url="changes:bureau_detail",
    noun="变更申请",
    measure="份",
    action_labels={"approve": "审核通过", "reject": "审核不通过"},
    action_styles={"approve": "btn-success", "reject": "btn-danger"},
    notes={
        "approve": "新信息已生效，短信通知将在几秒内陆续发给专家。",
        "reject": "现行信息不变，短信通知将在几秒内陆续发给专家。",
    },
)


def _secret_labels(change) -> set[str]:
    """The masked numbers (证件号码, 银行账号) this request asks to change."""
    return {label for _, label, value, secret in change.after["rows"] if secret and value}


def _revealable(change, user) -> list[tuple[str, str]]:
    """(field, label) of the numbers in this request `user` may ask to see in full: the ones it
    changes, by the rules of the expert's own detail page (experts.reveal)."""
    return reveal.revealable(change.application, user, labels=_secret_labels(change))


def _detail_page(template, actions, reveal_url):
    """A change request's detail. Its 证件号码 and 银行账号 show masked on both sides, the row
    saying it changed; 查看完整信息 (`reveal_url`) shows the old and the new number in full in
    this one response, as on the expert's detail page."""

    def render_detail(
        request, change, posted=None, status=200, *, reveal=None, revealed=frozenset()
    ):
        still_masked = [
            choice for choice in _revealable(change, request.user) if choice[0] not in revealed
        ]
        revealed_labels = labels_of(revealed)
        context = {
            "change": change,
            "application": change.application,
            "shows_person": selectors.shows_person(change, request.user),
            "changes": snapshots.compare(change.before, change.after, frozenset(revealed_labels)),
            "history": change.history.with_actors().order_by("-created_at", "-pk"),
            "show_actor_names": is_bureau_reviewer(request.user),
            "forms": empty_forms(actions) | (posted or {}),
            "revealed": revealed,
            "revealed_labels": revealed_labels,
            "reveal_form": reveal or (RevealForm(choices=still_masked) if still_masked else None),
            # Where the form would be, for a request changing a number: why it is not offered.
            "reveal_refusal": reveal_refusal(change.application, request.user)
            if _secret_labels(change)
            else "",
            "reveal_url": reverse(reveal_url, args=[change.pk]),
            "proofs": _proofs_of(change),
        }
        return render(request, template, context, status=status)

    return render_detail


_unit_detail = _detail_page("changes/unit_detail.html", UNIT_DECISIONS, "changes:unit_reveal")
_bureau_detail = _detail_page(
    "changes/bureau_detail.html", BUREAU_DECISIONS, "changes:bureau_reveal"
)


@role_required(is_approved_unit_account)
def unit_detail(request, pk):
    change = get_object_or_404(selectors.change_requests_for(request.user), pk=pk)
    return _unit_detail(request, change)


@role_required(is_bureau_reviewer)
def bureau_detail(request, pk):
    change = get_object_or_404(selectors.change_requests_for(request.user), pk=pk)
    return _bureau_detail(request, change)


def _reveal(request, pk, detail):
    """查看完整信息 on a change request (experts.reveal.answer), audited against the expert's
    application, so that the expert's own data lists it too."""
    change = get_object_or_404(selectors.change_requests_for(request.user), pk=pk)
    return reveal.answer(
        request,
        _revealable(change, request.user),
        change.application,
        functools.partial(detail, request, change),
        what=f"变更申请（编号{change.pk}）：",
    )


@never_cache
@require_POST
@role_required(is_approved_unit_account)
def unit_reveal(request, pk):
    """The confirming unit's 查看完整信息: a new 证件号码, if the expert is its own."""
    return _reveal(request, pk, _unit_detail)


@never_cache
@require_POST
@role_required(is_bureau_reviewer)
def bureau_reveal(request, pk):
    """The bureau's 查看完整信息: a new 证件号码 or 银行账号, before it decides."""
    return _reveal(request, pk, _bureau_detail)


unit_decide = decisions(
    UNIT_DECISIONS, selectors.change_requests_for, _unit_detail, "changes:unit_detail"
)
bureau_decide = decisions(
    BUREAU_DECISIONS, selectors.change_requests_for, _bureau_detail, "changes:bureau_detail"
)


@login_required
def attachment_download(request, pk, file_pk):
    """One 证明材料 of a 信息变更, to whoever may see the request (change_requests_for) and the
    person as they are (selectors.shows_person): its expert, the bureau, the unit confirming it
    while the request waits on it or the expert is its own; anyone else a 404, another unit
    included, and a unit that returned the move or whose expert has since left (the request
    stays on its list, the person's evidence does not). Served as the application's are
    (portal.uploads.scan_response), and audited as they are when someone else than the
    expert opens it."""
    change = get_object_or_404(selectors.change_requests_for(request.user), pk=pk)
    owner = change.application.user_id == request.user.pk
    if not owner and not selectors.shows_person(change, request.user):
        raise Http404
    attachment = get_object_or_404(change.attachments.all(), pk=file_pk)
    response = uploads.scan_response(
        attachment.file,
        filename=attachment.original_name,
        missing="证明材料文件不存在，请联系科技局。",
    )
    if not owner:
        record(
            AuditEvent.Action.ATTACHMENT_DOWNLOAD,
            request=request,
            obj=change.application,
            detail=f"{attachment.get_kind_display()}（编号{attachment.pk}，变更申请编号{change.pk}）",
        )
    return response
