"""The settings a deployment gets from .env.example's advice pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, **env):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DEBUG"))
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


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-production-secret-" + "x" * 40,
        ALLOWED_HOSTS="expert.example.gov.cn",
        BEHIND_TLS_PROXY="true",
        DATABASE_URL="sqlite:////tmp/deploy-check.sqlite3",
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
