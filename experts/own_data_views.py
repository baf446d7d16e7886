"""我的个人信息: the applicant reads everything the portal holds about them, and downloads it."""

import json

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from accounts.permissions import is_applicant
from audit.log import record
from audit.models import AuditEvent
from experts.own_data import collect
from experts.selectors import own_application
from portal.views import role_required


@never_cache
@role_required(is_applicant)
def own_data(request):
    """The readable copy (a page to read or print), with the download beside it."""
    data = collect(request.user, own_application(request.user))
    return render(request, "experts/own_data.html", {"data": data})


@never_cache
@role_required(is_applicant)
def own_data_download(request):
    """The same as one JSON file, recorded in the audit trail."""
    data = collect(request.user, own_application(request.user))
    record(
        AuditEvent.Action.VIEW_PERSONAL_DATA,
        request=request,
        obj=request.user,
        detail="下载我的个人信息（JSON）",
    )
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    # Named in Chinese like the portal's other downloads (专家入库证明.pdf, 专家名单-….xlsx).
    name = f"我的个人信息-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
