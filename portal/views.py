from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Q
from django.shortcuts import redirect, render

from accounts.permissions import is_applicant, is_bureau_reviewer, is_unit_account
from audit.log import record
from audit.models import AuditEvent
from portal.workflow import WorkflowError

PAGE_SIZE = 25


def home(request):
    """The landing page for visitors; everyone else goes to their own start page."""
    user = request.user
    if is_bureau_reviewer(user):
        return redirect("experts:bureau_queue")
    if is_unit_account(user):
        return redirect("accounts:unit_home")
    if is_applicant(user):
        return redirect("experts:home")
    return render(request, "home.html")


def role_required(predicate):
    """Let through users for whom predicate(user) holds; send visitors to log in first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def posted(request) -> tuple:
    """A form's data: bound on every POST (even an empty one), unbound on GET."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def search_term(request, limit: int = 100) -> str:
    """The ?q= search text, without NUL characters (PostgreSQL refuses them in a query)."""
    return request.GET.get("q", "").replace("\x00", "").strip()[:limit]


def perform(request, action, *args, success: str, **kwargs) -> bool:
    """Run a service; tell the person what happened, or why it could not happen."""
    try:
        action(*args, **kwargs)
    except WorkflowError as error:
        messages.error(request, str(error))
        subject = args[0] if args and isinstance(args[0], models.Model) else None
        record(
            AuditEvent.Action.TRANSITION,
            request=request,
            obj=subject,
            result=AuditEvent.Result.FAILURE,
            detail=str(error),
        )
        return False
    messages.success(request, success)
    return True


def filtered_page(request, queryset, *, choices, default_status, search_fields, order_by):
    """A list page's context: per-status counts (one aggregate query), status filter, search
    over `search_fields`, and one page of PAGE_SIZE rows."""
    query = search_term(request)
    if query:
        condition = Q()
        for field in search_fields:
            condition |= Q(**{f"{field}__icontains": query})
        queryset = queryset.filter(condition)
    counted = dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))
    status = request.GET.get("status", default_status)
    valid = {value for value, _ in choices}
    if status not in valid:
        status = "all"
    if status != "all":
        queryset = queryset.filter(status=status)
    page = Paginator(queryset.order_by(*order_by), PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "rows": page.object_list,
        "status": status,
        "q": query,
        "tabs": [("all", "全部", sum(counted.values()))]
        + [(value, label, counted.get(value, 0)) for value, label in choices],
    }
