"""The portal's page for the one error Django answers without a template of its own: a 405
(Django has no handler405; `require_POST` and the class-based views answer with an empty body).
A failed CSRF check needs nothing here: Django's own view renders jinja/403_csrf.html."""

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
