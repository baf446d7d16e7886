"""What the portal's Jinja2 templates call: globals and filters (registered in portal/jinja2.py).

Plain functions of their arguments, so that a page's template and a test call them the same way.
"""

import datetime
import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.choices import UnitStatus
from accounts.validators import display_mobile, mask, mask_id_number
from experts.choices import join_disciplines
from experts.models import RETURNED_LABEL, REVISING_LABEL, ApplicationStatus
from experts.permissions import may_read_mobile
from portal.workdays import workdays_between

# Bootstrap colours per state, the same on every page a state appears.
BADGE_CLASSES = {
    ApplicationStatus.DRAFT: "text-bg-secondary",
    ApplicationStatus.PENDING_UNIT: "text-bg-warning",
    ApplicationStatus.PENDING_BUREAU: "text-bg-info",
    ApplicationStatus.APPROVED: "text-bg-success",
    ApplicationStatus.REJECTED: "text-bg-danger",
    ApplicationStatus.FROZEN: "text-bg-dark",
    ApplicationStatus.EXIT_PENDING: "text-bg-warning",
    ApplicationStatus.EXITED: "text-bg-secondary",
    UnitStatus.PENDING: "text-bg-warning",
    UnitStatus.APPROVED: "text-bg-success",
    UnitStatus.REJECTED: "text-bg-danger",
}


@functools.cache
def badge(model, status: str) -> str:
    labels = dict(model._meta.get_field("status").choices)
    return labelled_badge(status, labels.get(status, status))


@functools.cache
def labelled_badge(status: str, label: str) -> str:
    """A state's badge in its colour, worded as the object says it (a 变更申请's 未通过 as
    已退回 or 审核不通过: changes.models.ChangeRequest.status_display)."""
    return format_html(
        '<span class="badge {} status-badge">{}</span>',
        BADGE_CLASSES.get(status, "text-bg-secondary"),
        label,
    )


# In place of 信息未填写 after 退回: the status is still the draft's, but "信息未填写" beside
# it read as if the full form were empty, and the person was told to fill it (found by a walk).
RETURNED_BADGE = format_html(
    '<span class="badge bg-warning-subtle text-warning-emphasis border border-warning-subtle'
    ' status-badge">{}</span>',
    RETURNED_LABEL,
)


# Beside 信息未填写 after 修改专家信息: the bureau said 审核不通过 and the applicant is changing
# the form; 专家审核 still lists it, and a reviewer tells it from a draft never submitted.
REVISING_BADGE = format_html(
    '<span class="badge bg-danger-subtle text-danger-emphasis border border-danger-subtle'
    ' status-badge">{}</span>',
    REVISING_LABEL,
)


# Beside 待科技局审核 for a frozen expert's 申请解冻: no new application, a request to be unfrozen.
UNFREEZING_BADGE = format_html(
    '<span class="badge bg-info-subtle text-info-emphasis border border-info-subtle'
    ' status-badge">{}</span>',
    "申请解冻",
)


# Beside 待单位推荐 or 待科技局审核 on the queues, for a 提交 that is not the first
# (experts.selectors.with_resubmitted): its detail page shows 与上次提交相比.
RESUBMITTED_BADGE = format_html(
    '<span class="badge bg-secondary-subtle text-secondary-emphasis border'
    ' border-secondary-subtle status-badge" title="{}">{}</span>',
    "此前提交过，详情页可查看与上次提交相比的变化",
    "重新提交",
)


def status_badge(obj) -> str:
    """`{{ status_badge(unit) }}`: the object's state as a coloured badge, labelled in the
    manual's words. Made once per state: a list shows one on every row. An application
    returned by its unit (returned_at, which a list must load) reads 已退回（待修改） alone,
    on the applicant's, the unit's and the bureau's pages alike; one revised after 审核不通过
    (revising_at, the same) gets 修改中（曾审核不通过） beside 信息未填写; a frozen expert's
    申请解冻 (unfreezing, the same) gets 申请解冻 beside 待科技局审核; a queue's row annotated
    `resubmitted` (experts.selectors.with_resubmitted) gets 重新提交 beside its status; an
    object with its own `status_display` (a 变更申请: 已退回 or 审核不通过) reads that."""
    if getattr(obj, "returned_at", None) and obj.status == ApplicationStatus.DRAFT:
        return RETURNED_BADGE
    worded = getattr(obj, "status_display", None)
    if worded is not None:
        shown = labelled_badge(obj.status, worded)
    else:
        shown = badge(getattr(obj, "model", type(obj)), obj.status)
    if obj.status == ApplicationStatus.DRAFT and getattr(obj, "revising_at", None):
        return format_html("{} {}", shown, REVISING_BADGE)
    if obj.status == ApplicationStatus.PENDING_BUREAU and getattr(obj, "unfreezing", False):
        return format_html("{} {}", shown, UNFREEZING_BADGE)
    if getattr(obj, "resubmitted", False):
        return format_html("{} {}", shown, RESUBMITTED_BADGE)
    return shown


def mobile(value) -> str:
    return display_mobile(value or "")


def masked_mobile(value) -> str:
    """138****5678: lists show enough to tell people apart, not to call them."""
    return mask(display_mobile(value or ""), 3)


def mobile_for(viewer, application) -> str:
    """`{{ mobile_for(request.user, application) }}`: the expert's 手机 on a page about them,
    whole or masked by the one rule (experts.permissions.may_read_mobile)."""
    if may_read_mobile(application, viewer):
        return mobile(application.mobile)
    return masked_mobile(application.mobile)


def masked_id_number(value) -> str:
    """4201**********1234: the region and the last digits, never the birth date."""
    return mask_id_number(value or "")


