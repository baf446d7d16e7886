"""The client's address as our own server or proxy saw it. A leaf module (no app imports):
django-axes (AXES_CLIENT_IP_CALLABLE) and the audit log both read it."""

from django.conf import settings


def client_ip(request) -> str:
    """The address lockouts count against: the last hop our own proxy saw, never a value the
    client could set. Without a proxy that is REMOTE_ADDR."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            # The proxy appends the address it saw; anything before it came from the client.
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
