"""Admin integration of the state machines: transition buttons, our services behind them."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.module_loading import import_string

from audit.log import record
from audit.models import AuditEvent
from portal.workflow import WorkflowError, declared_transitions, save_fields, transition_of


class ServiceTransitionAdmin(admin.ModelAdmin):
    """Offers the status field's transitions as buttons on the change page and applies each
    through our service.

    Calling the transition method and saving the object would skip the row lock, the history
    row and the SMS outbox; `transition_services` maps each transition name to the service
    function (obj, user, **form_data) that does all of that. Only transitions marked
    `custom={"admin": True}` that have a service are offered. One with `custom={"form": ...}`
    (a reason, say) asks for it on a page of its own first.

    The buttons post to a URL of their own (transition_view), not with the change form: what
    is typed on the change page is saved by 保存 alone, never by a decision, nor by a decision
    begun and then left at 取消.
    """

    change_form_template = "admin/portal/transition_change_form.html"
    transition_form_template = "admin/portal/transition_form.html"
    transition_block_label = "审核操作"
    transition_services: dict = {}

    def get_readonly_fields(self, request, obj=None):
        # The status changes through transitions only.
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if "status" in fields else (*fields, "status")

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/transition/<str:transition_name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{opts.app_label}_{opts.model_name}_transition",
            ),
            *super().get_urls(),
        ]

    def admin_transition(self, transition_name: str):
        """The transition of that name an operator may ask for here, or None."""
        if transition_name not in self.transition_services:
            return None
        transition = transition_of(self.model, transition_name)
        return transition if transition.custom.get("admin") else None

    def offered_transitions(self, request, obj) -> list[dict]:
        """The buttons: transitions open in the object's state to this user."""
        return [
            {
                "name": t.name,
                "label": t.custom.get("label", t.name),
                "help_text": t.custom.get("help_text", ""),
                "asks": bool(t.custom.get("form")),  # a page of its own, reached by a link
                "url": reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_transition",
                    args=[obj.pk, t.name],
                ),
            }
            for t in obj.get_available_user_status_transitions(request.user)
            if self.admin_transition(t.name) is not None
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "transition_block_label": self.transition_block_label,
            "admin_transitions": self.offered_transitions(request, obj) if obj else [],
            "readonly_note": self.readonly_note(obj) if obj else "",
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def readonly_note(self, obj) -> str:
        """A line above the form saying why some fields are text here ("": none)."""
        return ""

    def change_url(self, obj) -> str:
        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def apply_transition(self, request, obj, transition_name: str, data=None) -> bool:
        """Runs the transition's service; tells the operator how it went."""
        try:
            self.transition_services[transition_name](obj, request.user, **(data or {}))
        except WorkflowError as error:
            self.message_user(request, str(error), level=messages.ERROR)
            return False
        label = self.admin_transition(transition_name).custom.get("label", transition_name)
        obj.refresh_from_db()  # named in its new state (the service saved another instance)
        self.message_user(request, f"已{label}：{obj}。", level=messages.SUCCESS)
        return True

    def transition_view(self, request, object_id, transition_name):
        """A transition: one without a form runs on its button's POST (the button asks first);
        one that needs a form (a reason) asks for it on this page, then runs the service."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        transition = self.admin_transition(transition_name)
        if transition is None:
            self.message_user(request, "该操作不能在后台执行。", level=messages.ERROR)
            return redirect(self.change_url(obj))
        if not transition.custom.get("form"):
            if request.method == "POST":
                self.apply_transition(request, obj, transition_name)
            return redirect(self.change_url(obj))
        form = import_string(transition.custom["form"])(
            request.POST if request.method == "POST" else None
        )
        if request.method == "POST" and form.is_valid():
            self.apply_transition(request, obj, transition_name, form.cleaned_data)
            return redirect(self.change_url(obj))
        label = transition.custom.get("label", transition_name)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}：{obj}",  # the page's one heading, as admin's change pages
            "opts": self.opts,
            "original": obj,
            "transition": {"label": label, "help_text": transition.custom.get("help_text", "")},
            "transition_form": form,
        }
        return TemplateResponse(request, self.transition_form_template, context)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Write only what the operator changed. A full save would write back the status read
        # when the page loaded, undoing a decision someone made meanwhile. A change of
        # many-to-many fields alone (saved after this) still marks the row as changed.
        if form.changed_data:
            save_fields(obj, self.fields_to_save(obj, form))

    def fields_to_save(self, obj, form) -> list[str]:
        """The columns an operator's correction writes (a subclass may stamp more)."""
        return [
            name
            for name in form.changed_data
            if not obj._meta.get_field(name).many_to_many and name != "status"
        ]

    def has_delete_permission(self, request, obj=None):
        # Records with a history are never deleted; they end in a final state instead.
        return False


