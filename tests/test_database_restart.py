"""PostgreSQL restarted while the portal (gunicorn, as in production) is under load: requests
fail with the portal's own error page, and it recovers by itself once the database is back; so
does the SMS worker, which keeps running and sends what is queued afterwards.

The restarted server is a throwaway cluster of the test's own (initdb and pg_ctl in a temporary
folder, on a free port): the machine's PostgreSQL, which other test runs, benchmarks or a
developer's portal may be using, is never restarted, and the test checks that it was not."""

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fake_twilio import unused_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
DATABASE = "portal_restart"
STARTED = "SELECT pg_postmaster_start_time()"


def postgres_program(name: str) -> str:
    """A PostgreSQL server program (initdb, pg_ctl): on PATH, else Debian's versioned folder."""
    found = shutil.which(name) or max(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]),
        default=None,
    )
    if not found:
        pytest.fail(f"{name} is needed to run a throwaway PostgreSQL cluster")
    return found


class ClusterError(Exception):
    pass


@dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary folder: trust auth, 127.0.0.1 on its own port, its
    socket inside the folder."""

    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def run(self, *command: str) -> None:
        # initdb refuses to run as root, and the server must not run as root either: as root
        # (CI), the cluster belongs to the postgres OS user.
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*as_owner, *command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # the server inherits no pipe of ours: -l is its log
            stderr=subprocess.PIPE,
            text=True,
        )
        if result.returncode:
            log = self.folder / "server.log"
            raise ClusterError(
                f"{' '.join(command)} failed: {result.stderr}"
                + (log.read_text(errors="replace")[-2000:] if log.exists() else "")
            )

    def pg_ctl(self, action: str) -> None:
        self.run(
            postgres_program("pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-m",
            "fast",  # pg_ctlcluster's default mode
            "-w",
            "-t",
            "60",
        )

    def psql(self, sql: str, database: str = DATABASE) -> str:
        return psql(sql, database, host=str(self.folder), port=self.port)


def psql(sql: str, database: str = "postgres", host: str = "127.0.0.1", port: int = 5432) -> str:
    result = subprocess.run(
        ["psql", "-h", host, "-p", str(port), "-U", "postgres", "-d", database, "-Atqc", sql],
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
def system_cluster_started() -> str:
    """When the machine's own PostgreSQL (the suite's, on 127.0.0.1:5432) last started, read
    before anything else of this test runs: it must be the same at the end."""
    return psql(STARTED)


@pytest.fixture
def cluster(system_cluster_started):
    """A throwaway cluster, started here, stopped and removed afterwards even on failure."""
    folder = Path(tempfile.mkdtemp(prefix="portal-restart-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, unused_port())
    try:
        cluster.run(
            postgres_program("initdb"),
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        with open(cluster.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {cluster.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\n"
                "fsync = off\n"  # nothing here needs to outlive a crash of the machine
            )
        cluster.pg_ctl("start")
        cluster.psql(f"CREATE DATABASE {DATABASE}", "postgres")
        yield cluster
    finally:
        with contextlib.suppress(ClusterError):  # never started, or already down
            cluster.pg_ctl("stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def portal_server(cluster, tmp_path):
    port = unused_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "DATABASE_URL": cluster.url,
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
    processes = []
    try:
        processes.append(
            subprocess.Popen(
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
        )
        worker = subprocess.Popen(
            [*manage, "send_queued_sms", "--loop", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(worker)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if get(base + "/login/")[0] == 200:
                break
            time.sleep(0.1)
        yield base, worker
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


def queue_sms(cluster: Cluster) -> int:
    """A decision's SMS, written as the service writes it, for the worker to send."""
    return int(
        cluster.psql(
            'INSERT INTO experts_smsmessage ("to", body, status, attempts, last_error,'
            " failure_reason, provider_id, needs_check, created_at, next_attempt_at) VALUES"
            " ('+8613800138000', '测试', 'queued', 0, '', '', '', false, now(), now()) RETURNING id"
        )
    )


def wait_until_sent(cluster: Cluster, message_id: int) -> str:
    for _ in range(100):
        status = cluster.psql(f"SELECT status FROM experts_smsmessage WHERE id = {message_id}")
        if status == "sent":
            break
        time.sleep(0.1)
    return status


def test_portal_survives_a_database_restart_under_load(
    system_cluster_started, cluster, portal_server
):
    portal_server, sms_worker = portal_server
    assert wait_until_sent(cluster, queue_sms(cluster)) == "sent"  # the worker is at work
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
    cluster_started = cluster.psql(STARTED)
    restarted = time.monotonic()
    cluster.pg_ctl("restart")
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
    assert wait_until_sent(cluster, queue_sms(cluster)) == "sent"
    # The throwaway cluster is the one that restarted; the machine's own PostgreSQL did not.
    assert cluster.psql(STARTED) != cluster_started
    assert psql(STARTED) == system_cluster_started
    print(
        f"{len(results)} requests, {len(failures)} answered with the error page during the restart"
    )
