"""A licence scan the private storage refuses (a full or read-only disk): the page comes back
with everything typed and says the scan could not be saved; nothing is created or changed, and
no part of the scan is left in the storage."""

import os

import pytest
from django.urls import reverse

from accounts.models import Unit, UnitStatus, User
from tests import factories
from tests.accounts.test_registration import error_summary, errors_under, unit_data
from tests.storages import full_disk

pytestmark = pytest.mark.django_db

NOT_SAVED = "扫描件未能保存（服务器存储暂时不可用），本次提交未保存任何内容。"


def stored_files(root) -> list[str]:
    return [name for _, _, files in os.walk(root) for name in files]


def test_a_registration_whose_scan_the_disk_refuses_comes_back_with_what_was_typed(
    client, settings, tmp_path
):
    full_disk(settings, tmp_path)
    data = unit_data()

    response = client.post(reverse("accounts:register_unit"), data)

    assert response.status_code == 200
    html = response.content.decode()
    message = errors_under(response, "licence")
    assert len(message) == 1 and message[0].startswith(NOT_SAVED)
    assert f"请致电{settings.HELP_LINE}联系市科技局" in message[0]
    assert error_summary(response)[-1] == "出于安全原因，请重新输入密码、确认密码后再提交。"
    for name in ("name", "credit_code", "address", "contact_name", "contact_mobile", "email"):
        assert f'value="{data[name]}"' in html, name
    assert f'value="{data["username"]}"' in html
    assert (Unit.objects.count(), User.objects.count()) == (0, 0)
    assert stored_files(tmp_path) == []


def test_a_resubmission_whose_scan_the_disk_refuses_changes_nothing(client, settings, tmp_path):
    rejected = factories.make_unit(UnitStatus.REJECTED, name="名称有误的单位")
    scan = rejected.licence.name
    client.force_login(User.objects.get(unit=rejected))
    full_disk(settings, tmp_path)
    data = {
        "name": "名称已改正的单位",
        "credit_code": rejected.credit_code,
        "nature": rejected.nature,
        "district": rejected.district,
        "address": rejected.address,
        "contact_name": rejected.contact_name,
        "contact_mobile": rejected.contact_mobile,
        "email": rejected.email,
        "licence": factories.licence_upload("新营业执照.png"),
    }

    response = client.post(reverse("accounts:unit_resubmit"), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert NOT_SAVED in html
    assert 'value="名称已改正的单位"' in html
    rejected.refresh_from_db()
    assert (rejected.status, rejected.name, rejected.licence.name) == (
        UnitStatus.REJECTED,
        "名称有误的单位",
        scan,
    )
    assert stored_files(tmp_path) == []
