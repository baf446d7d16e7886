"""下载我的个人信息 (PIPL art. 45): everything the portal holds about one applicant, as data.

`collect(user)` gathers it in a fixed number of queries, as plain Chinese-labelled values that
the page (jinja/experts/own_data.html) shows and the JSON download writes as they are:
- 账号: the account, with the full 证件号码 (it is the person's own);
- 专家信息: the application as it stands, every field, numbers in full;
- 证明材料: the files uploaded with it, and with each 信息变更 (kind, name, size, time, SHA-256,
  whose), each openable on the page; the files themselves stay in private storage, downloaded
  one by one;
- 提交版本: each submitted version (the snapshot kept with its 提交), numbers in full;
- 审核记录: the history, with reason codes and field comments, and the role of who acted;
- 信息变更: each 变更申请 after admission (changes app): the values before and after, numbers in
  full, its state, and each step of its review with the role of who acted and the reason;
- 短信: every SMS about the application or the account (not every SMS to the person's numbers:
  a number is typed, never proven, and may be someone else's);
- 评审抽取: the draws the person was chosen for (time, place, state; as on their home page),
  with their name, unit and title as the record keeps them and each step (不参加's reason too);
- 专家评价: each evaluation of how they did at a review they sat (the grade, its comment, when,
  by the bureau's role), a later one for the same review marked as correcting the earlier;
  never the project's name;
- 劳务费: what they were paid for each review they sat (days, 应发, the 个人所得税 withheld,
  实发), as the bureau recorded it (fees);
- 禁入记录: any 禁入 kept against their ID number (by its keyed hash), with its end and reason;
- 资格提示: the flags the eligibility rules raised on the application (experts.eligibility),
  in the words reviewers read beside the name, and the day they were judged on;
- 公示异议: each objection recorded during the 公示期: when, how it came and what it said, and
  that a reviewer recorded it; never who objected (another person's data, docs/security.md);
- 入库证明: each certificate issued to them, its code, term, and whether it is still in force;
- 身份验证器: the second factor they bound (its name and times; never its secret key);
- 登录日志: each sign-in django-axes logged (time, sign-out, address, browser);
- 安全审计: the audit events the person caused or that are about their account or application,
  with the role of whoever acted (a reviewer's name is not the person's data), and each export
  含敏感信息 whose file held their numbers whole (专家库's or a draw record's), with the reason.
"""

import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import Authenticator, Blacklist, LoginLog
from accounts.validators import display_mobile
from audit.models import AuditEvent
from certificates.rules import details_indexes, invalid_reason
from changes.models import ChangeRequest, ChangeTransition
from draws.models import Evaluation
from draws.selectors import own_draw_steps, own_draws_as_told
from experts import snapshots
from experts.attachments import size_text
from experts.eligibility import reference_day
from experts.exports import audited_reason
from experts.models import ApplicationAttachment, ExportedApplication
from fees.models import Fee
from notice.models import NoticeObjection
from portal.templating import application_sections, minutes
from sms.models import SMSMessage

FORMAT_VERSION = 1

# What each kind of export with numbers whole is called on the page, and what went out, by its
# audit event's action (which numbers) and object (专家库's job or a draw's record).
_FULL, _CONTACT = AuditEvent.Action.EXPORT_SENSITIVE, AuditEvent.Action.EXPORT_CONTACT
EXPORT_KINDS = {
    (_FULL, "experts.exportjob"): "导出含敏感信息的专家名单",
    (_FULL, "draws.draw"): "抽取记录导出（含敏感信息）",
    (_CONTACT, "experts.exportjob"): "导出含联系方式的专家名单",
    (_CONTACT, "draws.draw"): "抽取记录导出（含联系方式）",
}
EXPORTED_NOTES = {
    _FULL: "导出的名单含您完整的证件号码、银行账号和手机号码",
    # A call list: the person must not read that their ID number left.
    _CONTACT: "导出的名单含您完整的手机号码（证件号码、银行账号已脱敏）",
}
# Who records a 公示异议: only a bureau reviewer may (notice.services.record_objection).
OBJECTION_RECORDER = "科技局审核员"


