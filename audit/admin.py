import datetime

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from audit import exports
from audit.exports import object_kind
from audit.models import AuditEvent, Reminder
from portal.admin import ReadOnlyAdmin
from sms.models import SMSMessage


class TypedFilter(admin.SimpleListFilter):
    """A box in the sidebar to type into, where a list of links cannot hold the choices (every
    person, every object): a GET form that keeps the list's other filters and its search
    (admin/audit/typed_filter.html). A subclass says what the words match (`matching`)."""

    template = "admin/audit/typed_filter.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        return ()  # nothing to list: typed

    def has_output(self):
        return True

    def term(self) -> str:
        return (self.value() or "").strip()

    def choices(self, changelist):
        # One entry, what the template draws: the box, the other parameters as hidden fields
        # (admin's own search form does the same with cl.params), and a link that clears it.
        yield {
            "name": self.parameter_name,
            "value": self.term(),
            "active": bool(self.term()),
            "placeholder": self.placeholder,
            "hidden": [(k, v) for k, v in changelist.params.items() if k != self.parameter_name],
            "clear": changelist.get_query_string(remove=[self.parameter_name]),
        }

    def queryset(self, request, queryset):
        term = self.term()
        return queryset.filter(self.matching(term)) if term else queryset

    def matching(self, term: str) -> Q:
        raise NotImplementedError

    def describe(self) -> str:
        return self.term()


class ActorFilter(TypedFilter):
    """操作人: by username or 姓名, in part (an auditor knows a name, not the account's id)."""

    title = "操作人"
    parameter_name = "actor"
    placeholder = "用户名或姓名"

    def matching(self, term):
        return Q(username__icontains=term) | Q(actor__real_name__icontains=term)


class ObjectFilter(TypedFilter):
    """对象: an object's 编号 whole (an application's, a unit's: with 对象类型 to say which),
    or its name in part (a person's, a unit's, as recorded at the time)."""

    title = "对象"
    parameter_name = "object"
    placeholder = "对象编号或名称"

    def matching(self, term):
        return Q(object_id=term) | Q(object_repr__icontains=term)


class ObjectTypeFilter(admin.SimpleListFilter):
    """对象类型 by the models' Chinese names, offering those the trail holds."""

    title = "对象类型"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        # One query, whatever the number of rows (the list's query count stays constant).
        types = (
            AuditEvent.objects.exclude(object_type="")
            .order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()
        )
        return [(code, object_kind(code)) for code in types]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


class DateRangeFilter(admin.FieldListFilter):
    """时间范围: from one day to another, both included, days in the site's time (as the list
    shows the times). Two date boxes (admin/audit/date_range_filter.html)."""

    template = "admin/audit/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.from_name = f"{field_path}_from"
        self.to_name = f"{field_path}_to"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "时间范围"
        self.start, self.end = self.day(self.from_name), self.day(self.to_name)

    def expected_parameters(self):
        return [self.from_name, self.to_name]

    def day(self, name) -> datetime.date | None:
        value = (self.used_parameters.get(name) or [""])[-1].strip()
        if not value:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as error:
            # As admin's own filters answer a value they cannot read: the list's error page.
            raise IncorrectLookupParameters(error) from error

    def queryset(self, request, queryset):
        # Bounds in the site's time; `at` itself, not at__date, so that its index serves.
        if self.start:
            start = datetime.datetime.combine(self.start, datetime.time.min)
            queryset = queryset.filter(**{f"{self.field_path}__gte": timezone.make_aware(start)})
        if self.end:
            end = datetime.datetime.combine(
                self.end + datetime.timedelta(days=1), datetime.time.min
            )
            queryset = queryset.filter(**{f"{self.field_path}__lt": timezone.make_aware(end)})
        return queryset

    def choices(self, changelist):
        names = self.expected_parameters()
        yield {
            "from_name": self.from_name,
            "to_name": self.to_name,
            "from_value": self.start.isoformat() if self.start else "",
            "to_value": self.end.isoformat() if self.end else "",
            "hidden": [(k, v) for k, v in changelist.params.items() if k not in names],
            "clear": changelist.get_query_string(remove=names),
            "active": bool(self.start or self.end),
        }

    def describe(self) -> str:
        start = f"{self.start:%Y-%m-%d}" if self.start else "不限"
        end = f"{self.end:%Y-%m-%d}" if self.end else "不限"
        return f"{start} 至 {end}"


