"""What each user may see of change requests: every list and detail view starts from here.

The scope of a reviewed change request follows who acts on it. The bureau sees every one (as
applications_for gives it every application). A unit sees those it must confirm: its own
experts' requests, and those of another unit's expert asking to move to it, who is not yet in
its applications_for scope; never another unit's expert's otherwise. It keeps the requests it
acted on, but sees the expert as they are now only while they are its own (shows_person). The
expert sees their own.
"""

from django.db.models import F, Prefetch, QuerySet, prefetch_related_objects

from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer
from changes import counts, fields
from changes.models import OPEN, REVIEWED, ChangeKind, ChangeRequest, ChangeStatus
from experts import snapshots
from experts.models import ApplicationAttachment, ApplicationStatus
from experts.selectors import applications_for


def change_requests_for(user) -> QuerySet[ChangeRequest]:
    """The reviewed change requests `user` may see, each with its application and account."""
    requests = ChangeRequest.objects.filter(status__in=REVIEWED).select_related(
        "application__user", "old_unit", "new_unit"
    )
    if is_bureau_reviewer(user):
        return requests
    if is_approved_unit_account(user):
        return requests.filter(confirming_unit_id=user.unit_id)
    if is_applicant(user):
        return requests.filter(application__in=applications_for(user))
    return requests.none()


def shows_person(change: ChangeRequest, user) -> bool:
    """Whether `change`'s detail may show its expert as they are now (masked 证件号码 and 手机,
    职称, 部门): to the bureau; to a unit while the expert is its own, or while the request
    waits on it to take them in. A unit that returned someone's move, or whose expert has
    since left, keeps the request and what it asked, not a view of a stranger's record."""
    if is_bureau_reviewer(user):
        return True
    if change.is_open and change.confirming_unit_id == user.unit_id:
        return True
    return applications_for(user).filter(pk=change.application_id).exists()


# What a review list prints of a row: columns of the page's own query, no instance per row.
LIST_COLUMNS = (
    "status",
    "created_at",
    "confirmed_at",  # 单位确认时间, on 信息变更审核's 待科技局审核 tab
    "changed_labels",
    "new_unit",
    "kind",
    "due_on",
)


def as_rows(requests: QuerySet) -> QuerySet[ChangeRequest]:
    return (
        requests.select_related(None)
        .only(*LIST_COLUMNS)
        .annotate(
            real_name=F("application__user__real_name"),
            old_unit_name=F("old_unit__name"),
            new_unit_name=F("new_unit__name"),
        )
    )


def waiting_count(user) -> int:
    """How many requests wait for `user` (a unit: 待单位确认; the bureau: 待科技局审核): of
    change_requests_for(user)'s rows, as changes.counts keeps them."""
    if is_bureau_reviewer(user):
        return counts.waiting(ChangeStatus.PENDING_BUREAU)
    if is_approved_unit_account(user):
        return counts.waiting(ChangeStatus.PENDING_UNIT, user.unit_id)
    return 0


def moving_away(unit_id) -> list[ChangeRequest]:
    """The unit's experts asking to move to another unit, still open: the old unit's notice."""
    rows = ChangeRequest.objects.filter(
        old_unit_id=unit_id, new_unit__isnull=False, status__in=OPEN
    ).order_by("-created_at", "-pk")
    return list(as_rows(rows)[:20])


HISTORY_SHOWN = 10
# A request's 证明材料 as its pages list them: oldest first.
PROOF_ORDER = ApplicationAttachment.objects.order_by("uploaded_at", "pk")


def latest_key_request(application, requests=None) -> ChangeRequest | None:
    """The expert's latest 变更申请 (`requests`: theirs, newest first, if the caller has them):
    the open one if any (one at a time, so the latest), else the last one decided. Returned
    or refused (未通过), it is what 修改后重新提交 answers."""
    if requests is None:
        requests = application.change_requests.select_related("old_unit", "new_unit").order_by(
            "-created_at", "-pk"
        )
    return requests.filter(kind=ChangeKind.KEY).first()


def open_request(application) -> ChangeRequest | None:
    """The expert's request still waiting for a unit or the bureau, if any: what 出库 or
    撤销入库 would withdraw with it (changes.receivers)."""
    return application.change_requests.filter(status__in=OPEN).first()


# An expert who was admitted and is no longer 审核通过 still reads their past changes.
HAD_CHANGES = [
    ApplicationStatus.APPROVED,
    ApplicationStatus.FROZEN,
    ApplicationStatus.EXIT_PENDING,
    ApplicationStatus.EXITED,
]


def for_home(application) -> dict | None:
    """The expert's home: their open request (what changed, its state, its 证明材料), or the
    latest one returned or refused (its reason, its 证明材料), and their latest changes (each
    with its 证明材料, but for the request shown above, which lists its own there:
    includes/change_home.html), with `editable` True while 审核通过 (修改专家信息 open); for
    one admitted before, their latest changes only, or None when there are none; None, with no
    query, for an application never admitted."""
    if application.status not in HAD_CHANGES:
        return None
    requests = application.change_requests.select_related("old_unit", "new_unit").order_by(
        "-created_at", "-pk"
    )
    if application.status != ApplicationStatus.APPROVED:
        history = list(requests[:HISTORY_SHOWN])
        _with_proofs(history)
        left = {"editable": False, "pending": None, "returned": None, "returned_proofs": []}
        return {**left, "history": history} if history else None
    # The latest 变更申请 (open ones are always the latest: one at a time): open, it waits;
    # 退回 or 审核不通过, its reason and 修改后重新提交 stay on the page until another is made.
    latest = latest_key_request(application, requests)
    pending = latest if latest is not None and latest.is_open else None
    returned = latest if latest is not None and latest.status == ChangeStatus.REJECTED else None
    history = list(requests[:HISTORY_SHOWN])
    _with_proofs([*history, *(request for request in (pending, returned) if request)])
    return {
        "editable": True,
        "pending": pending,
        "returned": returned,
        "returned_proofs": list(returned.attachments.all()) if returned else [],
        # The expert's own numbers, in full on both sides (as on their own form).
        "pending_diff": snapshots.compare(pending.before, pending.after, fields.SECRET_LABELS)
        if pending
        else None,
        "history": history,
    }


def _with_proofs(requests: list[ChangeRequest]) -> None:
    """Each request's 证明材料 (the list of the open or returned one, 变更记录's names of the
    others), loaded into
    `request.attachments.all()`: one query for them all, however many files."""
    prefetch_related_objects(requests, Prefetch("attachments", queryset=PROOF_ORDER))
