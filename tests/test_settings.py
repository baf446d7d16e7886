"""The settings a deployment gets from .env.example's advice pass Django's deploy checks."""

import ast
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def run_manage(*args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "DEBUG", "CACHE_URL", "PORTAL_URL"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


# A bureau's own host name (not .env.example's, which manage.py refuses with DEBUG off).
HOST = "zjk.whkjj.gov.cn"
# A production .env but for PORTAL_URL, for the deploy checks.
PRODUCTION = {
    "SECRET_KEY": "a-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": HOST,
    "BEHIND_TLS_PROXY": "true",
    # Never connected to: `check` and `shell -c` read settings only.
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal_deploy_check",
}


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PORTAL_URL=f"https://{HOST}",
        **PRODUCTION,
        **REAL_DELIVERY,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_server_without_secret_key_refuses_to_start():
    result = run_manage("check", SECRET_KEY="", DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_demo_accounts_are_refused_on_a_production_server():
    result = run_manage(
        "seed_demo",
        SECRET_KEY="a-production-secret-" + "x" * 40,
        DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3",
    )
    assert result.returncode != 0
    assert "演示账号只能在开发环境" in result.stderr


def test_healthz_answers_over_plain_http(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True  # as in production: everything else goes to https
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200  # probes often use HEAD
    assert client.get("/").status_code == 301


def test_healthz_details_name_the_working_day_calendars_last_year(client, db):
    from portal.workdays import last_known_year

    body = client.get("/healthz", {"details": "1"}).content.decode()
    assert body.startswith("ok\n")
    assert f"calendar: 工作日历（chinesecalendar）已知至{last_known_year()}年" in body


def test_healthz_details_name_the_sms_waiting_and_the_oldests_age(client, db):
    """Ops walk G8: a provider outage left messages queued with /healthz saying only ok."""
    import datetime

    from django.utils import timezone

    from sms.models import SMSMessage

    assert "sms: 没有待发送的短信\n" in client.get("/healthz", {"details": "1"}).content.decode()
    now = timezone.now()
    for minutes, status in [(95, "queued"), (20, "sending"), (500, "sent"), (900, "failed")]:
        message = SMSMessage.objects.create(to="+8613800000000", body="x", status=status)
        SMSMessage.objects.filter(pk=message.pk).update(
            created_at=now - datetime.timedelta(minutes=minutes, seconds=30)
        )
    body = client.get("/healthz", {"details": "1"}).content.decode()
    assert body.splitlines()[0] == "ok"
    assert "sms: 待发送2条，最早一条已等待95分钟\n" in body
    assert client.get("/healthz").content == b"ok\n"  # a probe reads nothing more


def test_healthz_says_503_when_the_database_does_not_answer():
    """A node whose database is unreachable (nothing listens on port 1) is taken out."""
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode().strip())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
            "ALLOWED_HOSTS": "testserver",
        },
        timeout=60,
    )
    assert result.stdout.strip() == "503 database unavailable", result.stderr


def manifest_storage(static_root) -> dict:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
            "OPTIONS": {"location": str(static_root)},
        },
    }


def test_healthz_says_503_while_the_static_files_manifest_is_missing(
    client, settings, db, tmp_path
):
    """Ops walk: without collectstatic every page was a 500 while /healthz said ok."""
    settings.DEBUG = False
    settings.STORAGES = manifest_storage(tmp_path)  # an empty STATIC_ROOT

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.content.decode() == (
        "static files not collected (Missing staticfiles manifest entry for 'css/portal.css'):"
        " run manage.py collectstatic, then restart the portal\n"
    )