def _when(value) -> str:
    if isinstance(value, datetime.datetime):
        return minutes(value)
    return value.isoformat() if value else ""


def account(user) -> dict:
    return {
        "用户名": user.username,
        "姓名": user.real_name,
        "证件类型": user.get_id_type_display(),
        "证件号码": user.id_number,
        "手机号码": display_mobile(user.mobile) if user.mobile else "",
        "电子邮箱": user.email,
        "所属单位": user.unit.name if user.unit_id else "",
        "注册时间": _when(user.date_joined),
        "最近登录": _when(user.last_login),
        "同意个人信息保护说明": (
            f"《个人信息保护说明》（版本：{user.privacy_notice_version}），"
            f"{_when(user.privacy_notice_at)}"
            if user.privacy_notice_version
            else ""
        ),
    }


# The times the portal keeps on the application besides the form (its steps, the due day of
# the step it waits for, 年度确认 and its reminder), under their fields' names.
TIMES = (
    "created_at",
    "draft_saved_at",
    "submitted_at",
    "returned_at",
    "revising_at",
    "recommended_at",
    "decided_at",
    "due_on",
    "confirmed_at",
    "confirm_reminded_at",
)


def current(application) -> list[dict]:
    """The application as it stands: its owner's view, where nothing is masked, then its
    times (办理时间)."""
    form = [
        {"分组": section, "项目": label, "内容": "" if value is None else str(value)}
        for section, rows in application_sections(application.user, application)
        for label, value in rows
    ]
    times = [
        {
            "分组": "办理时间",
            "项目": str(application._meta.get_field(name).verbose_name),
            "内容": _when(getattr(application, name)),
        }
        for name in TIMES
    ]
    return form + times


def attachments(application) -> list[dict]:
    """The 证明材料 as they stand (one query): the application's, then those a 信息变更 carries
    that never joined them (waiting, 退回, 撤回 …). `所属` says which; the page links each to
    its download (`变更申请编号`: through that request's)."""
    if application is None:
        return []
    files = ApplicationAttachment.objects.filter(
        Q(application=application) | Q(change_request__application=application)
    ).order_by("uploaded_at", "pk")
    rows = []
    for attachment in files:
        pending = attachment.application_id is None
        whose = f"变更申请（编号{attachment.change_request_id}）" if pending else "专家信息"
        rows.append(
            {
                "材料类型": attachment.get_kind_display(),
                "文件名": attachment.original_name,
                "大小": attachment.size_text,
                "上传时间": _when(attachment.uploaded_at),
                "SHA-256": attachment.sha256,
                "编号": attachment.pk,
                "所属": whose,
                "变更申请编号": attachment.change_request_id if pending else None,
            }
        )
    return rows


def versions(history) -> list[dict]:
    """Each 提交's snapshot, oldest first, its encrypted values decrypted."""
    found = []
    for row in sorted(history, key=lambda row: (row.created_at, row.pk)):
        if not row.snapshot:
            continue
        rows = [
            {"分组": section, "项目": label, "内容": value}
            for section, label, value, _ in snapshots.rows(row.snapshot)
        ]
        rows += [
            {
                "分组": "证明材料",
                "项目": kind,
                "内容": f"{name}（{size_text(size)}，SHA-256 {digest}）",
            }
            for kind, name, size, digest in row.snapshot.get("attachments", [])
        ]
        found.append({"提交时间": _when(row.created_at), "内容": rows})
    return found


def decisions(history) -> list[dict]:
    return [
        {
            "时间": _when(row.created_at),
            "操作": row.get_action_display(),
            "操作人": row.actor_label(for_staff=False),
            "状态变化": row.status_change(),
            "理由代码": row.reason_labels(),
            "意见或理由": row.comment,
            "字段批注": [f"{c['label']}：{c['comment']}" for c in row.field_comments],
        }
        for row in history
    ]


