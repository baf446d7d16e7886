"""导出Excel of the audit trail, from admin (安全审计 → 审计记录): the rows an operator has
filtered, as an .xlsx whose first rows say who exported which filter and when. The export is
itself an event of the trail (导出审计记录). Written through portal.xlsx, as every export.

An audit row holds no password, code or whole ID number (audit.models), so the sheet has
nothing to mask: it carries what the admin list shows, plus the actor's 姓名 and the row's
编号 for matching a line of the shipped log (docs/audit.md)."""

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.http import HttpResponse
from django.utils import timezone

from audit.log import BEIJING, record
from audit.models import AuditEvent
from portal.xlsx import xlsx_response

# (header, width in characters), in the order of `event_rows`.
COLUMNS = [
    ("记录编号", 10),
    ("时间（北京时间）", 20),
    ("操作人（用户名）", 16),
    ("操作人姓名", 12),
    ("角色", 12),
    ("IP地址", 16),
    ("操作", 20),
    ("对象类型", 12),
    ("对象编号", 10),
    ("对象", 30),
    ("说明", 60),
    ("结果", 6),
]

FIELDS = [
    "pk",
    "at",
    "username",
    "actor__real_name",
    "role",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "detail",
    "result",
]


def object_kind(object_type: str) -> str:
    """An object type by its model's Chinese name (单位), or its code for a model since
    removed; "" for none."""
    if not object_type:
        return ""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def event_rows(events: QuerySet) -> Iterable[list]:
    """One row per event, in the queryset's order, read in chunks (no model instances, one
    query per chunk whatever the number of rows)."""
    actions = dict(AuditEvent.Action.choices)
    results = dict(AuditEvent.Result.choices)
    kinds: dict[str, str] = {}
    for (
        pk,
        at,
        username,
        real_name,
        role,
        ip,
        action,
        object_type,
        object_id,
        object_repr,
        detail,
        result,
    ) in events.values_list(*FIELDS).iterator(chunk_size=2000):
        if object_type not in kinds:
            kinds[object_type] = object_kind(object_type)
        yield [
            pk,
            # Excel has no time zones: the wall-clock time in Beijing, as the header says, to
            # the second as the list shows it (Excel would round a fraction up to the next).
            timezone.localtime(at, BEIJING).replace(tzinfo=None, microsecond=0),
            username,
            real_name or "",
            role,
            ip or "",
            actions.get(action, action),
            kinds[object_type],
            object_id,
            object_repr,
            detail,
            results.get(result, result),
        ]


def snapshot(events: QuerySet) -> tuple[QuerySet, int]:
    """The events as they stand now, and how many: a row written while the file is being made
    (a login meanwhile) is left out, so that the sheet holds the number its title says."""
    numbers = events.aggregate(count=Count("pk"), last=Max("pk"))
    return events.filter(pk__lte=numbers["last"] or 0), numbers["count"]


def too_many(count: int) -> str:
    """Why an export of `count` rows is refused (over EXPORT_MAX_ROWS, as for 专家库), or ""."""
    cap = settings.EXPORT_MAX_ROWS
    if count <= cap:
        return ""
    return (
        f"符合条件的审计记录共{count}条，超过单次导出上限{cap}条，未导出。"
        "请缩小筛选范围（如时间范围、操作）后再导出。"
    )


def export_response(request, events: QuerySet, *, count: int, filter_text: str) -> HttpResponse:
    """The events (a `snapshot`, `count` of them) as an .xlsx download, then one audit row
    (导出审计记录: the user, the count and `filter_text`, the filter in words). The caller
    has checked the permission and the cap (`too_many`)."""
    now = timezone.localtime(timezone.now(), BEIJING)
    user = request.user
    who = f"{user.real_name}（{user.username}）" if user.real_name else user.username
    response = xlsx_response(
        f"审计记录_{now:%Y%m%d_%H%M}.xlsx",
        sheet_title="审计记录",
        title_block=[
            ("审计记录导出", ""),
            ("导出时间", f"{now:%Y-%m-%d %H:%M}（北京时间）"),
            ("导出人", who),
            ("筛选条件", filter_text),
            ("条数", count),
        ],
        columns=[header for header, _ in COLUMNS],
        widths=[width for _, width in COLUMNS],
        rows=event_rows(events),
    )
    # Recorded once the sheet is written: a failure on the way leaves no row saying it left.
    record(
        AuditEvent.Action.EXPORT_AUDIT,
        request=request,
        detail=f"条数：{count}；筛选条件：{filter_text}",
    )
    return response
