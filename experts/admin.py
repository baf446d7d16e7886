from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.admin import PersonSearchMixin
from accounts.services import ACCOUNT_CONTACT, follow_contact
from accounts.validators import display_mobile, mask, mask_id_number
from audit.models import AuditEvent
from changes.fields import KEY
from experts import eligibility, erasure, search, services
from experts.exports import SCOPE_ACTIONS
from experts.forms import ApplicationAdminForm
from experts.models import (
    IN_REVIEW,
    ApplicationAttachment,
    ApplicationStatus,
    ApplicationTransition,
    Discipline,
    EligibilityRule,
    ExpertApplication,
    ExportedApplication,
    ExportJob,
    FacetDiscipline,
    ReasonCode,
)
from experts.permissions import SENSITIVE_REFUSAL, may_process_sensitive_numbers
from experts.selectors import discipline_tree, in_discipline
from portal.admin import (
    HistoryAdmin,
    HistoryInline,
    OldAndNewChangeMessageMixin,
    PersonalDataAdminMixin,
    ReadOnlyAdmin,
    ServiceTransitionAdmin,
    yes_no,
)
from portal.templating import field_text, masked_birth_date
from portal.workflow import WorkflowError


class ApplicationHistoryInline(HistoryInline):
    model = ApplicationTransition


