"""Operators read a draw's record whole in admin: the draw with its criteria, rounds (seeds,
eligible counts), picks, events and 专家评价 on one page; each row's list by draw and by name.
Nobody edits a row (the tables refuse it too)."""

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from draws.models import Draw, Evaluation, Event, Pick, Round, Void
from draws.rules import Criteria
from portal.admin import ReadOnlyAdmin


def minutes(at) -> str:
    """A time in the site's zone, to the minute, as the record's page shows it."""
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


class RecordInline(admin.TabularInline):
    """A draw's rows on its page: read-only, none added or removed."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PickInline(RecordInline):
    model = Pick
    fields = ["round_label", "role", "position", "expert_name", "unit_name", "title", "created_at"]
    readonly_fields = fields
    ordering = ["round__quota__number", "round__number", "role", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("round__quota")

    @admin.display(description="抽取轮次")
    def round_label(self, pick) -> str:
        return str(pick.round)


def with_names_as_drawn(events):
    """Events with `name_as_drawn`: their expert's name on the draw's own pick row (an event
    is about an expert the draw chose), in the same query."""
    pick = Pick.objects.filter(draw=OuterRef("draw"), application=OuterRef("application"))
    return events.annotate(name_as_drawn=Subquery(pick.order_by("pk").values("expert_name")[:1]))


def event_expert(event) -> str:
    """The expert by their name as drawn; one the draw never chose (a row added by hand) by
    today's name, marked so."""
    if event.name_as_drawn is None:
        return f"{event.application.user.real_name}（不是本次抽中的专家）"
    return event.name_as_drawn


