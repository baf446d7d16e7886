"""What the fakes of outside services (tests.fake_twilio, tests.fake_aliyun) share: an HTTP
server on 127.0.0.1 at a free port, served from a thread while a test runs, and stopped with
every handler finished (none outlives its test)."""

import threading
from http.server import ThreadingHTTPServer


class FakeService:
    """A subclass gives handler_class(); `release` frees the handlers a mode holds."""

    name = "fake-service"

    def __init__(self):
        self.release = threading.Event()  # lets "hang" and "hold" requests finish
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        # Non-daemon handler threads are tracked, so server_close() waits for them: no handler
        # outlives its test.
        self.server.daemon_threads = False
        # A short poll interval: shutdown() waits for the serving loop's next poll.
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=self.name,
            daemon=True,
        )

    def handler_class(self):
        raise NotImplementedError

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return host, port

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        # Free handlers stuck in "hang"/"hold" first: server_close() joins the handler threads.
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