def _change_values(snapshot: dict) -> list[str]:
    return [
        f"{label}：{value if secret else value or '（空）'}"
        for _, label, value, secret in snapshots.rows(snapshot)
    ]


def changes(application) -> list[dict]:
    """Each 变更申请, oldest first, with its review (two queries, however many there are)."""
    if application is None:
        return []
    steps = ChangeTransition.objects.with_actors().order_by("created_at", "pk")
    requests = (
        ChangeRequest.objects.filter(application=application)
        .prefetch_related(Prefetch("history", queryset=steps))
        .order_by("created_at", "pk")
    )
    return [
        {
            "提交时间": _when(request.created_at),
            "变更字段": request.changed_labels,
            "状态": request.status_display,
            "变更前": _change_values(request.before),
            "变更后": _change_values(request.after),
            "处理记录": [
                f"{_when(step.created_at)} {step.actor_label(for_staff=False)}"
                f"{step.get_action_display()}{'：' + step.comment if step.comment else ''}"
                for step in request.history.all()
            ],
        }
        for request in requests
    ]


def messages(user, application) -> list[dict]:
    """The SMS about the person's account (a lockout's notice) or their application (every
    decision, reminder and draw), whatever number they went to."""
    about = Q(content_type=ContentType.objects.get_for_model(user), object_id=user.pk)
    if application is not None:
        kind = ContentType.objects.get_for_model(application)
        about |= Q(content_type=kind, object_id=application.pk)
    rows = SMSMessage.objects.filter(about).order_by("created_at", "pk")
    return [
        {
            "时间": _when(message.created_at),
            "手机号码": display_mobile(message.to),
            "状态": message.state,
            "内容": message.body,
        }
        for message in rows
    ]


def draws(application) -> list[dict]:
    """The draws the person was chosen for (as on their home page; never the project's name),
    with what the record keeps of them as drawn and each later step on them, the draw's 作废
    among them (three queries). The 抽取编号 is the one their SMS gave."""
    steps = own_draw_steps(application)
    return [
        {
            "抽取编号": str(pick.draw_id),
            "评审时间": _when(pick.draw.review_at),
            "评审地点": pick.draw.review_place,
            "状态": state,
            "抽取时记录": "，".join(
                part for part in (pick.expert_name, pick.unit_name, pick.title) if part
            ),
            "处理记录": [
                f"{_when(step.created_at)} {step.get_action_display()}"
                f"{'：' + step.reason if step.reason else ''}"
                for step in steps.get(pick.draw_id, [])
            ]
            + _voided(pick.draw),
        }
        for pick, state in own_draws_as_told(application)
    ]


def _voided(draw) -> list[str]:
    """A voided draw's 作废, as one more step: when, and that they need not come (not the
    bureau's reason, which may name the project)."""
    voided = draw.voided
    if voided is None:
        return []
    return [f"{_when(voided.created_at)} 抽取已作废，您无需参加"]


# Who evaluates an expert after a review: only a bureau reviewer may (draws.services.evaluate).
EVALUATOR = "科技局审核员"


def evaluations(application) -> list[dict]:
    """Every 专家评价 of the person, by review (抽取编号, as their SMS gave it) and oldest first,
    in one query: a later one of the same review corrects the earlier, both kept and both
    theirs. Never the project's name; the evaluator by role only."""
    if application is None or application.pk is None:
        return []
    rows = (
        Evaluation.objects.filter(application=application)
        .select_related("draw")
        .order_by("draw__review_at", "draw_id", "created_at", "pk")
    )
    found = []
    for evaluation in rows:
        if found and found[-1][0] == evaluation.draw_id:
            found[-1][1]["状态"] = "已更正（以后一次评价为准）"
        found.append(
            (
                evaluation.draw_id,
                {
                    "抽取编号": str(evaluation.draw_id),
                    "评审时间": _when(evaluation.draw.review_at),
                    "评价": evaluation.get_grade_display(),
                    "评价说明": evaluation.comment,
                    "评价人": EVALUATOR,
                    "评价时间": _when(evaluation.created_at),
                    "状态": "有效",
                },
            )
        )
    return [row for _, row in found]


