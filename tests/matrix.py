"""What the two transition matrices share: the outcomes a cell can have, how an action is
described, and what a person must see for each outcome."""

import enum
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse


class Outcome(enum.Enum):
    DONE = "done"  # the action happens
    REFUSED = "refused"  # right person, wrong state: nothing changes, a message says why
    LOGIN = "login"  # a visitor is sent to log in
    FORBIDDEN = "403"  # the page is not for this role
    NOT_FOUND = "404"  # the object is outside the user's scope
    OWN_ONLY = "own-only"  # a URL without pk: it reaches only the actor's own object


@dataclass(frozen=True)
class Action:
    url_name: str
    takes_pk: bool
    page_roles: frozenset[str]  # roles the page lets in
    scope_roles: frozenset[str]  # of those, who can reach the object
    source: str | tuple[str, ...]  # the state, or the states, the action starts from
    target: str | None  # None: a save without a transition
    sms: int  # SMS rows a successful action queues
    data: tuple[tuple[str, str], ...] = ()
    url_kwargs: tuple[tuple[str, str], ...] = ()  # the URL's own arguments besides pk

    def starts_from(self, state: str) -> bool:
        return state in self.source if isinstance(self.source, tuple) else state == self.source


def assert_answer(response, outcome: Outcome, says: str | None = None) -> None:
    """The response a person sees for `outcome`; a refusal's message must contain `says`."""
    if outcome is Outcome.LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login") + "?next=")
    elif outcome is Outcome.FORBIDDEN:
        assert response.status_code == 403
    elif outcome is Outcome.NOT_FOUND:
        assert response.status_code == 404
    else:
        said = [(m.level, m.message) for m in get_messages(response.wsgi_request)]
        if outcome is Outcome.DONE:
            assert response.status_code == 302
            assert [level for level, _ in said] == [messages.SUCCESS], said
        else:
            assert response.status_code in (200, 302)
            assert len(said) == 1, (
                f"HTTP {response.status_code} without a message saying why nothing happened: {said}"
            )
            level, text = said[0]
            assert level == messages.ERROR, said
            assert any("\u4e00" <= char <= "\u9fff" for char in text), text
            if says:
                assert says in text, text