class EventInline(RecordInline):
    model = Event
    fields = ["created_at", "action", "expert", "reason", "actor"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    def get_queryset(self, request):
        events = super().get_queryset(request).select_related("application__user", "actor")
        return with_names_as_drawn(events)

    @admin.display(description="专家（抽取时姓名）")
    def expert(self, event) -> str:
        return event_expert(event)


def with_evaluated_names(evaluations):
    """Evaluations with `name_as_drawn`, as with_names_as_drawn gives events."""
    pick = Pick.objects.filter(draw=OuterRef("draw"), application=OuterRef("application"))
    return evaluations.annotate(
        name_as_drawn=Subquery(pick.order_by("pk").values("expert_name")[:1])
    )


class EvaluationInline(RecordInline):
    model = Evaluation
    fields = ["created_at", "expert", "grade", "comment", "actor"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("application__user", "actor")
        return with_evaluated_names(rows)

    @admin.display(description="专家（抽取时姓名）")
    def expert(self, evaluation) -> str:
        return event_expert(evaluation)


@admin.register(Draw)
class DrawAdmin(ReadOnlyAdmin):
    """Operators read the records; nobody edits one (the table refuses it too). The change page
    shows the whole record: criteria, each round with its seed and eligible count, who and when,
    a 作废, and the picks and events below."""

    list_display = ["project_name", "review_at", "created_by", "created_at"]
    search_fields = ["project_name"]
    date_hierarchy = "created_at"
    fields = [
        "project_name",
        "review_at",
        "review_place",
        "created_by",
        "created_at",
        "criteria_text",
        "rounds",
        "void_text",
        "rows",
    ]
    readonly_fields = fields
    inlines = [PickInline, EventInline, EvaluationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by", "void__actor")

    @admin.display(description="抽取条件")
    def criteria_text(self, draw) -> str:
        return Criteria.from_json(draw.criteria).in_words()

    @admin.display(description="抽取名额与轮次")
    def rounds(self, draw):
        rounds = Round.objects.filter(quota__draw=draw).select_related("quota", "created_by")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}人，备选{}人</td><td>第{}轮（编号 {}）</td><td>{}</td>"
            "<td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.quota.discipline_name,
                    r.quota.count,
                    r.quota.reserves,
                    r.number,
                    r.pk,
                    r.eligible_count,
                    r.wanted,
                    r.seed,
                    "、".join(map(str, r.picked_ids)),
                    f"{r.created_by} · {minutes(r.created_at)}",
                )
                for r in rounds.order_by("quota__number", "number")
            ),
        )
        return format_html(
            "<table><thead><tr><th>专业领域（抽取时名称）</th><th>名额</th><th>轮次</th>"
            "<th>符合条件人数</th><th>抽取人数</th><th>随机种子</th><th>抽中及备选（专家编号）</th>"
            "<th>抽取人 · 时间</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="作废")
    def void_text(self, draw) -> str:
        void = draw.voided
        if void is None:
            return "未作废"
        return f"{minutes(void.created_at)} 由 {void.actor} 作废，理由：{void.reason}"

    @admin.display(description="逐条查看")
    def rows(self, draw):
        query = f"?{DrawFilter.parameter_name}={draw.pk}"
        return format_html(
            '<a href="{}">抽中专家</a> · <a href="{}">抽取记录事件</a> · <a href="{}">专家评价</a>',
            reverse("admin:draws_pick_changelist") + query,
            reverse("admin:draws_event_changelist") + query,
            reverse("admin:draws_evaluation_changelist") + query,
        )


class DrawFilter(admin.SimpleListFilter):
    """抽取记录: the latest draws to choose from; any draw by its number in the address (as the
    draw's own page links to it)."""

    title = "抽取记录"
    parameter_name = "draw"
    LATEST = 20

    def lookups(self, request, model_admin):
        latest = list(Draw.objects.order_by("-created_at", "-pk")[: self.LATEST])
        chosen = self.value()
        if chosen and chosen.isdigit() and all(str(d.pk) != chosen for d in latest):
            latest += list(Draw.objects.filter(pk=chosen))
        return [(str(d.pk), f"{d.pk}：{d}") for d in latest]

    def queryset(self, request, queryset):
        chosen = self.value()
        if chosen is None:
            return queryset
        # A number that names no draw lists nothing, rather than every row.
        return queryset.filter(draw_id=chosen if chosen.isdigit() else None)


class DrawRowAdmin(ReadOnlyAdmin):
    """A row of a draw record, named by the record's number (its project is on the record),
    newest first; filtered by draw, searched by the expert's name (as drawn, or today's)."""

    ordering = ["-created_at"]
    readonly_fields = ["created_at"]

    @admin.display(description="抽取记录编号", ordering="draw")
    def draw_number(self, row) -> int:
        return row.draw_id


@admin.register(Pick)
class PickAdmin(DrawRowAdmin):
    list_display = ["draw_number", "expert_name", "unit_name", "role", "position", "created_at"]
    list_filter = ["role", DrawFilter]
    search_fields = ["expert_name", "application__user__real_name"]


@admin.register(Event)
class EventAdmin(DrawRowAdmin):
    list_display = ["draw_number", "expert", "action", "reason", "actor", "created_at"]
    list_select_related = ["application__user", "actor"]
    list_filter = ["action", DrawFilter]
    search_fields = ["application__user__real_name", "reason"]

    def get_queryset(self, request):
        return with_names_as_drawn(super().get_queryset(request))

    @admin.display(description="专家（抽取时姓名）")
    def expert(self, row) -> str:
        return event_expert(row)


@admin.register(Evaluation)
class EvaluationAdmin(DrawRowAdmin):
    """专家评价 after each review: the latest of a draw's expert stands, the earlier kept."""

    list_display = ["draw_number", "expert", "grade", "comment", "actor", "created_at"]
    list_select_related = ["application__user", "actor"]
    list_filter = ["grade", DrawFilter]
    search_fields = ["application__user__real_name", "comment"]

    def get_queryset(self, request):
        return with_evaluated_names(super().get_queryset(request))

    @admin.display(description="专家（抽取时姓名）")
    def expert(self, row) -> str:
        return event_expert(row)


@admin.register(Void)
class VoidAdmin(ReadOnlyAdmin):
    """作废 of draws made in error, with who and why."""

    list_display = ["draw", "reason", "actor", "created_at"]
    list_select_related = ["draw", "actor"]
    ordering = ["-created_at"]
    readonly_fields = ["created_at"]