def test_healthz_says_ok_once_the_manifest_names_the_pages_files(client, settings, db, tmp_path):
    settings.DEBUG = False
    manifest = {"version": "1.1", "hash": "0", "paths": {"css/portal.css": "css/portal.0.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    settings.STORAGES = manifest_storage(tmp_path)

    assert client.get("/healthz").content == b"ok\n"


def database_options(**env) -> str:
    code = "from django.conf import settings; d = settings.DATABASES['default']; "
    code += "print(d['ENGINE'], sorted(d.get('OPTIONS', {}).items()))"
    result = run_manage("shell", "-c", code, SECRET_KEY="x" * 50, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_postgresql_runs_on_djangos_own_backend_and_defaults():
    url = "postgres://portal@db.example:5432/portal"
    assert database_options(DATABASE_URL=url) == "django.db.backends.postgresql []"
    assert database_options(DATABASE_URL="sqlite:////tmp/x.sqlite3").startswith(
        "django.db.backends.sqlite3"
    )


def test_prepared_statements_are_a_documented_opt_in():
    url = "postgres://portal@db.example:5432/portal"
    assert database_options(DATABASE_URL=url, DATABASE_PREPARE_THRESHOLD="5") == (
        "django.db.backends.postgresql [('options', '-c plan_cache_mode=force_generic_plan'), "
        "('prepare_threshold', 5), ('server_side_binding', True)]"
    )


def printed_settings(*names: str, **env) -> str:
    """The settings `names`, as a server started with the environment `env` reads them,
    separated by spaces."""
    values = ", ".join(f"settings.{name}" for name in names)
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings; print({values})",
        SECRET_KEY="x" * 50,
        DATABASE_URL="sqlite:////tmp/printed-settings.sqlite3",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def review_days(**env) -> str:
    return printed_settings("UNIT_REVIEW_WORKING_DAYS", "BUREAU_REVIEW_WORKING_DAYS", **env)


def test_the_review_deadlines_come_from_the_environment(monkeypatch):
    """Issue 21: a recommendation is due 5 working days after 提交 and a decision 10 after
    the recommendation, unless the environment says otherwise."""
    monkeypatch.delenv("UNIT_REVIEW_WORKING_DAYS", raising=False)
    monkeypatch.delenv("BUREAU_REVIEW_WORKING_DAYS", raising=False)
    assert review_days() == "5 10"
    assert review_days(UNIT_REVIEW_WORKING_DAYS="3", BUREAU_REVIEW_WORKING_DAYS="7") == "3 7"


def test_the_admin_index_names_the_working_day_calendars_last_year(client, db):
    from django.contrib.auth import get_user_model

    from portal.workdays import last_known_year

    operator = get_user_model().objects.create_superuser("op", "op@example.com", "Op#Pass2026x")
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert 'data-testid="calendar-notice"' in page
    assert f"工作日历（chinesecalendar）已知至{last_known_year()}年" in page


def cache_backend(**env):
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "import redis; from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])",
        DEBUG="true",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_cache_is_each_workers_own_unless_cache_url_names_a_shared_one():
    assert cache_backend() == ["django.core.cache.backends.locmem.LocMemCache"]
    # docker-compose.yml's web workers share its Redis (the redis package is a dependency).
    assert cache_backend(CACHE_URL="redis://cache:6379/1") == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache:6379/1",
    ]


@pytest.mark.slow
def test_the_images_build_commands_run_with_only_the_dockerfiles_own_values(tmp_path):
    """`docker compose build` runs manage.py in a copy of the repository (no .env, which
    .dockerignore leaves out) with no keys but those the Dockerfile's RUN exports."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    run = re.search(r"^RUN pip install .*?(?=^\S)", dockerfile, re.MULTILINE | re.DOTALL).group(0)
    exported = dict(re.findall(r"(\w+)=(\S+)", run.split("export", 1)[1].split("&&", 1)[0]))
    commands = re.findall(r"python manage\.py ([^\\\n]+)", run)
    assert set(exported) == {"SECRET_KEY", "FIELD_HMAC_KEY", "FIELD_ENCRYPTION_KEYS"}
    assert [command.split()[0] for command in commands] == [
        "collectstatic",
        "build_certificate_font",
    ]
    # The build context as a fresh clone has it: the tracked files only.
    context = tmp_path / "context"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, context / name)
    for command in commands:
        result = subprocess.run(
            [sys.executable, "manage.py", *command.split()],
            cwd=context,
            env={
                "PATH": os.environ["PATH"],
                "HOME": str(tmp_path),
                **exported,
                # Where the image keeps them; a temporary place here.
                "STATIC_ROOT": str(tmp_path / "static"),
                "CERTIFICATE_FONT_DIR": str(tmp_path / "fonts"),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, command + "\n" + result.stderr
    # Collected as root in the image, read by its user portal.
    css = tmp_path / "static" / "css" / "portal.css"
    assert stat.S_IMODE(css.stat().st_mode) == 0o644
    assert stat.S_IMODE(css.parent.stat().st_mode) == 0o755
    assert list((tmp_path / "fonts").iterdir())


def environment_reads() -> set[str]:
    """Every variable portal/settings.py reads through django-environ (env.str("NAME", …),
    env.db("NAME"), …) or its strict true/false reader (flag("NAME", …)), wherever the call is."""
    tree = ast.parse((ROOT / "portal" / "settings.py").read_text())

    def reads_environment(call: ast.Call) -> bool:
        if isinstance(call.func, ast.Name):
            return call.func.id == "flag"
        return (
            isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "env"
        )

    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and reads_environment(node)
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def env_example_names() -> set[str]:
    """The names .env.example sets or shows commented out (`NAME=…` or `# NAME=…`)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_env_example_lists_every_setting_read_from_the_environment():
    """README: `.env.example` lists them. A setting added to settings.py without a line there
    fails here; so does a line for a setting that is no longer read."""
    reads = environment_reads()
    assert {"DATABASE_URL", "LOG_LEVEL", "STATICFILES_BACKEND"} <= reads  # the parser works
    listed = env_example_names()
    assert sorted(reads - listed) == []
    # docker-compose.yml reads POSTGRES_PASSWORD; the portal does not.
    assert sorted(listed - reads) == ["POSTGRES_PASSWORD"]


def test_env_example_says_each_settings_default():
    """Each line of .env.example follows a comment that names a default in brackets, or says
    the setting is required (the keys), somewhere in its paragraph."""
    paragraphs = (ROOT / ".env.example").read_text().split("\n\n")
    for paragraph in paragraphs:
        for name in re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", paragraph, re.MULTILINE):
            assert "[" in paragraph or "required" in paragraph.lower(), name


def logged(code: str, **env) -> str:
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "import logging; " + code,
        SECRET_KEY="x" * 50,
        DATABASE_URL="sqlite:////tmp/log-level.sqlite3",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_the_audit_trails_log_copy_stays_at_info_whatever_log_level_says():
    """docs/audit.md ships the trail from the logger portal.audit, at INFO: an operator who
    quiets the logs with LOG_LEVEL=WARNING must not silence it."""
    code = "logging.getLogger('portal.audit').info('audit-line'); "
    code += "logging.getLogger('experts').info('other-line')"
    quiet = logged(code, LOG_LEVEL="WARNING")
    assert "audit-line" in quiet
    assert "other-line" not in quiet  # LOG_LEVEL still quiets the rest
    assert "other-line" in logged(code)


def test_the_deploy_check_refuses_env_examples_placeholder_keys():
    """Ops walk G6: with .env.example's placeholders, `check --deploy` passed, migrate and
    gunicorn started, and the first registration that stored an ID number was a 500."""
    example = dict(
        re.findall(r"^(FIELD_ENCRYPTION_KEYS|FIELD_HMAC_KEY)=(.*)$", ENV_EXAMPLE, re.MULTILINE)
    )
    assert example["FIELD_HMAC_KEY"].startswith("replace-with")
    result = run_manage(
        "check",
        "--deploy",
        SECRET_KEY="a-production-secret-" + "x" * 40,
        ALLOWED_HOSTS="expert.example.gov.cn",
        BEHIND_TLS_PROXY="true",
        DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3",
        **example,
    )
    assert result.returncode != 0
    assert "portal.E001" in result.stderr
    assert "FIELD_ENCRYPTION_KEYS 的第1个密钥不是有效的 Fernet 密钥" in result.stderr
    assert "portal.E002" in result.stderr


def test_each_encryption_key_is_checked_and_a_real_pair_passes(settings):
    from cryptography.fernet import Fernet

    from portal.checks import check_field_keys

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), "not-a-key"]
    settings.FIELD_HMAC_KEY = "  "
    assert [(e.id, e.msg[:30]) for e in check_field_keys(None)] == [
        ("portal.E001", "FIELD_ENCRYPTION_KEYS 的第2个密钥不是有效的 Fernet 密钥"[:30]),
        ("portal.E002", "FIELD_HMAC_KEY 未设置或仍是 .env.example 中的占位值。"[:30]),
    ]
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    settings.FIELD_HMAC_KEY = "a-real-random-string-of-sixty-four-characters-or-so"
    assert check_field_keys(None) == []


