"""The portal's pages for the errors Django answers without one of its own: a 405 (Django has
no handler405; `require_POST` and the class-based views answer with an empty body) and a failed
CSRF check (CSRF_FAILURE_VIEW)."""

from django.template.loader import render_to_string


class NotAllowedPageMiddleware:
    """Gives an empty 405 the portal's 405.html. A person meets one by opening the address of a
    form's action (退回, 退出 …) from the address bar, a bookmark or the history: a decision form
    that fails validation is shown again at its action's address. Placed after the middleware
    that sets `request.user`, so the page shows the person's own navigation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            response.content = render_to_string("405.html", request=request)
            if response.has_header("Content-Length"):
                response.headers["Content-Length"] = str(len(response.content))
        return response