class AttachmentInline(admin.TabularInline):
    """证明材料 on the application's page: read-only (the applicant's own, changed only on
    their form while editable); each opens through the portal's view, which audits it."""

    model = ApplicationAttachment
    verbose_name = "证明材料"
    verbose_name_plural = "证明材料"
    fields = ["kind", "file_link", "size_text", "uploaded_at", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    classes = ["attachment-inline"]  # static/css/admin.css: fits a phone's screen

    @admin.display(description="文件名")
    def file_link(self, attachment):
        url = reverse("experts:attachment", args=[attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)

    @admin.display(description="大小")
    def size_text(self, attachment):
        return attachment.size_text

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DisciplineListFilter(admin.SimpleListFilter):
    """以 专业领域, by the rule of 专家库 and the draw (experts.selectors.in_discipline): a
    field takes the experts of its sub-fields too, so the counts agree with the portal's."""

    title = "专业领域"
    parameter_name = "discipline"

    def lookups(self, request, model_admin):
        choices = []
        for field in discipline_tree():
            label = f"{field.name}（含子领域）" if field.children else field.name
            choices.append((str(field.pk), label))
            choices += [(str(pk), f"— {name}") for pk, name in field.children]
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()  # a forged value matches no one
        return in_discipline(queryset, int(value))


class DisciplinePicksField(forms.ModelMultipleChoiceField):
    """专业领域 in admin's two-box picker, which shows no groups: a sub-field is named after
    its field (电子信息 / 软件), so that filtering the box by a field's name lists its
    sub-fields too. Its queryset selects each parent (ExpertApplicationAdmin)."""

    def label_from_instance(self, discipline):
        return " / ".join(search.discipline_words(discipline))


# Shown masked in admin, whole only through 查看完整信息 (asked why, audited): the page
# excludes them from its form. The 出生日期 with the masked 证件号码's first and last digits
# would leave one or two possible ID numbers (portal.templating.masked_birth_date).
MASKED_FIELDS = ["bank_account", "mobile", "birth_date"]
# KEY's fields of the application itself (the account's 姓名 and 工作单位 are refused in
# UserAdmin by experts.receivers), but those the page excludes (masked).
REVIEWED_FIELDS = [
    field.name
    for field in ExpertApplication._meta.get_fields()
    if field.name in KEY and field.name not in MASKED_FIELDS
]


@admin.register(ExpertApplication)
class ExpertApplicationAdmin(PersonSearchMixin, PersonalDataAdminMixin, ServiceTransitionAdmin):
    form = ApplicationAdminForm
    list_display = ["name", "unit", "title", "title_level", "status", "submitted_at", "decided_at"]
    list_filter = ["status", "title_level", DisciplineListFilter]
    search_fields = ["user__real_name", "user__username", "user__unit__name"]
    person = "user__"
    mobile_fields = ["mobile", "user__mobile"]
    list_select_related = ["user", "user__unit"]
    list_per_page = 25
    raw_id_fields = ["user"]
    # Whole bank, ID and mobile numbers (and the birth date) are masked in admin; whole only
    # through 查看完整信息, which asks why and is audited (portal.admin.PersonalDataAdminMixin).
    exclude = MASKED_FIELDS
    inlines = [ApplicationHistoryInline, AttachmentInline]
    personal_data_fields = {
        "证件号码": lambda application: application.user.id_number,
        "银行账号": lambda application: application.bank_account,
        "手机": lambda application: display_mobile(application.mobile),
        "出生日期": lambda application: field_text("birth_date", application.birth_date),
    }
    actions = ["erase_personal_data"]

    @admin.action(description="删除个人信息", permissions=["change"])
    def erase_personal_data(self, request, queryset):
        """删除个人信息 (experts.erasure), on a person's request: a page naming each chosen
        person says what is erased and what is kept, and which of them may not be erased and
        why; only its button (post=yes) erases. Cannot be undone."""
        applications = list(queryset.select_related("user", "user__unit").order_by("pk"))
        refusals = [(a, erasure.erasure_refusal(a)) for a in applications]
        allowed = [a for a, refusal in refusals if not refusal]
        if request.POST.get("post") == "yes":
            for _, refusal in refusals:
                if refusal:
                    self.message_user(request, refusal, messages.ERROR)
            for application in allowed:
                try:
                    erasure.erase_personal_data(application, request.user, request=request)
                except WorkflowError as error:  # erased or moved on since the page was shown
                    self.message_user(request, str(error), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"已删除{application.user.real_name}的个人信息，账号已停用。",
                        messages.SUCCESS,
                    )
            return None  # back to the list
        context = {
            **self.admin_site.each_context(request),
            "title": "删除个人信息",
            "opts": self.opts,
            "refusals": refusals,
            "allowed": allowed,
            "erased_fields": erasure.ERASED_WORDS,
            "kept_fields": erasure.KEPT_WORDS,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/portal/erase_confirm.html", context)

    def personal_data_allowed(self, application):
        if may_process_sensitive_numbers(application):
            return self.personal_data_fields, ""
        return {"手机": self.personal_data_fields["手机"]}, SENSITIVE_REFUSAL

    readonly_fields = [
        "masked_id_number",
        "masked_birth_date",
        "masked_mobile",
        "masked_bank_account",
        "personal_data_link",
        "consent_version",
        "consent_at",
        "consent_bureau",
        "created_at",
        "updated_at",
        "submitted_at",
        "recommended_at",
        "decided_at",
        "eligibility_text",
    ]

    def get_readonly_fields(self, request, obj=None):
        """An admitted expert's key information (changes.fields.KEY: 职称, 专业领域, 出生日期 …)
        changes only through a 信息变更, which the unit and the bureau review and the history
        keeps; an operator's edit would bypass both, and change the pool and the draws on the
        quiet. So while under review (待单位推荐, 待科技局审核): the unit recommends what the
        applicant submitted, and the bureau decides on what the unit saw; a correction goes
        back through 退回 (found by the manual's walk). Contact details and the rest stay
        editable, as does a draft or a rejected application (whose eligibility flags follow:
        save_related)."""
        readonly = list(super().get_readonly_fields(request, obj))
        # The application is its applicant's for good: given to another account (a unit's,
        # another person's) it would change 工作单位 and 证件号码 with no history, and could land
        # in another unit's queue mid-decision.
        readonly.append("user")
        if obj is not None and (obj.admitted_expert or obj.status in IN_REVIEW):
            readonly += REVIEWED_FIELDS
        if self.pledge_given_only(obj):
            readonly.append("pledge_text")
        return readonly

    @staticmethod
    def pledge_given_only(obj) -> bool:
        """The applicant's own 诚信承诺, given when they submitted: no one else's to tick (the
        box leaves the form; its text shows instead)."""
        return obj is not None and obj.status != ApplicationStatus.DRAFT

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return [*exclude, "integrity_pledge"] if self.pledge_given_only(obj) else exclude

    @admin.display(description="诚信承诺")
    def pledge_text(self, application):
        return "已承诺" if application.integrity_pledge else "未承诺"

    def readonly_note(self, obj) -> str:
        """Why the key fields are text on this page (get_readonly_fields), above the form."""
        if obj.admitted_expert:
            return (
                "已入库专家的职称、专业领域等关键信息只能通过信息变更修改"
                "（经单位确认、科技局审核）。"
            )
        if obj.status == ApplicationStatus.PENDING_UNIT:
            return (
                "申请审核中（待单位推荐），职称、专业领域等关键信息不能在此修改；"
                "需要更正时，请所在单位退回申请人修改后重新提交。"
            )
        if obj.status == ApplicationStatus.PENDING_BUREAU:
            return (
                "申请审核中（待科技局审核），职称、专业领域等关键信息不能在此修改；"
                "需要更正时，请审核不通过并说明理由，由申请人修改后重新提交。"
            )
        return ""

    def has_add_permission(self, request):
        # An application begins in the portal, where its applicant fills it in and accepts the
        # personal-data terms (consent_version); one made here would have neither.
        return False

    @admin.display(description="手机")
    def masked_mobile(self, application):
        return mask(display_mobile(application.mobile), 3)

    @admin.display(description="证件号码")
    def masked_id_number(self, application):
        return mask_id_number(application.user.id_number)

    @admin.display(description="银行账号")
    def masked_bank_account(self, application):
        return mask(application.bank_account, 4)

    @admin.display(description="出生日期")
    def masked_birth_date(self, application):
        return masked_birth_date(application.birth_date)

    filter_horizontal = ["disciplines"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "disciplines":
            kwargs["queryset"] = Discipline.objects.select_related("parent")
            kwargs["form_class"] = DisciplinePicksField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    transition_services = {
        "approve": lambda app, user: services.approve_application(app, user),
        "reject": lambda app, user, **reasons: services.reject_application(app, user, **reasons),
    }

    def fields_to_save(self, obj, form):
        fields = super().fields_to_save(obj, form)
        return [*fields, "draft_saved_at"] if obj.editable else fields

    def save_model(self, request, obj, form, change):
        if change and form.changed_data and obj.editable:
            # A draft's version (experts.services.draft_version): the applicant's form open in
            # a tab, saved or not before, is refused as stale instead of putting back what the
            # operator corrected.
            obj.draft_saved_at = timezone.now()
        super().save_model(request, obj, form, change)  # in the change form's transaction
        # An operator's correction of 电子邮箱 reaches the account, as the applicant's own does
        # (找回密码 sends its link there). Applications are not added here (has_add_permission).
        follow_contact(
            obj.user,
            {name: getattr(obj, name) for name in ACCOUNT_CONTACT if name in form.changed_data},
        )

    def save_related(self, request, form, formsets, change):
        # 职称, 专业 or 专业领域 may have changed (the last only now, with the form's m2m).
        super().save_related(request, form, formsets, change)
        search.refresh(ExpertApplication.objects.filter(pk=form.instance.pk))
        # 出生日期, 职称级别 or 参加工作时间 may have changed: the flags of a waiting
        # application follow (a decided one keeps those it was decided with).
        eligibility.recompute(eligibility.waiting().filter(pk=form.instance.pk))

    @admin.display(description="资格提示")
    def eligibility_text(self, application):
        return "；".join(application.eligibility_flags) or "—"

    @admin.display(description="姓名", ordering="user__real_name")
    def name(self, application):
        return application.user.real_name

    @admin.display(description="工作单位", ordering="user__unit__name")
    def unit(self, application):
        return application.user.unit


@admin.register(ApplicationTransition)
class ApplicationTransitionAdmin(HistoryAdmin):
    search_fields = ["application__user__real_name", "actor__username"]
    list_select_related = ["application__user", "actor__unit"]

    def get_fields(self, request, obj=None):
        # A 退回 or 审核不通过 also keeps the reason codes ticked and the field comments.
        return [*super().get_fields(request, obj), "reason_labels", "field_comment_list"]

    @admin.display(description="理由")
    def reason_labels(self, transition):
        return "、".join(transition.reason_labels()) or "—"

    @admin.display(description="字段批注")
    def field_comment_list(self, transition):
        return (
            "；".join(f"{row['label']}：{row['comment']}" for row in transition.field_comments)
            or "—"
        )


class ReasonCodeAdminForm(forms.ModelForm):
    """A code's page and the list's rows (启用 is edited there too): no label twice among the
    active codes (ReasonCode.active_twin). The error sits at 中文说明 on the page, at 启用 in
    the list, which has no 中文说明 box."""

    class Meta:
        model = ReasonCode
        fields = "__all__"  # noqa: DJ007 - admin passes the fields it shows
        help_texts = {"code": "英文字母、数字、下划线或连字符，如 incomplete。"}
        # Django's own message calls a slug a “字段” (its translation of "slug").
        error_messages = {
            "code": {"invalid": "代码只能由英文字母、数字、下划线（_）或连字符（-）组成。"}
        }

    def clean(self):
        cleaned = super().clean()
        code = self.instance
        label = cleaned.get("label", code.label) if "label" in self.fields else code.label
        active = cleaned.get("active", code.active) if "active" in self.fields else code.active
        twin = code.active_twin(label or "", active)
        if twin is not None:
            self.add_error(
                "label" if "label" in self.fields else "active",
                f"已有启用的理由使用“{twin.label}”这一中文说明（代码 {twin.code}），"
                "审核页会把两条列成一样的理由。请换一个说明，或先停用那一条。",
            )
        return cleaned


@admin.register(ReasonCode)
class ReasonCodeAdmin(OldAndNewChangeMessageMixin, admin.ModelAdmin):
    """The reasons reviewers tick for 退回 and 审核不通过: renamed, reordered or switched off
    here. A decision keeps the labels it showed, so an edit changes no earlier record. The
    audit trail says from what to what (on the code's page and in the list alike)."""

    form = ReasonCodeAdminForm
    change_message_fields = ("label", "active", "requires_text")
    list_display = ["label", "code", "order", "active", "needs_text"]
    list_editable = ["order", "active"]
    ordering = ["order", "pk"]

    def get_changelist_form(self, request, **kwargs):
        # The list's 启用 boxes follow the same rule as the code's page.
        return super().get_changelist_form(request, **{"form": ReasonCodeAdminForm, **kwargs})

    @admin.display(description="须填写说明", ordering="requires_text")
    def needs_text(self, code):
        return yes_no(code.requires_text)

    def has_delete_permission(self, request, obj=None):
        # Switching a reason off (启用) keeps it out of new decisions; its code stays taken.
        return False


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(OldAndNewChangeMessageMixin, admin.ModelAdmin):
    """资格提示 rules: a change applies at once to every application waiting for a decision
    (待单位推荐, 待科技局审核); decided applications keep the flags they were decided with.
    The audit trail says from what to what a threshold moved."""

    change_message_fields = ("value", "title_level", "active")

    list_display = ["__str__", "kind", "value", "title_level", "is_active"]
    list_filter = ["active", "kind"]
    fields = ["kind", "value", "title_level", "label", "active"]

    @admin.display(description="启用", ordering="active")
    def is_active(self, rule):
        return yes_no(rule.active)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # in the change form's transaction
        checked, changed = eligibility.recompute()
        self.message_user(
            request,
            f"已按当前规则重新核对{checked}份待审核或已退回的申请的资格提示，其中{changed}份有变化。",
        )

    def has_delete_permission(self, request, obj=None):
        # Switched off (启用) instead: one place to undo, and the same recompute.
        return False


@admin.register(Discipline)
class DisciplineAdmin(OldAndNewChangeMessageMixin, admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    # Renamed or moved, the audit trail says from what to what (experts' records name it).
    change_message_fields = ("code", "name", "parent")
    list_select_related = ["parent"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # in the change form's transaction
        # An applicant saving this sub-field as a pick while it moves is rebuilt by their own
        # save, which may read the field it had before the move commits; such a row stays
        # under the old field until `manage.py refresh_search` (a rare race, left to the
        # repair: moving a sub-field is an operator's act of a few times a year).
        if {"name", "parent"} & set(form.changed_data):
            # Its experts' search text names it, and a sub-field's names its field too.
            experts = in_discipline(ExpertApplication.objects.all(), obj.pk)
            search.refresh(experts)
            if "parent" in form.changed_data:
                # They are counted under its new field now (专家库's 专业领域 counts).
                FacetDiscipline.objects.rebuild(experts.values_list("pk", flat=True))

    def has_delete_permission(self, request, obj=None):
        # The bureau's fixed classification: applications and their search text refer to it.
        return False


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    """导出任务, read-only: an operator answering "my export never finished" sees whether it
    waits, runs (and how far), failed and why; the worker (`manage.py run_exports`) alone moves
    it, and deletes the file when it expires. The file is downloaded by its reviewer only."""

    list_display = [
        "created_at",
        "requested_by",
        "kind",
        "status",
        "progress",
        "sensitive_text",
        "finished_at",
    ]
    list_filter = ["status", "scope", "created_at"]
    search_fields = ["requested_by__username", "requested_by__real_name", "filter_text", "reason"]
    list_select_related = ["requested_by"]
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = [
        "requested_by",
        "kind",
        "filter_text",
        "sensitive_text",
        "reason",
        "status",
        "progress",
        "error",
        "created_at",
        "started_at",
        "updated_at",
        "finished_at",
        "exported_people",
    ]
    readonly_fields = fields
    # On the job's page, the first people of an export 含敏感信息; the rest on the paginated
    # list of 含敏感信息导出名单 it links to (a job may hold EXPORT_MAX_ROWS of them).
    people_shown = 20

    @admin.display(description="进度")
    def progress(self, job):
        return f"{job.rows_done} / {job.rows_total}（{job.percent}%）"

    @admin.display(description="含敏感信息", ordering="scope")
    def sensitive_text(self, job):
        return job.get_scope_display()

    @admin.display(description="导出名单（含敏感信息或联系方式）")
    def exported_people(self, job):
        if not job.holds_numbers:
            return "未含敏感信息（证件号码、银行账号、手机已脱敏），不记录名单。"
        event = (
            AuditEvent.objects.filter(
                action=SCOPE_ACTIONS[job.scope],
                object_type=job._meta.label_lower,
                object_id=str(job.pk),
            )
            .order_by("pk")
            .first()
        )
        rows = ExportedApplication.objects.filter(event=event) if event else None
        total = rows.count() if rows is not None else 0
        if not total:
            return "尚未写入（导出完成前逐批记录）。"
        first = rows.select_related("application__user").order_by("pk")[: self.people_shown]
        names = format_html_join(
            "、",
            '<a href="{}">{}</a>',
            (
                (
                    reverse("admin:experts_expertapplication_change", args=[row.application_id]),
                    f"{row.application.user.real_name}（专家编号 {row.application_id}）",
                )
                for row in first
            ),
        )
        listed = reverse("admin:experts_exportedapplication_changelist") + f"?event={event.pk}"
        return format_html(
            '共{}人：{}{} <a href="{}">查看全部{}人（分页，可按专家编号或姓名查找）</a>',
            total,
            names,
            "……" if total > self.people_shown else "",
            listed,
            total,
        )


# The export a 含敏感信息导出名单 row names, by its audit event's object.
EXPORT_KINDS = {"experts.exportjob": "专家库导出：导出任务", "draws.draw": "抽取记录导出：抽取记录"}


@admin.register(ExportedApplication)
class ExportedApplicationAdmin(ReadOnlyAdmin):
    """含敏感信息导出名单, read-only: whose numbers went out whole in which export, after the
    file and the 导出任务 are gone. Answers "which exports held application N" (search its
    专家编号) and "who was in this export" (the 导出任务's page links here, ?event=)."""

    list_display = ["at", "application_link", "unit_name", "export_kind", "event_link"]
    list_select_related = ["event", "application__user__unit"]
    search_fields = ["application__user__real_name"]
    search_help_text = "输入专家编号（完整）或姓名，查找其证件号码等曾被完整导出的记录。"
    date_hierarchy = "at"
    list_per_page = 100
    fields = ["at", "application_link", "unit_name", "export_kind", "event_link", "reason"]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        # A number is a 专家编号, and only that: a name holding the digits is someone else.
        term = search_term.strip()
        if term.isdecimal() and term.isascii():
            return queryset.filter(application_id=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="专家", ordering="application_id")
    def application_link(self, row):
        url = reverse("admin:experts_expertapplication_change", args=[row.application_id])
        name = row.application.user.real_name
        return format_html('<a href="{}">{}（专家编号 {}）</a>', url, name, row.application_id)

    @admin.display(description="工作单位")
    def unit_name(self, row):
        unit = row.application.user.unit
        return unit.name if unit else ""

    @admin.display(description="导出")
    def export_kind(self, row):
        event = row.event
        kind = EXPORT_KINDS.get(event.object_type, event.object_type)
        # Which numbers went out: all three, or the mobile only (a call list).
        what = event.get_action_display()
        return f"{kind}{event.object_id}（{what}）；{event.role} {event.username}"

    @admin.display(description="审计记录")
    def event_link(self, row):
        url = reverse("admin:audit_auditevent_change", args=[row.event_id])
        return format_html('<a href="{}">审计记录 {}</a>', url, row.event_id)

    @admin.display(description="审计说明")
    def reason(self, row):
        return row.event.detail