def test_the_deploy_check_refuses_the_default_portal_url_and_only_the_deploy_check():
    """Ops walk: a deployment that left PORTAL_URL unset printed 入库证明 whose QR code led to
    http://localhost:8000. The documented install (`check --deploy --fail-level WARNING`) now
    stops; a plain `check` (migrate, the workers, the benchmark's gunicorn) does not."""
    deploy = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    plain = run_manage("check", "--fail-level", "WARNING", **PRODUCTION)

    assert deploy.returncode != 0
    assert "portal.W001" in deploy.stderr
    assert "PORTAL_URL 仍指向本机（http://localhost:8000）" in deploy.stderr
    assert plain.returncode == 0, plain.stderr


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://localhost:8000", "仍指向本机（http://localhost:8000）"),
        ("http://127.0.0.1", "仍指向本机（http://127.0.0.1）"),
        ("https://127.0.0.1:8443", "仍指向本机（https://127.0.0.1:8443）"),
        ("https://[::1]", "仍指向本机（https://[::1]）"),
        ("http://zjk.example.gov.cn", "不是 https 地址（http://zjk.example.gov.cn）"),
    ],
    ids=["default", "127.0.0.1", "loopback-https", "ipv6-loopback", "plain-http"],
)
def test_the_portal_url_check_refuses_this_machine_or_plain_http(settings, url, problem):
    from portal.checks import check_portal_url

    settings.DEBUG = False
    settings.PORTAL_URL = url

    [warning] = check_portal_url(None)

    assert (warning.id, warning.msg.split("：")[0]) == ("portal.W001", f"PORTAL_URL {problem}")


