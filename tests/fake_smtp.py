"""A fake SMTP server on 127.0.0.1, so tests drive Django's real SMTP backend (smtplib) end to end.

The `fake_smtp` fixture starts one per test and points the portal's e-mail settings at it. Tests
set `fake_smtp.refused` to the addresses it answers RCPT TO with 550, and `fake_smtp.mode`:

- "ok": takes every message not refused;
- "hang": accepts the connection and says nothing (no greeting) until `release` is set, as a
  mail server that hangs.

`delivered` lists the recipients of each message it took, in order; `connected` is set when a
client has connected.
"""

import socketserver
import threading

import pytest

MAX_WAIT_SECONDS = 30


class FakeSMTP:
    def __init__(self):
        self.mode = "ok"
        self.refused: set[str] = set()
        self.delivered: list[list[str]] = []
        self.connected = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def say(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def handle(self):
                fake.connected.set()
                if fake.mode == "hang":
                    fake.release.wait(MAX_WAIT_SECONDS)
                    return
                self.say("220 fake.example ESMTP")
                recipients = []
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.say("250-fake.example")
                        self.say("250 8BITMIME")
                    elif verb == "RCPT":
                        address = command.partition(":")[2].strip().strip("<>")
                        if address in fake.refused:
                            self.say("550 5.1.1 no such user")
                        else:
                            recipients.append(address)
                            self.say("250 ok")
                    elif verb == "DATA":
                        self.say("354 go ahead")
                        while self.rfile.readline() not in (b".\r\n", b""):
                            pass
                        with fake.lock:
                            fake.delivered.append(recipients)
                        recipients = []
                        self.say("250 queued")
                    elif verb == "RSET":
                        recipients = []
                        self.say("250 ok")
                    elif verb == "QUIT":
                        self.say("221 bye")
                        return
                    else:  # MAIL FROM, NOOP
                        self.say("250 ok")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def recipients(self) -> list[str]:
        """Every address a message was delivered to, sorted."""
        return sorted(address for message in self.delivered for address in message)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def fake_smtp(settings):
    """A running FakeSMTP, with the portal set to send e-mail through it."""
    server = FakeSMTP()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()
