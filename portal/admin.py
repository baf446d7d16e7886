"""Admin integration of the state machines: django-fsm-2's buttons, our services behind them."""

from django.contrib import admin, messages
from django_fsm.admin import FSMAdminMixin

from portal.workflow import WorkflowError


class ServiceTransitionAdmin(FSMAdminMixin, admin.ModelAdmin):
    """Shows django-fsm-2's transition buttons, but applies each through our service.

    django-fsm-2 would call the transition method and save the object itself, skipping the row
    lock, the history row and the SMS outbox; `transition_services` maps each transition name to
    the service function (obj, user, **form_data) that does all of that.
    """

    fsm_fields = ["status"]
    transition_services: dict = {}

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return "审核操作"

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Write only what the operator changed. A full save would write back the status read
        # when the page loaded, undoing a decision someone made meanwhile.
        fields = [
            name
            for name in form.changed_data
            if not obj._meta.get_field(name).many_to_many and name not in self.fsm_fields
        ]
        if fields:
            obj.save(update_fields=fields)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        service = self.transition_services.get(transition_name)
        if service is None:
            self.message_user(request, "该操作不能在后台执行。", level=messages.ERROR)
            return False
        try:
            service(obj, request.user, **(kwargs or {}))
        except WorkflowError as error:
            self.message_user(request, str(error), level=messages.ERROR)
            return False
        self.message_user(request, "操作已完成。", level=messages.SUCCESS)
        return True

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
    transitions = model._meta.get_field("status").get_all_transitions(model)
    return sorted({(t.name, t.custom.get("label", t.name)) for t in transitions})


class ReadOnlyAdmin(admin.ModelAdmin):
    """History rows: operators read and filter them; nobody edits or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(ReadOnlyAdmin):
    """Transition records, shown with the manual's words instead of codes."""

    @admin.display(description="操作")
    def action_label(self, record):
        return record.get_action_display()

    @admin.display(description="原状态")
    def from_label(self, record):
        return record.get_from_status_display()

    @admin.display(description="新状态")
    def to_label(self, record):
        return record.get_to_status_display()