def test_the_portal_url_check_passes_an_https_address_and_anything_under_debug(settings):
    from portal.checks import check_portal_url

    settings.DEBUG = False
    settings.PORTAL_URL = "https://zjk.example.gov.cn"
    assert check_portal_url(None) == []

    settings.DEBUG = True
    settings.PORTAL_URL = "http://localhost:8000"
    assert check_portal_url(None) == []


def keeping(**env) -> str:
    code = "from django.conf import settings; "
    code += "print(settings.SMS_KEEP_DAYS, settings.EXPORT_JOB_KEEP_DAYS)"
    result = run_manage(
        "shell", "-c", code, SECRET_KEY="x" * 50, DATABASE_URL="sqlite:////tmp/k.sqlite3", **env
    )
    return (result.stdout.strip().splitlines() or [""])[-1] + result.stderr


def test_sms_and_export_jobs_are_kept_for_good_unless_a_number_of_days_is_set():
    assert keeping() == "None None"
    assert keeping(SMS_KEEP_DAYS="", EXPORT_JOB_KEEP_DAYS="") == "None None"
    assert keeping(SMS_KEEP_DAYS="30", EXPORT_JOB_KEEP_DAYS="365") == "30 365"
    assert "SMS_KEEP_DAYS must be 1 or more days, or empty to keep for good." in keeping(
        SMS_KEEP_DAYS="0"
    )
    assert "EXPORT_JOB_KEEP_DAYS must be 1 or more days" in keeping(EXPORT_JOB_KEEP_DAYS="-5")
    assert "invalid literal for int()" in keeping(SMS_KEEP_DAYS="thirty")


def test_a_certificate_term_of_no_years_is_refused_at_start():
    """valid_until counts terms of CERTIFICATE_VALID_YEARS: 0 would never end a term."""
    result = run_manage(
        "check",
        SECRET_KEY="x" * 50,
        DATABASE_URL="sqlite:////tmp/k.sqlite3",
        CERTIFICATE_VALID_YEARS="0",
    )
    assert result.returncode != 0
    assert "CERTIFICATE_VALID_YEARS must be 1 or more years." in result.stderr


@pytest.mark.parametrize("name", ["SECURE_COOKIES", "DEBUG"])
def test_a_mistyped_true_or_false_stops_the_server_instead_of_meaning_false(name):
    """Found by a code review: django-environ read SECURE_COOKIES=flase as false, quietly
    sending the session cookie over plain HTTP."""
    result = run_manage("check", **PRODUCTION, **{name: "flase"})
    assert result.returncode != 0
    assert f"{name}='flase' is neither true nor false" in result.stderr


