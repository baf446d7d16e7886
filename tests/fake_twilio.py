"""A fake Twilio REST API on 127.0.0.1, so tests exercise the real `twilio` client end to end.

The `fake_twilio` fixture starts one server per test, points the portal's Twilio settings at
it and stops it afterwards. Tests switch `fake_twilio.mode` to choose how it answers:

- "ok": 201 with a fresh message sid, like a message Twilio accepted;
- "error500": 500, a Twilio outage;
- "invalid_number": 400 with Twilio's code 21211 (invalid 'To' number);
- "hang": accept the message (as Twilio would) but never answer, past the client's timeout;
- "drop": read the request and close the connection before accepting anything;
- "not_json": accept the message, then answer 200 with an HTML page, as a proxy in front of
  Twilio might;
- "gateway_timeout": accept the message, then answer 504 with a gateway's HTML page (a proxy
  that gave up waiting for Twilio's answer);
- "hold": wait until the test calls `fake_twilio.release.set()`, then answer like "ok"
  (a sender caught mid-send).

Every request is recorded (path, form fields, basic-auth user and password), including ones
with a wrong path or wrong credentials, which get Twilio's 404/401 answers.
"""

import base64
import binascii
import json
import secrets
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import pytest

from tests.fake_server import FakeService

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-7f3c"
FROM_NUMBER = "+15005550006"
MODES = ("ok", "error500", "invalid_number", "hang", "drop", "hold", "not_json", "gateway_timeout")
# How long "hang" and "hold" wait at most if a test forgets to release them.
MAX_WAIT_SECONDS = 10


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    form: dict[str, str]
    user: str | None
    password: str | None


def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed): connection refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeTwilio(FakeService):
    name = "fake-twilio"

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.mode = "ok"
        self.requests: list[RecordedRequest] = []
        self.issued_sids: list[str] = []  # sids of the messages answered with 201, in order
        self.accepted: list[dict] = []  # every message Twilio would have sent, listed by GET
        self.received = threading.Event()  # set when any request has been recorded
        super().__init__()

    @property
    def base_url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    @property
    def messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown fake Twilio mode {mode!r}; one of {MODES}")
        self.mode = mode

    @property
    def posts(self) -> list[RecordedRequest]:
        """The send requests, without the message-list look-ups."""
        return [request for request in self.requests if request.method == "POST"]

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)
        self.received.set()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        # HTTP/1.0 (the default): one request per connection, so no idle keep-alive
        # connection holds a handler thread when the server stops.
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {key: values[-1] for key, values in parse_qs(raw).items()}
                user, password = _basic_auth(self.headers.get("Authorization", ""))
                fake.record(RecordedRequest("POST", self.path, form, user, password))

                if (user, password) != (fake.account_sid, fake.auth_token):
                    self.reply(401, _error(20003, "Authenticate", 401))
                    return
                if self.path != fake.messages_path:
                    self.reply(404, _error(20404, "The requested resource was not found", 404))
                    return

                mode = fake.mode
                if mode == "drop":
                    self.close_connection = True  # nothing accepted, nothing answered
                    return
                if mode == "hang":
                    with fake.lock:  # Twilio took the message; its answer never arrives
                        fake.accepted.append(fake_message(fake.account_sid, form))
                    fake.release.wait(MAX_WAIT_SECONDS)
                    self.close_connection = True  # the client gave up long ago: say nothing
                    return
                if mode == "hold":
                    fake.release.wait(MAX_WAIT_SECONDS)
                if mode in ("not_json", "gateway_timeout"):
                    with fake.lock:  # Twilio took it; what came back is not its answer
                        fake.accepted.append(fake_message(fake.account_sid, form))
                if mode == "not_json":
                    self.reply(200, "<html><body>网关维护中</body></html>")
                elif mode == "gateway_timeout":
                    self.reply(504, "<html><body>504 Gateway Time-out</body></html>")
                elif mode == "error500":
                    self.reply(500, _error(20500, "Internal Server Error", 500))
                elif mode == "invalid_number":
                    message = f"The 'To' number {form.get('To', '')} is not a valid phone number."
                    self.reply(400, _error(21211, message, 400))
                else:
                    message = fake_message(fake.account_sid, form)
                    with fake.lock:
                        fake.issued_sids.append(message["sid"])
                        fake.accepted.append(message)
                    self.reply(201, message)

            def do_GET(self):
                """The message list, filtered by To, as Twilio's Messages.json answers it."""
                user, password = _basic_auth(self.headers.get("Authorization", ""))
                path, _, query = self.path.partition("?")
                params = {key: values[-1] for key, values in parse_qs(query).items()}
                fake.record(RecordedRequest("GET", self.path, params, user, password))
                if (user, password) != (fake.account_sid, fake.auth_token):
                    self.reply(401, _error(20003, "Authenticate", 401))
                    return
                if path != fake.messages_path:
                    self.reply(404, _error(20404, "The requested resource was not found", 404))
                    return
                if fake.mode in ("error500", "hang", "drop"):
                    self.reply(500, _error(20500, "Internal Server Error", 500))
                    return
                with fake.lock:
                    found = [m for m in fake.accepted if m["to"] == params.get("To")]
                self.reply(
                    200,
                    {
                        "messages": found,
                        "uri": self.path,
                        "first_page_uri": self.path,
                        "next_page_uri": None,
                        "previous_page_uri": None,
                        "page": 0,
                        "page_size": 50,
                        "start": 0,
                        "end": len(found),
                    },
                )

            def reply(self, status: int, payload: dict | str) -> None:
                body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format, *args):
                pass  # keep test output quiet; the recorded requests are what tests read

        return Handler


def _basic_auth(header: str) -> tuple[str | None, str | None]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return user, password


def _error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def fake_message(account_sid: str, form: dict[str, str]) -> dict:
    sid = "SM" + secrets.token_hex(16)
    return {
        "sid": sid,
        "account_sid": account_sid,
        "status": "queued",
        "to": form.get("To"),
        "from": form.get("From"),
        "body": form.get("Body"),
        "num_segments": "1",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    }


@pytest.fixture
def fake_twilio(settings, monkeypatch):
    """A running FakeTwilio, with the portal set to send SMS through Twilio to it."""
    # requests honours proxy variables; a proxy must never see the requests for 127.0.0.1.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeTwilio()
    server.start()
    settings.SMS_BACKEND = "sms.backends.twilio.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = server.account_sid
    settings.TWILIO_AUTH_TOKEN = server.auth_token
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_API_BASE_URL = server.base_url
    settings.SMS_TIMEOUT_SECONDS = 5.0
    yield server
    server.stop()