def filter_words(changelist) -> str:
    """The changelist's filter in words, as the export's title block and its audit row state it:
    each filter in use with what it is set to, the date drill-down, the search."""
    params = changelist.params
    words = []
    for spec in changelist.filter_specs:
        if not any(params.get(name) for name in spec.expected_parameters()):
            continue
        if hasattr(spec, "describe"):
            value = spec.describe()
        else:
            chosen = [str(c["display"]) for c in spec.choices(changelist) if c["selected"]]
            value = "、".join(chosen)
        words.append(f"{spec.title}：{value}")
    field = changelist.date_hierarchy
    if field and params.get(f"{field}__year"):
        drill = [params.get(f"{field}__{part}") for part in ("year", "month", "day")]
        text = "".join(f"{v}{unit}" for v, unit in zip(drill, "年月日", strict=True) if v)
        words.append(f"时间：{text}")
    if changelist.query:
        words.append(f"搜索：{changelist.query}")
    return "；".join(words) or "全部记录"


# How much of 说明 a row of the list shows (AuditEventAdmin.detail_start).
LIST_DETAIL_LENGTH = 80


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Operators read and filter the audit trail; nobody changes or deletes it.

    Filtered by 操作 = 查看完整个人信息, the list shows who revealed which application's
    numbers, and in 说明 which ones and why (docs/audit.md); a search finds a reason's words.
    An auditor filters by 操作人 and 对象 by typing a name or a number in the sidebar, by
    时间范围, and exports what is filtered (导出Excel, audit.exports) if allowed to."""

    list_display = [
        "number",
        "when",
        "username",
        "role",
        "action_and_result",
        "object_repr",
        "detail_start",
        "ip",
    ]
    list_display_links = ["number", "when"]
    list_filter = [
        ActorFilter,
        ObjectFilter,
        ObjectTypeFilter,
        "action",
        "result",
        "role",
        ("at", DateRangeFilter),
    ]
    search_fields = ["username", "object_repr", "object_id", "ip", "detail"]
    search_help_text = (
        "按编号、用户名、对象名称、对象编号、IP地址或说明查找；"
        "按操作人姓名、对象、时间范围筛选见右侧。"
    )
    date_hierarchy = "at"
    list_per_page = 50
    # No tick boxes: their column would push 说明 and IP地址 off a 1,280 px screen, and
    # 导出Excel takes the list as filtered (by 操作人, 对象, 时间范围 … to take a few rows).
    actions = None

    class Media:
        css = {"all": ["audit/admin.css"]}  # the typed filters

    def get_search_results(self, request, queryset, search_term):
        # A row's 编号 whole, as a line of the shipped log or of an export gives it.
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit() and len(term) <= 18:
            found = found | queryset.filter(pk=int(term))
        return found, duplicates

    def get_fields(self, request, obj=None):
        # 对象类型 by the model's Chinese name (单位), not its code (accounts.unit).
        fields = super().get_fields(request, obj)
        return ["object_kind" if name == "object_type" else name for name in fields]

    @admin.display(description="编号")
    def number(self, event):
        # The row's id, which the shipped JSON line and the export carry too (docs/audit.md).
        # Not a sort column of its own: the list is in 时间 order already, and a second sort
        # column would number both headers and wrap them.
        return event.pk

    @admin.display(description="时间", ordering="at")
    def when(self, event):
        # To the second, in figures: as the export and the shipped line's at_beijing say it,
        # and narrower than admin's 2026年12月7日 09:31 (the list keeps its IP column on screen).
        return f"{timezone.localtime(event.at):%Y-%m-%d %H:%M:%S}"

    @admin.display(description="操作", ordering="action")
    def action_and_result(self, event):
        # 结果 in the same cell, said only when it is 失败 and 操作 does not say so already
        # (the rare row an operator looks for, also a filter of its own): a column of 成功
        # took the width that kept IP地址 on screen at 1,280 px.
        action = event.get_action_display()
        if event.result == AuditEvent.Result.FAILURE and "失败" not in action:
            return f"{action}（{event.get_result_display()}）"
        return action

    @admin.display(description="说明", ordering="detail")
    def detail_start(self, event):
        # A decision's reasons may fill the column (the reviewer's whole text): the list shows
        # their beginning, one row a few lines high, and the record (its 编号) the whole.
        text = event.detail
        if len(text) <= LIST_DETAIL_LENGTH:
            return text
        return text[:LIST_DETAIL_LENGTH] + "…（点击编号查看全文）"

    @admin.display(description="对象类型")
    def object_kind(self, event):
        return object_kind(event.object_type) or self.get_empty_value_display()

    # 导出Excel ---------------------------------------------------------------------------

    def has_export_permission(self, request) -> bool:
        """Superusers, and whoever holds 可导出审计记录 (docs/audit.md)."""
        return request.user.has_perm(f"{self.opts.app_label}.export_auditevent")

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="audit_auditevent_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_export": self.has_export_permission(request)}
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        """导出当前筛选结果: the rows of the list as filtered and searched, in its order (the
        link carries the list's query string)."""
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        changelist_url = reverse("admin:audit_auditevent_changelist")
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(f"{changelist_url}?{ERROR_FLAG}=1")
        events, count = exports.snapshot(changelist.get_queryset(request))
        if refusal := exports.too_many(count):
            self.message_user(request, refusal, level=messages.ERROR)
            return redirect(f"{changelist_url}?{request.GET.urlencode()}")
        words = filter_words(changelist)
        return exports.export_response(request, events, count=count, filter_text=words)


class DeliveryFilter(admin.SimpleListFilter):
    """发送状态 as the list's cells say it (ReminderAdmin.delivery). A unit's SMS is written as
    queued (Reminder.Status.QUEUED, 已交短信发送队列) and stays so: whether it went out is its
    outbox row's state, which a filter on the reminder's own status never saw (a sent SMS was
    listed under 已交短信发送队列, and 已发送 found digests only). The digest is sent in the
    reminder's own run and keeps its state itself."""

    title = "发送状态"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            (SMSMessage.Status.QUEUED, "排队中"),
            (SMSMessage.Status.SENDING, "发送中"),
            (SMSMessage.Status.SENT, "已发送"),
            (SMSMessage.Status.FAILED, "发送失败"),
            (self.PURGED, "短信记录已按保留期删除"),
        ]

    PURGED = "purged"

    def queryset(self, request, queryset):
        value = self.value()
        unit_sms = Q(kind=Reminder.Kind.UNIT_SMS)
        if value == self.PURGED:
            return queryset.filter(unit_sms, sms_message__isnull=True)
        if value in SMSMessage.Status.values:
            # The outbox's and the digest's states share their codes.
            return queryset.filter(
                (unit_sms & Q(sms_message__status=value)) | (~unit_sms & Q(status=value))
            )
        return queryset


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """The reminders send_reminders sent, one row per unit SMS or reviewer's digest and day:
    operators see who was reminded of how much, and whether it went out (a failed digest with
    its error: the refused address); nobody adds, changes or deletes."""

    list_display = ["day", "kind", "target_name", "overdue", "delivery"]
    # One sort column: several would number their headers (1, 2, 3) and wrap them.
    ordering = ["-day", "-id"]
    list_filter = ["kind", "day", DeliveryFilter]
    search_fields = ["target_name", "target", "recipients"]
    date_hierarchy = "day"
    list_select_related = ["sms_message"]
    list_per_page = 50
    fields = [
        "day",
        "kind",
        "unit_id",
        "target_name",
        "overdue_recommendations",
        "overdue_registrations",
        "overdue_decisions",
        "overdue_change_confirmations",
        "overdue_change_decisions",
        "delivery",
        "recipients",
        "error",
        "created_at",
        "claimed_at",
        "sent_at",
    ]
    readonly_fields = fields
    # What each kind never holds, left off its page rather than shown as 0 or —: a unit's SMS
    # counts only the unit's queues and goes through the outbox; a digest counts only the
    # bureau's, names its recipient and keeps the mail server's answer.
    NOT_OF_KIND = {
        Reminder.Kind.UNIT_SMS: {
            "overdue_registrations",
            "overdue_decisions",
            "overdue_change_decisions",
            "recipients",
            "error",
            "claimed_at",
            "sent_at",
        },
        Reminder.Kind.BUREAU_DIGEST: {
            "unit_id",
            "overdue_recommendations",
            "overdue_change_confirmations",
        },
    }

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return fields
        return [field for field in fields if field not in self.NOT_OF_KIND.get(obj.kind, ())]

    @admin.display(description="单位编号")
    def unit_id(self, reminder):
        return reminder.target if reminder.kind == Reminder.Kind.UNIT_SMS else "—"

    @admin.display(description="超期数量")
    def overdue(self, reminder):
        if reminder.kind == Reminder.Kind.UNIT_SMS:
            return (
                f"待单位推荐{reminder.overdue_recommendations}份，"
                f"信息变更待单位确认{reminder.overdue_change_confirmations}份"
            )
        return (
            f"单位注册{reminder.overdue_registrations}项，"
            f"待科技局审核{reminder.overdue_decisions}项，"
            f"信息变更待科技局审核{reminder.overdue_change_decisions}项"
        )

    @admin.display(description="发送状态")
    def delivery(self, reminder):
        # A unit's SMS: the outbox row's state, which says whether it went out, linked to it.
        message = reminder.sms_message
        if message is None and reminder.kind == reminder.Kind.UNIT_SMS:
            # Its outbox row is written with it: gone, it was deleted after SMS_KEEP_DAYS.
            return "短信记录已按保留期删除"
        if message is None and reminder.status == reminder.Status.FAILED and reminder.error:
            # A reviewer's digest: the refused address or the server's error, where the
            # operator looks.
            return f"{reminder.get_status_display()}：{reminder.error}"
        if message is None:
            return reminder.get_status_display()
        url = reverse("admin:sms_smsmessage_change", args=[message.pk])
        # The outbox's words, as DeliveryFilter offers them: 排队中, 已发送, 发送失败（…）.
        return format_html('<a href="{}">短信{}</a>', url, message.state)