def test_true_and_false_are_read_in_any_case():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SESSION_COOKIE_SECURE)",
        **PRODUCTION,
        SECURE_COOKIES="False",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_env_examples_secret_key_and_portal_url_stop_manage_py_with_debug_off():
    """Ops walk: with .env.example's SECRET_KEY and PORTAL_URL, `check --deploy --fail-level
    WARNING` passed and a 入库证明 printed https://expert.example.gov.cn/certificate/verify/.
    A plain `check` fails now, and so does `migrate`, which compose's web runs first."""
    example = dict(re.findall(r"^(SECRET_KEY|PORTAL_URL)=(.*)$", ENV_EXAMPLE, re.MULTILINE))
    assert example == {
        "SECRET_KEY": "change-me-to-a-long-random-string",
        "PORTAL_URL": "https://expert.example.gov.cn",
    }
    production = {
        **PRODUCTION,
        "ALLOWED_HOSTS": "expert.example.gov.cn",
        # migrate connects before its checks; the demo's engine needs no server.
        "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    }

    result = run_manage("check", **{**production, **example})

    assert result.returncode != 0
    assert "portal.E004" in result.stderr
    assert "SECRET_KEY 仍是 .env.example 中的示例值" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr  # the hint names the command
    assert "portal.E005" in result.stderr
    assert "PORTAL_URL 仍是示例地址（https://expert.example.gov.cn）" in result.stderr
    migrate = run_manage("migrate", "--check", **{**production, **example})
    assert migrate.returncode != 0
    assert "portal.E004" in migrate.stderr


@pytest.mark.parametrize(
    "url",
    ["https://expert.example.gov.cn", "https://example.com", "https://zjk.example:8443"],
)
def test_an_example_portal_url_is_refused_with_debug_off(settings, url):
    from portal.checks import check_example_values

    settings.DEBUG = False
    settings.PORTAL_URL = url

    assert [error.id for error in check_example_values(None)] == ["portal.E005"]


def test_a_real_portal_url_and_secret_key_or_debug_pass_the_example_check(settings):
    from portal.checks import check_example_values

    settings.DEBUG = False
    settings.PORTAL_URL = "https://examples.whkjj.gov.cn"  # "example" only inside a label
    assert check_example_values(None) == []

    settings.DEBUG = True
    settings.PORTAL_URL = "https://expert.example.gov.cn"
    settings.SECRET_KEY = "change-me-to-a-long-random-string"
    assert check_example_values(None) == []


def test_allowed_hosts_of_this_machine_only_fail_the_deploy_check():
    """Ops walk: ALLOWED_HOSTS left unset answered only localhost: the compose healthcheck
    passed while every visitor got the 400 page."""
    production = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}

    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", PORTAL_URL=f"https://{HOST}", **production
    )

    assert result.returncode != 0
    assert "portal.W002" in result.stderr
    assert "ALLOWED_HOSTS 只有本机的名称（localhost、127.0.0.1、[::1]）" in result.stderr
    assert "portal.W003" in result.stderr
    assert f"PORTAL_URL 的域名 {HOST} 不在 ALLOWED_HOSTS 中" in result.stderr


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        (["localhost", "127.0.0.1", "[::1]"], ["portal.W002", "portal.W003"]),
        ([], ["portal.W002", "portal.W003"]),
        (["other.whkjj.gov.cn"], ["portal.W003"]),
        (["localhost", HOST], []),
        ([".whkjj.gov.cn"], []),
        (["*"], []),
    ],
    ids=["default", "empty", "another-host", "with-the-host", "subdomains", "any"],
)
def test_allowed_hosts_must_hold_portal_urls_host_and_more_than_this_machine(
    settings, allowed, expected
):
    from portal.checks import check_allowed_hosts

    settings.DEBUG = False
    settings.PORTAL_URL = f"https://{HOST}"
    settings.ALLOWED_HOSTS = allowed

    assert [warning.id for warning in check_allowed_hosts(None)] == expected


def test_allowed_hosts_check_is_quiet_under_debug(settings):
    from portal.checks import check_allowed_hosts

    settings.DEBUG = True
    settings.ALLOWED_HOSTS = []
    settings.PORTAL_URL = f"https://{HOST}"
    assert check_allowed_hosts(None) == []


