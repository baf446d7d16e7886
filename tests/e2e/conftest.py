"""Browser tests: Debian's chromium driven by Playwright against the live test server.

Every step saves a full-page screenshot under tests/e2e/artifacts/<test>/ and runs axe-core
on the page, so a reviewer can look at each page of a journey after a run.
"""

import functools
import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--lang=zh-CN",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".e2e" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@functools.cache
def axe_source() -> str:
    """axe-core's script, read once for the whole run (it is half a megabyte)."""
    return AXE.read_text()


def pytest_collection_modifyitems(config, items):
    missing = [
        what
        for what, path in (("chromium", CHROMIUM), ("axe-core", str(AXE)))
        if not Path(path).exists()
    ]
    if not missing:
        return
    reason = (
        f"browser tests need {' and '.join(missing)} (scripts/test installs axe-core with npm; "
        "chromium: apt-get install chromium fonts-noto-cjk)"
    )
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the browser tests: {reason}")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # An assertion waits as long as an action may (the context's default, below): on a loaded
    # two-core machine a page's answer took over expect's default of 5 s.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Journey:
    """One person's browser tab, with the screenshots and accessibility checks of each step."""

    def __init__(
        self, browser, base_url: str, folder: Path, viewport=(1280, 900), touch: bool = False
    ):
        # Reduced motion: Bootstrap then scrolls at once instead of smoothly. Smoothly, a click
        # that scrolled the page (a field far down, then the sticky 保存草稿) could land while the
        # page still moved, on the form around the button, and the save was lost.
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="zh-CN",
            reduced_motion="reduce",
            # A touch screen: CSS's (pointer: coarse) then holds, as on a phone.
            has_touch=touch,
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.folder = folder
        self.dialogs: list[str] = []
        self.csp_violations: list[str] = []
        self.page.on("dialog", self.confirm)
        self.page.on("console", self.watch_console)

    def watch_console(self, message):
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def confirm(self, dialog):
        # Every state change asks first; the tests answer yes and remember the question.
        self.dialogs.append(dialog.message)
        dialog.accept()

    def open(self, path: str = "/"):
        self.page.goto(self.base_url + path)

    def snap(self, name: str) -> None:
        """Screenshot the page and check it with axe-core (no serious or critical violation)."""
        self.page.wait_for_load_state()
        count = len(list(self.folder.glob("*.png"))) + 1
        self.page.screenshot(path=self.folder / f"{count:02d}-{name}.png", full_page=True)
        assert self.page.locator("html").get_attribute("lang") == "zh-Hans"
        assert self.csp_violations == [], f"CSP refused something on {name}"
        # Evaluated through the browser's debugging protocol, so the page's CSP (no inline
        # scripts) stays in force for everything the portal itself does.
        self.page.evaluate(axe_source() + "\n;0")
        # Every rule still runs on the whole page; axe only skips collecting each node that
        # passed (resultTypes, axe's documented way to speed up a run), and only the violations
        # cross to Python: a third of the time of the full result, the same violations.
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['html'][:120]})"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"axe on {name}: {serious}"

    def phone_snap(self, name: str) -> None:
        """snap() of the page again at 390 px (a phone), then back at 1280."""
        self.page.set_viewport_size({"width": 390, "height": 844})
        self.page.reload()
        self.snap(f"phone-{name}")
        self.page.set_viewport_size({"width": 1280, "height": 900})
        self.page.reload()

    def log_in(self, username: str, password: str) -> None:
        self.open("/")
        self.page.get_by_role("link", name="登录").first.click()
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()
        if "/two-factor/" in self.page.url:
            self.second_factor(username)
        if "/privacy/agree/" in self.page.url:
            # An account made outside the registrations (an operator's) agrees first.
            self.page.get_by_role("button", name="我已阅读并同意").click()
            self.page.wait_for_load_state()

    def second_factor(self, username: str) -> None:
        """Reviewers bind an authenticator at first login, then type its code each time."""
        from accounts.models import Authenticator
        from tests.factories import totp_code

        device = Authenticator.objects.filter(user__username=username).latest("pk")
        enrolling = not device.confirmed
        if enrolling:
            self.snap("two-factor-enrol")
        self.page.get_by_label("验证码").fill(totp_code(device))
        self.page.get_by_role("button", name="绑定" if enrolling else "验证").click()
        self.page.wait_for_load_state()

    def log_out(self) -> None:
        self.page.get_by_role("button", name="退出", exact=True).click()
        self.page.wait_for_load_state()

    def close(self):
        self.context.close()


@pytest.fixture
def journey(browser, live_server, request):
    """Open browser tabs for a test: journey() gives a desktop tab, journey(phone=True) a phone
    (touch=True: with a touch screen)."""
    folder = ARTIFACTS / re.sub(r"[^\w-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    opened = []

    def open_tab(phone: bool = False, touch: bool = False) -> Journey:
        viewport = (390, 844) if phone else (1280, 900)
        tab = Journey(browser, live_server.url, folder, viewport, touch)
        opened.append(tab)
        return tab

    yield open_tab
    for tab in opened:
        tab.close()
