"""下载入库证明 (the expert's own, nobody else's) and the public 证书查验 page.

Only the expert downloads a certificate: the URL names no one, so each applicant reaches their
own and nobody can ask for another's; units and reviewers have no certificate to download (403),
and an applicant who is not 审核通过 has none either (told why on their home page); while the
admission is on 公示 it may still be reversed, so the certificate waits for the 公示期's end.
证书查验 needs no login."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from accounts.permissions import is_applicant
from certificates import ratelimit, services
from certificates.forms import VerifyForm
from certificates.rules import details_indexes, invalid_reason
from certificates.selectors import find, masked_name
from experts.selectors import own_application
from portal.views import role_required

NOT_FOUND = "未找到该证书，请核对验证码。"


@role_required(is_applicant)
def download(request):
    application = own_application(request.user)
    if application is None:
        raise Http404
    try:
        certificate = services.certificate_for(application)
    except services.NotAdmitted:
        # A saved link or bookmark, after 冻结 or 退出 say: why, rather than 页面不存在.
        messages.info(
            request,
            f"入库证明只能在专家状态为“审核通过”时下载；"
            f"您当前的状态为“{application.get_status_display()}”。",
        )
        return redirect("experts:home")
    except services.OnNotice as notice:
        messages.info(
            request,
            f"您的入库信息正在公示，公示期至{notice.ends:%Y-%m-%d}，期满后即可下载入库证明。",
        )
        return redirect("experts:home")
    certificate.application = application  # with its user (the request's) loaded
    # Imported here: WeasyPrint needs Pango from the system (README), and a machine without it
    # still serves every other page.
    from certificates import pdf

    response = HttpResponse(pdf.render(certificate), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, "专家入库证明.pdf")
    # Personal data: kept by no shared cache, and not by the browser's either.
    response["Cache-Control"] = "private, no-store"
    return response


def verify(request):
    """GET ?code=…, from the form or the certificate's QR code. A wrong code reads the same
    whatever it was (no hint of a near miss), with the same status as a found one."""
    form = VerifyForm(request.GET if "code" in request.GET else None)
    context = {"form": form, "searched": False, "certificate": None, "wait": 0, "masked_name": ""}
    if form.is_bound:
        wait = ratelimit.seconds_to_wait(request)
        if wait:
            # The form again with what was typed, and when to try it.
            context["wait"] = wait
            response = render(request, "certificates/verify.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            certificate = find(form.cleaned_data["code"])
            context["searched"] = True
            if certificate is not None:
                application = certificate.application
                holder_indexes = details_indexes(application)
                context["certificate"] = certificate
                context["invalid_reason"] = invalid_reason(
                    certificate, holder_indexes=holder_indexes
                )
                # The holder as the paper prints them, never as they are now: after a 信息变更
                # the old paper's code would tell anyone holding it the new employer.
                if certificate.details_index in holder_indexes:
                    context["masked_name"] = masked_name(application.user.real_name)
                    context["unit"] = application.unit.name if application.unit else ""
            else:
                context["not_found"] = NOT_FOUND
    return render(request, "certificates/verify.html", context)