def mail_connection(**env) -> subprocess.CompletedProcess:
    code = "from django.core.mail import get_connection; c = get_connection(); "
    code += "print(c.use_ssl, c.use_tls)"
    return run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        **PRODUCTION,
        PORTAL_URL=f"https://{HOST}",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        **env,
    )


def test_a_mail_server_on_port_465_is_reached_over_ssl():
    """Ops walk: EMAIL_USE_SSL was not read, so a mail server that speaks SSL from the first
    byte (port 465) could not be used."""
    result = mail_connection(EMAIL_USE_SSL="true", EMAIL_PORT="465")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True False"
    assert "EMAIL_USE_SSL='ture' is neither" in mail_connection(EMAIL_USE_SSL="ture").stderr


def test_tls_and_ssl_together_stop_manage_py():
    result = run_manage(
        "check",
        **PRODUCTION,
        PORTAL_URL=f"https://{HOST}",
        EMAIL_USE_TLS="true",
        EMAIL_USE_SSL="true",
    )
    assert result.returncode != 0
    assert "portal.E006" in result.stderr
    assert "EMAIL_USE_TLS 和 EMAIL_USE_SSL 不能同时为 true。" in result.stderr


def portal_names(**env) -> str:
    return printed_settings("PORTAL_NAME", "OTP_TOTP_ISSUER", **env)


def test_the_portal_name_and_the_authenticators_issuer_come_from_the_environment(monkeypatch):
    """Another city's bureau names its portal (the SMS signature its provider registered)
    without editing the code; the authenticator app lists the account under that name."""
    monkeypatch.delenv("PORTAL_NAME", raising=False)
    monkeypatch.delenv("OTP_TOTP_ISSUER", raising=False)
    assert portal_names() == "武汉市科技局专家入库系统 武汉市科技局专家入库系统"
    assert portal_names(PORTAL_NAME="某市专家库") == "某市专家库 某市专家库"
    assert (
        portal_names(PORTAL_NAME="某市专家库", OTP_TOTP_ISSUER="某市科技局")
        == "某市专家库 某市科技局"
    )


def env_example_lines(*names: str) -> dict[str, str]:
    """.env.example's value of each setting named, whether its line is commented out or not."""
    return dict(re.findall(rf"^(?:# )?({'|'.join(names)})=(.*)$", ENV_EXAMPLE, re.MULTILINE))


def test_env_example_sends_no_sms_until_a_provider_is_chosen():
    """Ops walk: .env.example named the Twilio backend with placeholder credentials; copied
    as it was, every SMS failed (20003) and `check --deploy` said nothing."""
    active = dict(re.findall(r"^(SMS_BACKEND)=(.*)$", ENV_EXAMPLE, re.MULTILINE))
    assert active == {"SMS_BACKEND": "sms.backends.console.ConsoleBackend"}
    assert not re.search(r"^TWILIO_(ACCOUNT_SID|AUTH_TOKEN|FROM_NUMBER)=", ENV_EXAMPLE, re.M)


def test_the_deploy_check_warns_of_env_examples_sms_and_mail_examples():
    """Ops walk: the Twilio lines uncommented and the mail lines as .env.example has them
    passed `check --deploy --fail-level WARNING`; every SMS and mail would then fail."""
    example = env_example_lines(
        "SMS_BACKEND",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "EMAIL_BACKEND",
        "DEFAULT_FROM_EMAIL",
        "EMAIL_HOST",
        "EMAIL_HOST_PASSWORD",
    )
    # The commented Twilio option, as an operator who uncomments it gets it.
    example["SMS_BACKEND"] = "sms.backends.twilio.TwilioBackend"

    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PORTAL_URL=f"https://{HOST}",
        **{
            **PRODUCTION,
            **example,
        },
    )

    assert result.returncode != 0
    assert (
        "portal.W004) SMS_BACKEND 为 Twilio，但 TWILIO_ACCOUNT_SID、TWILIO_AUTH_TOKEN、"
        "TWILIO_FROM_NUMBER 未设置或仍是 .env.example 中的示例值"
    ) in result.stderr
    assert (
        "portal.W005) EMAIL_HOST（smtp.example.gov.cn）、EMAIL_HOST_PASSWORD 仍是 .env.example"
    ) in result.stderr
    assert "portal.W006) DEFAULT_FROM_EMAIL 仍是示例地址" in result.stderr
    plain = run_manage("check", PORTAL_URL=f"https://{HOST}", **{**PRODUCTION, **example})
    assert plain.returncode == 0, plain.stderr  # a deploy warning: migrate still runs