def fees(application) -> list[dict]:
    """Each 专家劳务费 recorded for the person (fees.Fee), by review, in one query: by 抽取编号,
    never the project's name, as the other parts of their draws."""
    if application is None or application.pk is None:
        return []
    rows = Fee.objects.filter(application=application).select_related("draw")
    return [
        {
            "抽取编号": str(fee.draw_id),
            "评审时间": _when(fee.draw.review_at),
            "评审天数": str(fee.days),
            "应发金额（元）": str(fee.amount),
            "代扣个人所得税（元）": str(fee.tax),
            "实发金额（元）": str(fee.net),
            "备注": fee.note,
            "登记时间": _when(fee.updated_at),
        }
        for fee in rows.order_by("draw__review_at", "pk")
    ]


def bans(user) -> list[dict]:
    indexes = user.id_number_indexes
    entries = Blacklist.objects.filter(id_number_index__in=indexes).order_by("-created_at")
    return (
        [
            {
                "禁入截止日期": _when(entry.until) or "永久",
                "理由": entry.reason,
                "记录时间": _when(entry.created_at),
            }
            for entry in entries
        ]
        if indexes
        else []
    )


def eligibility(application) -> list[dict]:
    """The 资格提示 reviewers read beside the person's name (stored on the application: the
    flags it was decided with, or those it waits with), each with the day the rules were
    applied on (its 提交, experts.eligibility.reference_day). No query."""
    if application is None or not application.eligibility_flags:
        return []
    on = _when(reference_day(application))
    return [{"资格提示": flag, "判断日期": on} for flag in application.eligibility_flags]


def objections(application) -> list[dict]:
    """The 公示异议 recorded on the person's admission (one query): when, how the bureau
    received it, and what it said. Who objected (异议人) is left out: it is the objector's
    personal data, not the person's (PIPL art. 45 reaches their own), and naming them to the
    person objected to could expose them to retaliation (docs/security.md).
    The recorder is named by role only, as every reviewer is here."""
    if application is None:
        return []
    rows = (
        NoticeObjection.objects.filter(application=application)
        .only("channel", "content", "created_at")
        .order_by("created_at", "pk")
    )
    return [
        {
            "记录时间": _when(row.created_at),
            "收到方式": row.get_channel_display(),
            "异议内容": row.content,
            "记录人": OBJECTION_RECORDER,
        }
        for row in rows
    ]


def certificates(application) -> list[dict]:
    """Each 入库证明 issued to the person (issued at their first download of it; each later
    download prints the same one), oldest first, with whether it is in force today and why
    not (certificates.rules, as 证书查验 says it). Two queries: the certificates, and once
    the holder's details they are judged against."""
    if application is None:
        return []
    issued = list(application.certificates.order_by("issued_at", "pk"))
    if not issued:
        return []
    holder = details_indexes(application)
    found = []
    for certificate in issued:
        certificate.application = application  # the one loaded, not once per certificate
        why = invalid_reason(certificate, holder_indexes=holder)
        found.append(
            {
                "验证码": certificate.display_code,
                "入库时间": _when(certificate.admitted_at),
                "签发时间": _when(certificate.issued_at),
                "有效期至": _when(certificate.valid_until),
                "状态": f"已失效：{why}" if why else "有效",
            }
        )
    return found


def authenticators(user) -> list[dict]:
    """The second factor the person bound (两步验证), one query: what it is called, whether
    binding was finished, and when it was made and last used. Never its key: it is a secret,
    not information about the person, and anyone holding the file could sign in with it."""
    rows = (
        Authenticator.objects.filter(user=user)
        .only("name", "confirmed", "created_at", "last_used_at")
        .order_by("pk")
    )
    return [
        {
            "类型": "身份验证器（动态验证码）",
            "名称": device.name,
            "状态": "已绑定" if device.confirmed else "未完成绑定",
            "创建时间": _when(device.created_at),
            "最近使用": _when(device.last_used_at),
        }
        for device in rows
    ]


