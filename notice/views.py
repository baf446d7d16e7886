import functools

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import is_bureau_reviewer
from experts.selectors import applications_for
from notice import periods, selectors, services
from notice.forms import ObjectionForm
from portal.ratelimit import rate_limited
from portal.views import PAGE_SIZE, CountedPaginator, perform, role_required


def notice_enabled(view):
    """404 while PUBLIC_NOTICE_ENABLED is off: a bureau without 公示 has no such page."""

    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        if not periods.enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return checked


@require_safe
@notice_enabled  # before the rate limit: a page that does not exist counts nothing
@rate_limited("notice", "PUBLIC_NOTICE_RATE_LIMIT")
def public_notice(request):
    """专家入库公示 (no login): the experts approved within the last PUBLIC_NOTICE_DAYS working
    days, with only their name, unit, 专业领域, 专业技术职称 and 公示期, 25 to a page. A page
    number outside the list shows its first or last page; there is no search and no other
    format (notice.selectors caches the rows)."""
    today = timezone.localdate()
    paginator = CountedPaginator(
        selectors.public_rows(today), PAGE_SIZE, count=selectors.count_on_notice(today)
    )
    page = paginator.get_page(request.GET.get("page"))
    response = render(
        request,
        "notice/public.html",
        {
            "page": page,
            "rows": selectors.page_rows(today, page) if paginator.count else [],
            "days": settings.PUBLIC_NOTICE_DAYS,
            "today": today,
        },
    )
    # For people to read during the period, not for search engines to keep afterwards.
    response["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    return response


@require_POST
@role_required(is_bureau_reviewer)
def record_objection(request, pk):
    """记录公示异议 from the bureau's detail page; a form with errors comes back on a page of
    its own with what was typed (400)."""
    application = get_object_or_404(applications_for(request.user), pk=pk)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        context = {"application": application, "form": form}
        return render(request, "notice/objection_form.html", context, status=400)
    perform(
        request,
        services.record_objection,
        application,
        request.user,
        **form.cleaned_data,
        success=f"已记录对{application.user.real_name}的公示异议。",
    )
    return redirect(reverse("experts:bureau_detail", args=[application.pk]) + "#notice")


def panel_context(application) -> dict:
    """What the bureau's detail page needs for its 公示与异议 (jinja/includes/notice_panel.html)."""
    return {
        "notice": selectors.notice_panel(application, timezone.localdate()),
        "objection_form": ObjectionForm(),
    }
