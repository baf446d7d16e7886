"""gunicorn's access log keeps no query string and no Referer (gunicorn.conf.py): a search by ID
number or mobile is a GET, and the log would hold the number in plain text. A real gunicorn,
started as the image and compose start it, from the project's folder."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ID_NUMBER = "420106196110120003"
MOBILE = "13800000056"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_searched_number_does_not_reach_the_access_log(tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--workers", "1", "--access-logfile", str(log)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/notice/?q={ID_NUMBER}"
        request = urllib.request.Request(url, headers={"Referer": f"http://x/?q={MOBILE}"})
        for _ in range(300):  # up to 30 s for gunicorn to listen
            try:
                urllib.request.urlopen(request, timeout=5).read()
                break
            except urllib.error.HTTPError:
                break  # answered (the database here is empty): the request is logged all the same
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not answer")
    finally:
        server.terminate()
        server.wait(timeout=10)

    line = log.read_text().strip()
    assert '"GET /notice/ HTTP/1.1" ' in line
    assert ID_NUMBER not in line and MOBILE not in line


def test_gunicorn_starts_without_a_control_socket_where_home_is_not_writable(tmp_path):
    """Ops walk: gunicorn 25.1+ opens a control socket under $HOME/.gunicorn/; the host
    install's portal user has a home it may not write to (here /dev/null, which no one can make
    a folder in), and every start logged "[ERROR] Control server error"."""
    port = free_port()
    errors = tmp_path / "gunicorn.err"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/dev/null",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    with errors.open("w") as stderr:
        server = subprocess.Popen(
            [*command, "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            for _ in range(300):  # up to 30 s for gunicorn to listen
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise AssertionError("gunicorn did not answer")
            time.sleep(1)  # the control server starts beside the workers, after the bind
        finally:
            server.terminate()
            server.wait(timeout=10)

    log = errors.read_text()
    assert "Booting worker" in log
    assert "Control server error" not in log
    assert "[ERROR]" not in log