def logins(user) -> list[dict]:
    """django-axes' 登录日志 of the person's sign-ins (one query): besides what 安全审计 says
    of each, when they signed out and the browser (User-Agent) they used. Kept for
    LOGIN_LOG_KEEP_DAYS (housekeeping)."""
    rows = LoginLog.objects.filter(username=user.get_username()).order_by("attempt_time", "pk")
    return [
        {
            "登录时间": _when(row.attempt_time),
            "退出时间": _when(row.logout_time),
            "IP地址": row.ip_address or "",
            "浏览器": row.user_agent,
        }
        for row in rows
    ]


def _own_event(event, user) -> bool:
    """Whether the person acted (or someone tried to log in under their name)."""
    return event.actor_id == user.pk or (event.actor_id is None and event.username == user.username)


def audit_events(user, application) -> list[dict]:
    about = Q(actor=user) | Q(object_type=user._meta.label_lower, object_id=str(user.pk))
    about |= Q(actor=None, username=user.username)  # e.g. a failed login under this name
    if application is not None:
        label = application._meta.label_lower
        about |= Q(object_type=label, object_id=str(application.pk))
    rows = AuditEvent.objects.filter(about).order_by("at", "pk")
    found = [
        (
            event.at,
            event.pk,
            {
                "时间": _when(event.at),
                "操作": event.get_action_display(),
                "操作人角色": event.role,
                "结果": event.get_result_display(),
                # The person's own address; never a reviewer's (as with their name).
                "IP地址": (event.ip or "") if _own_event(event, user) else "",
                "说明": event.detail,
            },
        )
        for event in rows
    ]
    found += [(row.at, row.event_id, row_dict) for row, row_dict in exports(application)]
    return [row for _, _, row in sorted(found, key=lambda item: (item[0], item[1]))]


def exports(application) -> list[tuple]:
    """The exports 含敏感信息 or 含联系方式 whose file held the person's numbers (all three, or
    the mobile) whole (ExportedApplication), each saying which, with the role of who exported
    and the reason given (from the event's 说明), in one query. A masked export is not listed:
    no number of theirs went out whole."""
    if application is None:
        return []
    rows = ExportedApplication.objects.filter(application=application).select_related("event")
    return [
        (
            row,
            {
                "时间": _when(row.at),
                "操作": EXPORT_KINDS.get(
                    (row.event.action, row.event.object_type), row.event.get_action_display()
                ),
                "操作人角色": row.event.role,
                "结果": row.event.get_result_display(),
                "IP地址": "",
                "说明": f"{EXPORTED_NOTES.get(row.event.action, EXPORTED_NOTES[_FULL])}"
                f"；理由：{audited_reason(row.event.detail)}",
            },
        )
        for row in rows
    ]


def collect(user, application) -> dict:
    """Everything above for `user` (and their application, or None)."""
    # The history with each 提交's snapshot (history_of leaves the snapshots out).
    history = (
        list(application.history.with_actors().order_by("-created_at", "-pk"))
        if application is not None
        else []
    )
    return {
        "说明": f"本文件包含{settings.PORTAL_NAME}保存的您的全部个人信息。",
        "导出时间": _when(timezone.now()),
        "格式版本": FORMAT_VERSION,
        "账号": account(user),
        "专家信息": current(application) if application is not None else [],
        "专家状态": application.get_status_display() if application is not None else "",
        "资格提示": eligibility(application),
        "证明材料": attachments(application),
        "提交版本": versions(history),
        "审核记录": decisions(history),
        "公示异议": objections(application),
        "信息变更": changes(application),
        "入库证明": certificates(application),
        "短信": messages(user, application),
        "评审抽取": draws(application),
        "专家评价": evaluations(application),
        "劳务费": fees(application),
        "禁入记录": bans(user),
        "身份验证器": authenticators(user),
        "登录日志": logins(user),
        "安全审计": audit_events(user, application),
    }
