"""Fault walk: a mail server that accepted connections and never answered held both web workers
for EMAIL_TIMEOUT (30 s, gunicorn's own timeout) on two 找回密码 posts, and a server that
refused left the person on a page saying the mail had gone out. Real sockets on 127.0.0.1."""

import re
import socket
import threading
import time

import pytest
from django.core import mail
from django.urls import reverse

from accounts.forms import MAIL_NOT_SENT
from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("accounts:password_reset")
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def silent_mail_server(settings):
    """A mail server that accepts each connection (the kernel does) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        settings.EMAIL_BACKEND = SMTP
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.getsockname()
        settings.EMAIL_REQUEST_TIMEOUT = 1
        yield server


@pytest.fixture
def refusing_mail_server(settings):
    """A mail server address where nothing listens: each connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    return port


@pytest.fixture
def mail_server_refusing_every_address(settings):
    """A mail server that talks but refuses every recipient (550), as for a mailbox that does
    not exist: a failure only an address with an account meets."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    commands = []

    def serve():
        while True:
            try:
                conversation, _ = server.accept()
            except OSError:  # closed at the end of the test
                return
            with conversation, conversation.makefile("rwb") as stream:
                stream.write(b"220 fake ESMTP\r\n")
                stream.flush()
                for line in stream:
                    verb = line[:4].upper()
                    commands.append(verb)
                    reply = {b"RCPT": b"550 no such mailbox", b"QUIT": b"221 bye"}.get(
                        verb, b"250 ok"
                    )
                    stream.write(reply + b"\r\n")
                    stream.flush()
                    if verb == b"QUIT":
                        break

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.getsockname()
    yield commands
    server.close()
    worker.join(timeout=5)


def error_shown(response) -> str:
    """The page's error block (the form's non-field errors), without the per-request token."""
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_a_silent_mail_server_holds_the_request_for_the_short_request_timeout(
    client, unit, silent_mail_server
):
    person = factories.make_applicant(unit)

    started = time.monotonic()
    response = client.post(URL, {"email": person.email})
    elapsed = time.monotonic() - started

    assert elapsed < 5  # EMAIL_REQUEST_TIMEOUT (1 s here), not EMAIL_TIMEOUT's 30
    assert response.status_code == 503
    assert MAIL_NOT_SENT in response.content.decode()


def test_a_refused_mail_reads_the_same_for_a_known_and_an_unknown_address(
    client, unit, refusing_mail_server
):
    """The page never says whether an address has an account: the mail server is asked for
    every address, so an outage reads the same for both."""
    person = factories.make_applicant(unit)

    known = client.post(URL, {"email": person.email})
    unknown = client.post(URL, {"email": "nobody-here@example.com"})

    assert (known.status_code, unknown.status_code) == (503, 503)
    assert MAIL_NOT_SENT in known.content.decode()
    assert error_shown(known).replace(person.email, "X") == error_shown(unknown).replace(
        "nobody-here@example.com", "X"
    )
    assert "邮件已发送" not in known.content.decode()


def test_after_a_refused_mail_the_person_may_ask_again_at_once(
    client, unit, settings, refusing_mail_server
):
    """The two-minute turn of an account is given back when its mail was not sent."""
    person = factories.make_applicant(unit)
    assert client.post(URL, {"email": person.email}).status_code == 503

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # it answers again
    again = client.post(URL, {"email": person.email})

    assert again.status_code == 302
    assert [message.to for message in mail.outbox] == [[person.email]]


def test_an_address_the_mail_server_refuses_reads_as_any_other(
    client, unit, mail_server_refusing_every_address
):
    """Saying that this mail failed would say that the address has an account: the page reads
    as for an unknown address, and says whom to ask when no mail comes."""
    person = factories.make_applicant(unit)

    known = client.post(URL, {"email": person.email}, follow=True)
    unknown = client.post(URL, {"email": "nobody-here@example.com"}, follow=True)

    assert b"RCPT" in mail_server_refusing_every_address  # the mail was tried, and refused
    for response in (known, unknown):
        assert response.redirect_chain[-1][0] == reverse("accounts:password_reset_done")
        assert "如几分钟后仍未收到" in response.content.decode()


def test_a_mail_that_goes_out_still_says_so(client, unit, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = factories.make_applicant(unit)

    response = client.post(URL, {"email": person.email}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1


def test_the_request_timeout_must_stay_well_below_gunicorns():
    from tests.test_settings import run_manage

    result = run_manage(
        "check", EMAIL_REQUEST_TIMEOUT="30", DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3"
    )

    assert result.returncode != 0
    assert "EMAIL_REQUEST_TIMEOUT must be 1 to 10 seconds" in result.stderr


def test_one_address_past_the_limit_is_asked_to_wait_with_what_it_typed(client, unit, settings):
    """Each post opens a connection to the mail server, known address or not: one client
    address may post PASSWORD_RESET_RATE_LIMIT a minute; another address is not held back."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    person = factories.make_applicant(unit)
    # A post the form refuses never reaches the mail server and is not counted.
    assert client.post(URL, {"email": "不是邮箱"}).status_code == 200
    for address in ("nobody@example.com", "nobody2@example.com"):
        assert client.post(URL, {"email": address}).status_code == 302

    response = client.post(URL, {"email": person.email})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert re.search(r"找回密码的请求过于频繁，请\d+秒后再试。", page)
    assert f'value="{person.email}"' in page
    assert mail.outbox == []
    # Someone at another address is served (and mailed) as before.
    other = client.post(URL, {"email": person.email}, REMOTE_ADDR="10.0.0.8")
    assert other.status_code == 302 and len(mail.outbox) == 1


def test_the_reset_limit_must_be_at_least_one():
    from tests.test_settings import run_manage

    result = run_manage(
        "check", PASSWORD_RESET_RATE_LIMIT="0", DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3"
    )

    assert result.returncode != 0
    assert "PASSWORD_RESET_RATE_LIMIT must be 1 or more" in result.stderr