def labelled_filter(field: str, title: str, choices):
    """A list filter on a coded column, offering the codes' Chinese labels."""

    class Filter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return choices

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    Filter.title = title
    return Filter


def transition_choices(model) -> list[tuple[str, str]]:
    """(name, label) of every transition of a model's status field."""
    transitions = declared_transitions(model).values()
    return sorted((t.name, t.custom.get("label", t.name)) for t in transitions)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History rows: operators read and filter them; nobody edits or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryLabels:
    """The columns of a transition record (accounts.models.TransitionRecord) in the manual's
    words instead of codes, for the history lists and the inlines on the objects' pages."""

    @admin.display(description="操作")
    def action_label(self, record):
        return record.get_action_display()

    @admin.display(description="原状态")
    def from_label(self, record):
        return record.get_from_status_display()

    @admin.display(description="新状态")
    def to_label(self, record):
        return record.get_to_status_display()

    @admin.display(description="操作人", ordering="actor__username")
    def actor_label(self, record):
        # Operators are staff: the person who acted, and a unit account by its unit.
        return record.actor_label(for_staff=True)


class HistoryInline(HistoryLabels, admin.TabularInline):
    """审核记录 on the object's change page: read-only, newest first."""

    verbose_name = "审核记录"
    verbose_name_plural = "审核记录"
    fields = ["created_at", "action_label", "from_label", "to_label", "actor_label", "comment"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    can_delete = False
    classes = ["history-inline"]  # static/css/admin.css

    def get_queryset(self, request):
        # What actor_label reads, without the ID numbers no history shows (nor decrypts).
        return super().get_queryset(request).with_actors()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(HistoryLabels, ReadOnlyAdmin):
    """Transition records, newest first: the object, what was done, from which state to
    which, by whom, when."""

    ordering = ["-created_at", "-id"]

    def get_fields(self, request, obj=None):
        # The change page in the same words as the list, not the stored codes.
        return [
            self.model.subject_field,
            "action_label",
            "from_label",
            "to_label",
            "actor_label",
            "comment",
            "created_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_list_display(self, request):
        return [
            "created_at",
            self.model.subject_field,
            "action_label",
            "from_label",
            "to_label",
            "actor_label",
        ]

    def get_list_filter(self, request):
        subject = self.model.subject_model()
        return [
            labelled_filter("action", "操作", transition_choices(subject)),
            labelled_filter("to_status", "新状态", subject._meta.get_field("status").choices),
        ]


class OldAndNewChangeMessageMixin:
    """The admin's change message, which names a changed field only ("已修改名称"), says
    from what to what for the fields in `change_message_fields`:
    `名称由“软件”改为“软件工程”；已修改代码。`.
    The audit trail keeps this text (audit.signals, 后台修改), where an auditor needs the old
    value: a renamed 专业领域, the groups a user gained or lost, an account or a reason code
    switched off. Other fields keep Django's wording.

    Many-to-many fields whose lists run long (a user's or a group's permissions) are listed in
    `change_message_sets` instead and told by what was added and what was removed:
    `权限：增加“安全审计 | 审计记录 | 可查看审计记录”，取消“…”`, on the add page too.

    List only fields whose values may be written out: never a personal number (证件号码,
    银行账号, 手机), which the admin shows masked (tests/test_admin_change_messages.py checks)."""

    change_message_fields: tuple[str, ...] = ()
    change_message_sets: tuple[str, ...] = ()

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if add:
            return self.added_with(form, message)
        changed = form.changed_data
        told = [
            name
            for name in changed
            if name in self.change_message_fields or name in self.change_message_sets
        ]
        if not told or not (isinstance(message, list) and message and "changed" in message[0]):
            return message
        # Django's first entry lists the changed fields' labels in the order of changed_data;
        # those told from what to what leave it, and what remains reads as Django words it.
        labels = message[0]["changed"]["fields"]
        others = [label for name, label in zip(changed, labels, strict=True) if name not in told]
        rest = ([{"changed": {"fields": others}}] if others else []) + message[1:]
        said = []
        for name in told:
            if name in self.change_message_sets:
                said.append(self.added_and_removed(form, name))
                continue
            before = self.change_message_value(form, name, initial=True)
            after = self.change_message_value(form, name)
            said.append(f"{form.fields[name].label or name}由“{before}”改为“{after}”")
        text = "；".join(said) + "。"
        if rest:
            text = f"{text[:-1]}；{LogEntry(change_message=json.dumps(rest)).get_change_message()}"
        return text

    def added_with(self, form, message):
        """The add page's message, naming what the new object was given in
        `change_message_sets` (a new group's permissions)."""
        said = [
            self.added_and_removed(form, name)
            for name in self.change_message_sets
            if name in form.fields and form.cleaned_data.get(name)
        ]
        if not said:
            return message
        added = LogEntry(change_message=json.dumps(message)).get_change_message()
        return f"{added.removesuffix('。')}；{'；'.join(said)}。"

    def added_and_removed(self, form, name: str) -> str:
        """A many-to-many field's change as what was added and what removed, each by the name
        its box gives it: `用户权限：增加“A”、“B”，取消“C”`."""
        field = form.fields[name]
        # Before: the objects (model_to_dict lists them); after: a queryset.
        before = {obj.pk: obj for obj in form.initial.get(name) or []}
        after = {obj.pk: obj for obj in form.cleaned_data.get(name) or []}
        parts = []
        for verb, objects, keys in [
            ("增加", after, after.keys() - before.keys()),
            ("取消", before, before.keys() - after.keys()),
        ]:
            names = sorted(field.label_from_instance(objects[key]) for key in keys)
            if names:
                parts.append(verb + "、".join(f"“{each}”" for each in names))
        return f"{field.label or name}：{'，'.join(parts) or '未变'}"

    def change_message_value(self, form, name: str, initial: bool = False) -> str:
        """A field's value before the save (`initial`) or after, as the page names it."""
        field = form.fields[name]
        value = form.initial.get(name) if initial else form.cleaned_data.get(name)
        if isinstance(field, forms.ModelMultipleChoiceField):
            # Before: the objects (model_to_dict lists them); after: a queryset.
            names = sorted(str(obj) for obj in (value or []))
            return "、".join(names) or "无"
        if isinstance(field, forms.ModelChoiceField):
            if value is not None and not isinstance(value, models.Model):
                # Before: the stored key (model_to_dict gives the id), named as the box named
                # it; one the box no longer offers, by its number.
                value = field.queryset.filter(pk=value).first() or f"编号{value}"
            return str(value) if value is not None else "无"
        if isinstance(value, bool):
            return yes_no(value)
        if value in (None, ""):
            return "空"
        choices = dict(flatchoices(getattr(field, "choices", None) or []))
        return str(choices.get(value, value))


def flatchoices(choices) -> list[tuple]:
    """Choices without their groups: (value, label) pairs."""
    flat = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            flat.extend(label)
        else:
            flat.append((value, label))
    return flat


def yes_no(value) -> str:
    """A boolean as text. Django's admin draws booleans as icons whose alt text is "True" or
    "False" in English, which is what a screen reader says."""
    return "是" if value else "否"


def local_time(value) -> str:
    """A time as the admin prints one, for display methods (a read-only field would print a
    returned datetime raw, in UTC); "—" for none."""
    return formats.localize(timezone.localtime(value)) if value else "—"


PERMISSION_ACTIONS = {"add": "增加", "change": "修改", "delete": "删除", "view": "查看"}


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    """Permissions named in Chinese. Django stores the default ones as "Can add <model>" in
    English whatever the language; the label is built from the codename's action and the
    model's verbose name instead, e.g. 专家管理 | 专家申请 | 可修改专家申请."""

    def label_from_instance(self, permission):
        action = permission.codename.partition("_")[0]
        prefix = f"Can {action} "
        if action not in PERMISSION_ACTIONS or not permission.name.startswith(prefix):
            return str(permission)  # a permission of our own, named in Chinese
        model = permission.content_type.model_class()
        # A content type left behind by a model that moved has no model: its stored name.
        subject = model._meta.verbose_name if model else permission.name.removeprefix(prefix)
        return f"{permission.content_type} | 可{PERMISSION_ACTIONS[action]}{subject}"


class ChinesePermissionsMixin:
    """For the admins of users and groups: their permission pickers in Chinese."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionChoiceField
            # django-otp's device is managed through accounts.Authenticator's permissions, and
            # a content type whose model is gone (it moved to another app) grants nothing.
            stale = [ct.pk for ct in ContentType.objects.all() if ct.model_class() is None]
            kwargs.setdefault(
                "queryset",
                db_field.remote_field.model.objects.select_related("content_type")
                .exclude(content_type__app_label="otp_totp")
                .exclude(content_type__in=stale),
            )
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


# Why an operator opens whole ID or bank numbers (PIPL's minimum-necessary rule): the audit
# record names the reason, chosen from this list.
PERSONAL_DATA_REASONS = [
    ("verify_identity", "核对本人身份"),
    ("correct", "应本人或所在单位请求更正信息"),
    ("payment", "发放评审劳务费"),
    ("incident", "处理投诉或安全事件"),
]


class PersonalDataReasonForm(forms.Form):
    reason = forms.ChoiceField(
        label="查看理由",
        choices=PERSONAL_DATA_REASONS,
        # admin's class for a list of choices: its labels then take their own width, not the
        # 160 px column of the form's labels (admin/css/forms.css).
        widget=forms.RadioSelect(attrs={"class": "radiolist"}),
    )


class PersonalDataAdminMixin:
    """Whole personal numbers in admin only on request: the change page shows them masked
    with a 查看完整信息 link; its page asks for a reason and, on confirming, shows the whole
    values on that one page and writes one audit event (查看完整个人信息) naming the fields
    and the reason. Nothing is kept in the session: the next visit asks again.

    `personal_data_fields` maps each field's label to a function (obj) -> its whole value."""

    personal_data_fields: dict = {}
    personal_data_template = "admin/portal/personal_data.html"

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/personal-data/",
                self.admin_site.admin_view(self.personal_data_view),
                name=f"{opts.app_label}_{opts.model_name}_personal_data",
            ),
            *super().get_urls(),
        ]

    def personal_data_allowed(self, obj) -> tuple[dict, str]:
        """The fields of `personal_data_fields` that may be shown whole for `obj`, and why any
        others may not ('' when all may): a person's withdrawn consent ends it for their
        sensitive numbers (experts.permissions.may_process_sensitive_numbers)."""
        return self.personal_data_fields, ""

    @admin.display(description="完整信息")
    def personal_data_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        opts = self.opts
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_personal_data", args=[obj.pk])
        return format_html('<a href="{}">查看完整信息</a>', url)

    def personal_data_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        fields, refusal = self.personal_data_allowed(obj)
        form = PersonalDataReasonForm(request.POST if request.method == "POST" else None)
        values = None
        if request.method == "POST" and fields and form.is_valid():
            reason = dict(PERSONAL_DATA_REASONS)[form.cleaned_data["reason"]]
            labels = list(fields)
            record(
                AuditEvent.Action.VIEW_PERSONAL_DATA,
                request=request,
                obj=obj,
                detail=f"后台查看：{'、'.join(labels)}；理由：{reason}",
            )
            values = [(label, get(obj) or "（未填写）") for label, get in fields.items()]
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": f"查看完整信息：{obj}",
            "opts": opts,
            "original": obj,
            "field_labels": "、".join(fields),
            "refusal": refusal,
            "form": form,
            "values": values,
            "change_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
            ),
        }
        # admin_view() marks the page never_cache (no-store): the whole numbers stay in no cache.
        return TemplateResponse(request, self.personal_data_template, context)
