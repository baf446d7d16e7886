"""Refuse form bodies the portal cannot read as UTF-8, before anything reads them.

Django 5.2 raises BadRequest for a body it cannot decode in the declared charset but leaves the
body marked unread (Django ticket #34709): the 400 handler's CSRF check reads request.POST again,
raises again, and the visitor gets a 500. Deciding here, before CsrfViewMiddleware's view hook or
any view touches request.POST, answers every such request with the portal's own 400 page.
"""

from urllib.parse import unquote_to_bytes

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string

UTF8_NAMES = {"utf-8", "utf8"}
METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}
URLENCODED = "application/x-www-form-urlencoded"

WRONG_CHARSET = "本系统只接受 UTF-8 编码提交的内容，您的浏览器使用了其他编码，内容未保存。"
NOT_UTF8 = "提交的内容不是有效的 UTF-8 文字，可能出现了乱码，内容未保存。"


def refusal(reason: str) -> HttpResponseBadRequest:
    # The page is rendered with no request, so it cannot read the body (as Django's 500 page).
    return HttpResponseBadRequest(render_to_string("400.html", {"reason": reason}))


def is_utf8_form(body: bytes) -> bool:
    """Every name and value of a urlencoded body, percent-decoded, is valid UTF-8."""
    try:
        body.decode("utf-8")
        for pair in body.split(b"&"):
            for part in pair.split(b"=", 1):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Utf8BodyMiddleware:
    """400 for a POST/PUT/PATCH that declares a charset other than UTF-8, or whose urlencoded
    body is not valid UTF-8 (declared or not). The parts of a multipart body are left to
    Django's parser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in METHODS_WITH_BODY:
            reason = self.refusal_reason(request)
            if reason is not None:
                return refusal(reason)
        return self.get_response(request)

    @staticmethod
    def refusal_reason(request) -> str | None:
        charset = request.content_params.get("charset")
        if charset is not None:
            if charset.strip().lower() not in UTF8_NAMES:
                return WRONG_CHARSET
            # Django reads a urlencoded body only when the charset is spelt "utf-8".
            request.encoding = "utf-8"
        if request.content_type == URLENCODED:
            try:
                body = request.body
            except RequestDataTooBig:
                # Not read: Django refuses it as before, from request.POST.
                return None
            if not is_utf8_form(body):
                return NOT_UTF8
        return None
