"""定期更换 in the browser: a reviewer whose password is past PASSWORD_MAX_AGE_DAYS signs in, binds
the authenticator, is held on 修改密码 with the reason (axe on the page), changes it, and goes on
to the page they asked for."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
# A copy of the owed page's screenshot for the review, beside tests/e2e/artifacts/.
SHOTS = Path("/tmp/shots-password")
NEW = "Lantern-Orbit-57"


def test_a_reviewer_with_an_old_password_changes_it_before_anything_else(journey):
    reviewer = factories.make_reviewer("laowang")
    User.objects.filter(pk=reviewer.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=120)
    )
    tab = journey()
    page = tab.page

    tab.log_in("laowang", factories.PASSWORD)

    expect(page.get_by_role("heading", name="修改密码", level=1)).to_be_visible()
    expect(page.get_by_test_id("password-owed")).to_have_text(
        "您的密码已使用超过90天，请修改密码后继续使用。"
    )
    tab.snap("password-owed")
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(sorted(tab.folder.glob("*-password-owed.png"))[-1], SHOTS / "password-owed.png")
    tab.open("/bureau/experts/")  # any other page sends them back here
    expect(page.get_by_test_id("password-owed")).to_be_visible()

    page.get_by_label("旧密码").fill(factories.PASSWORD)
    page.locator("#id_new_password1").fill(NEW)  # its label is also the start of the next one's
    page.get_by_label("新密码确认").fill(NEW)
    page.get_by_role("button", name="保存新密码").click()

    expect(page).to_have_url(tab.base_url + "/bureau/experts/")
    expect(page.get_by_text("密码已修改，下次登录请使用新密码。")).to_be_visible()
