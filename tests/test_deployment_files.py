"""docker-compose.yml, the Dockerfile and .env.example agree with one another: an operator who
copies .env.example to .env and runs `docker compose up -d` gets a portal whose files land in
the image's folders and volume, whose healthcheck passes, and whose gunicorn only the reverse
proxy reaches (ops walk D1, D2, D5, G10). PyYAML is not a dependency: the compose file is read
as text, service by service."""

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import environ
import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connections

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = (ROOT / "docker-compose.yml").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# The folders the image fills at build time or mounts, by the setting that names them.
FOLDER_SETTINGS = ("PRIVATE_MEDIA_ROOT", "STATIC_ROOT", "CERTIFICATE_FONT_DIR")


def env_example() -> dict[str, str]:
    """The settings .env.example sets (its uncommented lines), as django-environ reads them."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def services() -> dict[str, str]:
    """Each service's block of docker-compose.yml, by name."""
    body = COMPOSE.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    blocks = re.split(r"^  (?=[\w-]+:\n)", body, flags=re.MULTILINE)
    return {block.split(":", 1)[0]: block for block in blocks if block.strip()}


def image_defaults() -> dict[str, str]:
    """The folder settings' defaults, as they are inside the image (the checkout at WORKDIR)."""
    workdir = re.search(r"^WORKDIR (\S+)$", DOCKERFILE, re.MULTILINE).group(1)
    code = "from django.conf import settings; "
    code += f"print(*(getattr(settings, name) for name in {FOLDER_SETTINGS!r}))"
    environment = {
        key: value
        for key, value in os.environ.items()
        # tests.settings sets some of them in this process's environment.
        if key not in FOLDER_SETTINGS and not key.startswith("DJANGO_")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**environment, "DEBUG": "true", "DATABASE_URL": "sqlite:////tmp/folders.sqlite3"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    paths = result.stdout.split()
    return {
        name: f"{workdir}/{Path(path).relative_to(ROOT)}"
        for name, path in zip(FOLDER_SETTINGS, paths, strict=True)
    }


def test_env_example_leaves_the_images_folders_alone_or_names_them():
    """A folder .env.example sets is where the image keeps it; better, it sets none."""
    defaults = image_defaults()
    assert defaults == {
        "PRIVATE_MEDIA_ROOT": "/app/var/private",
        "STATIC_ROOT": "/app/staticfiles",
        "CERTIFICATE_FONT_DIR": "/app/var/fonts",
    }
    example = env_example()
    for name in FOLDER_SETTINGS:
        assert example.get(name, defaults[name]) == defaults[name], name
    # The licence scans and the exports are on the `private` volume, for web and the worker
    # that writes exports, and the image makes that folder its user's.
    for name in ("web", "export-worker"):
        assert f"- private:{defaults['PRIVATE_MEDIA_ROOT']}\n" in services()[name], name
    assert f"mkdir -p {defaults['PRIVATE_MEDIA_ROOT']}" in DOCKERFILE


def test_env_examples_folder_examples_are_where_the_host_install_puts_them():
    """Ops walk: .env.example suggested /srv/portal/private and /srv/portal/static while the
    host install makes var and staticfiles and the backup reads /srv/portal/var/private; an
    operator who set them got an empty folder the backup never read."""
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    workdir = re.search(r"^WORKDIR (\S+)$", DOCKERFILE, re.MULTILINE).group(1)
    host_defaults = {
        name: path.replace(workdir, "/srv/portal", 1) for name, path in image_defaults().items()
    }
    examples = dict(
        re.findall(
            rf"^# ({'|'.join(FOLDER_SETTINGS)})=(.*)$",
            (ROOT / ".env.example").read_text(),
            re.MULTILINE,
        )
    )

    assert examples == host_defaults
    assert "install -d -o portal -g portal -m 750 var staticfiles" in deployment
    assert "-C /srv/portal/var/private" in deployment


def test_every_service_comes_back_after_a_reboot():
    assert set(services()) == {"db", "cache", "web", "sms-worker", "export-worker", "reminders"}
    for name, block in services().items():
        assert "\n    restart: unless-stopped\n" in block, name


def test_the_workers_wait_for_web_to_have_migrated():
    for name in ("sms-worker", "export-worker", "reminders"):
        assert "      web:\n        condition: service_healthy\n" in services()[name], name


def test_gunicorn_is_reached_by_the_proxy_only_and_gets_sigterm():
    web = services()["web"]
    published = re.findall(r'^      - "([^"]+)"$', web.split("ports:", 1)[1], re.MULTILINE)
    assert published and all(port.startswith("127.0.0.1:") for port in published), published
    command = re.search(r"^    command: (.+)$", web, re.MULTILINE).group(1)
    # Under `sh -c`, only an exec'd gunicorn is the process docker's SIGTERM reaches.
    assert "&& exec gunicorn " in command


def test_every_variable_compose_reads_is_in_env_example():
    """Compose takes ${VAR} from .env: each one it reads is listed there."""
    read = set(re.findall(r"\$\{(\w+)", COMPOSE))
    assert read == {"POSTGRES_PASSWORD"}
    assert read <= set(env_example())


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_the_web_healthcheck_passes_with_env_examples_allowed_hosts(settings):
    """D2: the probe is run as compose runs it, against the portal configured as .env.example
    says; Django answers 400 to a Host outside ALLOWED_HOSTS, which fails the probe."""
    raw = env_example()["ALLOWED_HOSTS"]
    settings.ALLOWED_HOSTS = environ.Env.parse_value(raw, list)
    test = re.search(r"^      test: (\[.+\])$", services()["web"], re.MULTILINE).group(1)
    command = json.loads(test)
    assert command[:3] == ["CMD", "python", "-c"]
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)

    def serve():
        try:
            server.serve_forever()
        finally:
            connections.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        probe = command[3].replace("127.0.0.1:8000", f"127.0.0.1:{server.server_port}")
        assert probe != command[3]
        result = subprocess.run(
            [sys.executable, "-c", probe],
            env={"PATH": os.environ["PATH"], "ALLOWED_HOSTS": raw},
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert result.returncode == 0, result.stderr
