"""One view for every decision a detail page posts, in both state machines, driven by a table.

Each app keeps its own table `{action: Action(permission, form, service, success)}` next to its
detail views (experts.views, accounts.views), and routes each decision's URL to
`TransitionView.as_view(...)` with the action as a keyword argument. Adding an action is one row
of the table and one URL. The pattern is pretalx's SubmissionStateChange.

This module imports nothing from the apps' views: both apps use it, neither imports the other.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View

from portal.views import perform, role_required


class Action(NamedTuple):
    """One row of a table: who may ask for it, what they fill in, what it does, what they are
    told when it is done."""

    # A predicate on the user (accounts.permissions): the role that may ask at all. The
    # transition's own FSM permission, checked by the service, decides for this object.
    permission: Callable[[Any], bool]
    # Its cleaned_data are the service's keyword arguments (comment=..., reason=...).
    form: type[forms.Form]
    # service(obj, actor, **cleaned_data); raises portal.workflow.WorkflowError.
    service: Callable[..., Any]
    # str.format()ed with obj=the object, as it was before the action.
    success: str


def empty_forms(actions: Mapping[str, Action]) -> dict[str, forms.Form]:
    """An unbound form per action, keyed by action: what a detail page shows before a POST."""
    return {action: row.form() for action, row in actions.items()}


class TransitionView(View):
    """POST an action on one object: 404 for an action not in the table or an object outside
    the user's scope, 403 for a role the row does not allow; a form with errors shows the
    detail page again (status 400, the typed text kept); otherwise the service runs and the
    person is told what happened, or why not (portal.views.perform), back on the detail page.

    Configured per detail page through as_view():
    - actions: that page's table;
    - scope: the scoping function, user → queryset (experts.selectors.applications_for);
    - detail: render(request, obj, forms, status) → the detail page, `forms` by action;
    - detail_url: the detail page's URL name, reversed with pk.
    """

    http_method_names = ["post"]
    actions: Mapping[str, Action] = {}
    scope: Callable[[Any], QuerySet] | None = None
    detail: Callable[..., HttpResponse] | None = None
    detail_url: str = ""

    def post(self, request, pk: int, action: str):
        row = self.actions.get(action)
        if row is None:
            raise Http404
        return role_required(row.permission)(self.act)(request, pk, action, row)

    def act(self, request, pk: int, action: str, row: Action):
        obj = get_object_or_404(self.scope(request.user), pk=pk)
        form = row.form(request.POST)
        if not form.is_valid():
            # The form is far down a long page, which comes back scrolled to its top.
            messages.error(request, "操作未完成：请按页面下方表单中标出的提示修改后重新提交。")
            return self.detail(request, obj, {action: form}, 400)
        perform(
            request,
            row.service,
            obj,
            request.user,
            **form.cleaned_data,
            success=row.success.format(obj=obj),
        )
        return redirect(self.detail_url, pk=obj.pk)


def decisions(actions: Mapping[str, Action], scope, detail, detail_url: str):
    """The TransitionView of one detail page (see TransitionView for the arguments)."""
    return TransitionView.as_view(
        actions=actions, scope=scope, detail=detail, detail_url=detail_url
    )
