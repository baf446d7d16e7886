"""PostgreSQL restarted while the portal (gunicorn, as in production) is under load: requests
fail with the portal's own error page, and it recovers by itself once the database is back; so
does the SMS worker, which keeps running and sends what is queued afterwards."""

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connections

from tests.fake_twilio import unused_port

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[1]
DATABASE = f"portal_restart_{os.getpid()}"


def psql(sql: str, database: str = "postgres") -> str:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atqc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:  # the server itself must never stop answering
        return 0, str(error)


@pytest.fixture
def portal_server(tmp_path):
    if not shutil.which("pg_ctlcluster"):
        pytest.fail("pg_ctlcluster is needed to restart PostgreSQL")
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    port = unused_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "SECRET_KEY": "restart-test-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "SMS_BACKEND": "sms.backends.console.ConsoleBackend",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "seed_demo", "--force"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [*manage, "send_queued_sms", "--loop", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if get(base + "/login/")[0] == 200:
            break
        time.sleep(0.1)
    yield base, worker
    for process in (server, worker):
        process.terminate()
        process.wait(10)
    connections.close_all()  # this process's own connections died with the restart
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")


def queue_sms() -> int:
    """A decision's SMS, written as the service writes it, for the worker to send."""
    return int(
        psql(
            'INSERT INTO experts_smsmessage ("to", body, status, attempts, last_error,'
            " provider_id, needs_check, created_at, next_attempt_at) VALUES ('+8613800138000',"
            " '测试', 'queued', 0, '', '', false, now(), now()) RETURNING id",
            DATABASE,
        )
    )


def wait_until_sent(message_id: int) -> str:
    for _ in range(100):
        status = psql(f"SELECT status FROM experts_smsmessage WHERE id = {message_id}", DATABASE)
        if status == "sent":
            break
        time.sleep(0.1)
    return status


def test_portal_survives_a_database_restart_under_load(portal_server):
    portal_server, sms_worker = portal_server
    assert wait_until_sent(queue_sms()) == "sent"  # the worker is at work
    url = portal_server + "/units/search/?q=%E6%AD%A6%E6%B1%89"  # 武汉
    assert get(url)[0] == 200
    results: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            status, body = get(url)
            results.append((time.monotonic(), status, body))

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(1)
    restarted = time.monotonic()
    version = os.listdir("/etc/postgresql")[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
    )
    back = time.monotonic()
    time.sleep(3)
    stop.set()
    for worker in workers:
        worker.join(10)

    statuses = {status for _, status, _ in results}
    assert statuses <= {200, 500}, statuses  # always an answer, never a dropped connection
    failures = [body for _, status, body in results if status == 500]
    assert all("系统暂时无法处理您的请求" in body for body in failures)  # the portal's own page
    # It recovered by itself: every request from a second after the database was back worked.
    after = [status for at, status, _ in results if at > back + 1]
    assert after and set(after) == {200}
    assert any(at > restarted for at, _, _ in results)
    # The SMS worker lost its connection too: it is still running, and sends what comes next.
    assert sms_worker.poll() is None
    assert wait_until_sent(queue_sms()) == "sent"
    print(
        f"{len(results)} requests, {len(failures)} answered with the error page during the restart"
    )