def masked_birth_date(value) -> str:
    """1961年: the year only. The whole date beside the masked 证件号码's first and last digits
    would leave one or two possible numbers, so it is shown whole only with that number
    (查看完整信息, to its owner), as the masked export shows it. `value`: a date, or a
    snapshot's YYYY-MM-DD."""
    if not value:
        return ""
    year = value.year if isinstance(value, datetime.date) else str(value)[:4]
    return f"{year}年"


def masked_bank_account(value) -> str:
    """6222***********3446: enough to recognise an account, not to pay into it."""
    return mask(value or "", 4)


def query(request, **changes) -> str:
    """`{{ query(request, page=2) }}`: the current query string with some parameters changed
    (pagination, filter tabs); a new filter starts again at the first page."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    if "page" not in changes:
        params.pop("page", None)
    return "?" + params.urlencode() if params else "?"


def working_days_since(moment) -> int:
    """Whole working days from `moment` to today, on the deadlines' calendar (portal.workdays,
    with holidays and 调休): the manual promises review "within 2 working days"."""
    if not moment:
        return 0
    return workdays_between(timezone.localtime(moment).date(), timezone.localdate())


def minutes(value) -> str:
    """2026-11-26 09:30 in local time; "" for no value."""
    if not value:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def day(value) -> str:
    """2026-11-26 in local time; "" for no value."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d")


def consent_text(application) -> str:
    if not application.consent_at:
        return "未同意"
    return f"已同意（版本{application.consent_version}，{minutes(application.consent_at)}）"


# How to reach a person, which their unit stops reading once they have left the pool.
CONTACT_FIELDS = ("mobile", "office_phone", "email", "address")
CONTACT_HIDDEN = "（已出库，不再向单位显示）"


def application_sections(viewer, application, revealed=frozenset()):
    """The application as the read-only form shows it: (section, [(label, text)]) in order.

    The 证件号码 and the 银行账号 are masked except to their owner, or where `revealed` names
    them (查看完整信息: the view has checked who may see which, experts.reveal); the 出生日期
    shows its year only unless the 证件号码 is shown."""
    from experts.forms import SECTIONS
    from experts.permissions import is_unit_of, unit_has_left
    from experts.selectors import discipline_names

    own = viewer.pk == application.user_id
    # 已出库: its unit no longer reads how to reach the person (experts.permissions).
    contact_hidden = is_unit_of(application, viewer) and unit_has_left(application)

    def number(name: str, value: str, masked) -> str:
        return value if own or name in revealed else masked(value)

    user = application.user
    sections = []
    for title, names in SECTIONS:
        rows = []
        if title == "基本信息":
            rows += [
                ("姓名", user.real_name),
                ("证件类型", user.get_id_type_display()),
                ("证件号码", number("id_number", user.id_number, masked_id_number)),
            ]
        if title == "工作单位与联系方式":
            rows.append(("工作单位", user.unit.name if user.unit else ""))
        for name in names:
            if name == "sensitive_consent":  # a form field; the model keeps version and time
                rows.append(("敏感个人信息处理同意", consent_text(application)))
                continue
            label = application._meta.get_field(name).verbose_name
            if name == "disciplines":
                text = join_disciplines(discipline_names(application))
            elif name == "bank_account":
                text = number(name, application.bank_account, masked_bank_account)
            elif contact_hidden and name in CONTACT_FIELDS:
                text = CONTACT_HIDDEN
            elif name == "mobile":
                text = mobile_for(viewer, application)
            elif name == "birth_date":
                # Revealed with the 证件号码, which holds it.
                text = number(
                    "id_number", field_text(name, application.birth_date), masked_birth_date
                )
            else:
                text = field_text(name, getattr(application, name))
            rows.append((label, text))
        sections.append((title, rows))
    return sections


def field_text(name: str, value) -> str:
    """A field of the expert form as people read it, wherever it is shown: the read-only
    form, a submission's snapshot and a 信息变更's before and after (changes.fields.shown).
    A choice by its label, a date as YYYY-MM-DD, a mobile as written at home, the pledge in
    words; nothing as "". 专业领域 and 工作单位 are names the caller looks up."""
    from experts.models import ExpertApplication

    if name == "mobile":
        return display_mobile(value or "")
    if name == "integrity_pledge":
        return "已承诺" if value else "未承诺"
    field = ExpertApplication._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value or ""))
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def field_anchor(field) -> str:
    """The id an error summary links to for `field`: its input, or for a group of checkboxes
    (which has no single input: Django gives it no id_for_label) the first box."""
    if field.id_for_label:
        return field.id_for_label
    boxes = field.subwidgets
    return boxes[0].id_for_label if boxes else field.auto_id


def url(name: str, *args) -> str:
    """`{{ url('experts:bureau_detail', pk) }}`: Django's reverse(), remembered, as a list
    page reverses the same pattern on every row."""
    return reverse_once(settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(), name, args)


@functools.lru_cache(maxsize=4096)
def reverse_once(root_urlconf, urlconf, prefix, name, args) -> str:
    # The urlconfs and the script prefix are in the key: a URL depends on them too.
    return reverse(name, args=args or None)


def nav_link(request, url_name, label, exact=False) -> str:
    """A navigation item, marked as the current page when the path is (or is under) its URL."""
    target = url(url_name)
    active = request.path == target if exact else request.path.startswith(target)
    return format_html(
        '<li class="nav-item"><a class="nav-link{}" href="{}"{}>{}</a></li>',
        " active" if active else "",
        target,
        mark_safe(' aria-current="page"') if active else "",
        label,
    )


def may(user, obj, action) -> bool:
    """`{% if may(user, application, "recommend") %}`: may `user` fire `action` on `obj` now
    (its FSM permission and state)?"""
    from django_fsm import has_transition_perm

    return has_transition_perm(getattr(obj, action), user)