REAL_DELIVERY = {
    "SMS_BACKEND": "sms.backends.twilio.TwilioBackend",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    "TWILIO_FROM_NUMBER": "+8613800000000",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.whkjj.gov.cn",
    "EMAIL_HOST_PASSWORD": "a-real-password",
    "EMAIL_USE_TLS": "true",
    "DEFAULT_FROM_EMAIL": "专家入库系统 <noreply@whkjj.gov.cn>",
}


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({}, []),
        ({"TWILIO_AUTH_TOKEN": ""}, ["portal.W004"]),
        ({"TWILIO_ACCOUNT_SID": "ACxxxxxxxx"}, ["portal.W004"]),
        ({"TWILIO_FROM_NUMBER": "+15005550006"}, ["portal.W004"]),
        # Another backend does not read the Twilio settings; the console one sends nothing.
        (
            {"SMS_BACKEND": "sms.backends.console.ConsoleBackend", "TWILIO_AUTH_TOKEN": ""},
            ["portal.W007"],
        ),
        ({"EMAIL_HOST": "smtp.example.gov.cn"}, ["portal.W005"]),
        ({"EMAIL_HOST_PASSWORD": "your-mail-password"}, ["portal.W005"]),
        # The console mail backend connects to no server, and sends nothing.
        (
            {
                "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
                "EMAIL_HOST": "smtp.example.gov.cn",
            },
            ["portal.W008"],
        ),
        ({"DEFAULT_FROM_EMAIL": "noreply@expert.example.gov.cn"}, ["portal.W006"]),
        ({"DEFAULT_FROM_EMAIL": "noreply@examples.whkjj.gov.cn"}, []),
    ],
    ids=[
        "real",
        "no-token",
        "example-sid",
        "test-number",
        "console-sms",
        "example-host",
        "example-password",
        "console-mail",
        "example-sender",
        "example-inside-a-label",
    ],
)
def test_the_delivery_check_names_each_example_left(settings, changed, expected):
    from portal.checks import check_delivery_examples

    settings.DEBUG = False
    for name, value in {**REAL_DELIVERY, **changed}.items():
        setattr(settings, name, value)

    assert [warning.id for warning in check_delivery_examples(None)] == expected


def test_the_delivery_check_is_quiet_under_debug(settings):
    from portal.checks import check_delivery_examples

    settings.DEBUG = True
    settings.SMS_BACKEND = "sms.backends.twilio.TwilioBackend"
    settings.TWILIO_AUTH_TOKEN = ""
    settings.DEFAULT_FROM_EMAIL = "noreply@expert.example.gov.cn"
    assert check_delivery_examples(None) == []


def test_the_deploy_check_refuses_sqlite_in_production():
    """等保 walk: a production `.env` left on the demo's SQLite passed `check --deploy`, and the
    audit trail had no trigger to keep it append-only."""
    on_sqlite = {**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3"}
    deploy = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PORTAL_URL=f"https://{HOST}",
        **on_sqlite,
        **REAL_DELIVERY,
    )

    assert deploy.returncode != 0
    assert "portal.W009) 数据库不是 PostgreSQL（django.db.backends.sqlite3）" in deploy.stderr


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({}, []),
        ({"EMAIL_USE_TLS": False}, ["portal.W010"]),
        ({"EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True}, []),
        ({"EMAIL_USE_TLS": False, "EMAIL_HOST": "localhost"}, []),
        ({"EMAIL_USE_TLS": False, "EMAIL_HOST": "127.0.0.1"}, []),
        (
            {
                "EMAIL_USE_TLS": False,
                "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            },
            [],
        ),
    ],
    ids=["tls", "clear", "ssl", "localhost", "loopback", "console"],
)
def test_the_deploy_check_warns_of_mail_in_clear_text(settings, changed, expected):
    from portal.checks import check_mail_in_clear

    settings.DEBUG = False
    for name, value in {**REAL_DELIVERY, "EMAIL_USE_TLS": True, **changed}.items():
        setattr(settings, name, value)

    assert [warning.id for warning in check_mail_in_clear(None)] == expected
