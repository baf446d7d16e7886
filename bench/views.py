"""Reference 2, the raw list: what any list page could at most do on this stack."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from experts.models import ApplicationStatus, ExpertApplication
from portal.views import PAGE_SIZE


@login_required
def raw_list(request):
    """The 专家审核 queue's first page (same rows, same order), in one query, bare template
    on the lists' engine, Jinja2."""
    rows = (
        ExpertApplication.objects.filter(status=ApplicationStatus.PENDING_BUREAU)
        .order_by("recommended_at", "pk")
        .values_list("pk", "user__real_name", "user__unit__name", "title", "recommended_at")[
            :PAGE_SIZE
        ]
    )
    return render(request, "bench/raw_list.html", {"rows": rows})
