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


class ReadOnlyAdmin(admin.ModelAdmin):
    """History rows: operators read and filter them; nobody edits or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
