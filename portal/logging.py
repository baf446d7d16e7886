"""Log records an operator can read."""

import logging


class ForbiddenFilter(logging.Filter):
    """A refused request (403, PermissionDenied) is one line: who, which path, in which role.

    django.request logs it with the exception's traceback, which says nothing a refusal by
    role_required does not already say; errors (500) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        # Imported here: logging is configured before the apps are loaded.
        from accounts.permissions import role_label

        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        username = user.get_username() if user is not None and user.is_authenticated else "-"
        role = role_label(user) if user is not None else "访客"
        path = request.path if request is not None else "-"
        record.msg = "Forbidden: %s user=%s role=%s"
        record.args = (path, username, role)
        record.exc_info = None
        record.exc_text = None
        return True
