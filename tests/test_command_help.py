"""`manage.py <command> --help` of the portal's own commands is Chinese, option by option, as
the operators who run them read it (ops walk: --loop, seed_demo --force and seed_scale's
options were English, --units and --experts had no help at all)."""

import re
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand

ROOT = Path(__file__).resolve().parents[1]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def option_helps(text: str) -> dict[str, str]:
    """Each option of an argparse --help, with its help text (wrapped lines joined)."""
    helps, current = {}, None
    for line in text.splitlines():
        option = re.match(r"^  (--?[\w-]+)", line)
        if option:
            current = option.group(1)
            helps[current] = line[option.end() :]
        elif current and line.startswith("    "):
            helps[current] += line
        else:
            current = None
    return helps


def project_commands() -> list[tuple[str, str]]:
    """The commands of the apps in this repository (not the installed packages'), but the
    tests'."""
    return sorted(
        (app, name)
        for name, app in get_commands().items()
        if app != "tests" and (ROOT / app.split(".")[0]).is_dir()
    )


def test_every_project_command_is_found():
    names = {name for _, name in project_commands()}
    assert {"send_reminders", "send_queued_sms", "run_exports", "seed_demo", "seed_scale"} <= names


@pytest.mark.parametrize(("app", "name"), project_commands(), ids=lambda value: value)
def test_each_option_of_the_portals_commands_has_chinese_help(app, name):
    djangos = option_helps(BaseCommand().create_parser("manage.py", "x").format_help())
    parser = load_command_class(app, name).create_parser("manage.py", name)

    own = {
        option: text
        for option, text in option_helps(parser.format_help()).items()
        if option not in djangos
    }

    assert {option: text for option, text in own.items() if not CHINESE.search(text)} == {}


def test_send_reminders_daily_at_says_it_runs_the_other_daily_jobs():
    parser = load_command_class("experts", "send_reminders").create_parser("manage.py", "x")

    daily_at = re.sub(r"\s+", "", option_helps(parser.format_help())["--daily-at"])

    assert "年度确认（review_confirmations）和日常清理（housekeeping）" in daily_at


def test_send_reminders_daily_at_says_its_hour_is_beijing_time():
    """The hour is read on TIME_ZONE's clock (Asia/Shanghai), not the server's own (ops walk:
    the help said 本地时间, which on a UTC server is eight hours off)."""
    parser = load_command_class("experts", "send_reminders").create_parser("manage.py", "x")

    daily_at = re.sub(r"\s+", "", option_helps(parser.format_help())["--daily-at"])

    assert "每天在该北京时间" in daily_at
    assert "TIME_ZONE" in daily_at
    assert "本地时间" not in daily_at
