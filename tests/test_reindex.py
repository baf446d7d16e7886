"""Rotating FIELD_HMAC_KEY: with the former key in FIELD_HMAC_OLD_KEYS, every lookup still
matches the hashes stored under it (one account per ID number, 禁入, 入库证明, 下载我的个人
信息); `reindex_personal_data` recomputes them under the new key, after which the old key can
go; a second run writes nothing, a dry run nothing at all, and each run is audited by count."""

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Blacklist, User
from audit.models import AuditEvent
from certificates.models import Certificate
from certificates.rules import details_index, invalid_reason
from certificates.services import certificate_for
from experts import own_data, services
from portal.checks import check_field_keys
from portal.workflow import WorkflowError
from tests import factories

pytestmark = pytest.mark.django_db

NEW_KEY = "a-new-hmac-key-after-a-suspected-leak-of-the-old-one-0123456789"
# A number no account holds: a 禁入 entry for it has nothing to be recomputed from.
NOBODYS_NUMBER = factories.resident_id(987654)


@pytest.fixture
def before(unit, reviewer):
    """Under the key the tests start with: an admitted expert with a certificate, and one
    removed with a 禁入 for good."""
    application = factories.admitted_expert(unit, reviewer)
    factories.past_notice(application)
    certificate = certificate_for(application)
    removed = factories.admitted_expert(unit, reviewer)
    services.remove_application(removed, reviewer, "conduct", "评审中泄露信息", "forever")
    return SimpleNamespace(
        expert=application.user,
        certificate=certificate,
        banned=User.objects.get(pk=removed.user_id),
    )


def rotate(settings) -> str:
    """The operator's step 1: the new key in FIELD_HMAC_KEY, the former one listed as old."""
    old = settings.FIELD_HMAC_KEY
    settings.FIELD_HMAC_KEY = NEW_KEY
    settings.FIELD_HMAC_OLD_KEYS = [old]
    return old


def reindex(*args) -> str:
    out = io.StringIO()
    call_command("reindex_personal_data", *args, stdout=out)
    return out.getvalue().strip()


def register(client, unit, id_number: str) -> str:
    """Post 新用户注册：个人 with `id_number`; the page, or "" after a redirect (registered)."""
    data = {
        "username": f"someone{id_number[-6:]}",
        "real_name": "又一人",
        "id_type": "resident",
        "id_number": id_number,
        "mobile": "13912345678",
        "email": "another@example.com",
        "unit": unit.pk,
        "password1": factories.PASSWORD,
        "password2": factories.PASSWORD,
        "privacy_notice": "on",
    }
    response = client.post(reverse("accounts:register_individual"), data)
    return response.content.decode() if response.status_code == 200 else ""


def assert_everything_still_matches(client, unit, before):
    # One account per ID number, and 禁入 at registration, saying nothing of the ban.
    assert "该证件号码已注册过账号" in register(client, unit, before.expert.id_number)
    assert "该证件号码目前不能注册" in register(client, unit, before.banned.id_number)
    assert not User.objects.filter(real_name="又一人").exists()
    # 禁入 at 重新申请, and in the banned person's own data.
    with pytest.raises(WorkflowError, match="您目前不能重新申请入库"):
        services.reapply(before.banned.application, before.banned)
    [entry] = own_data.bans(before.banned)
    assert entry["禁入截止日期"] == "永久"
    client.force_login(before.banned)
    home = client.get(reverse("experts:home")).content.decode()
    assert "您已被移出专家库，不得再申请入库。" in home
    client.logout()
    # The certificate still reads 有效, and a download is the same certificate.
    application = before.expert.application
    assert invalid_reason(Certificate.objects.get(pk=before.certificate.pk)) == ""
    assert certificate_for(application).code == before.certificate.code


def stored() -> dict:
    return {
        "accounts": dict(User.objects.exclude(id_number="").values_list("pk", "id_number_index")),
        "bans": dict(Blacklist.objects.values_list("pk", "id_number_index")),
        "certificates": dict(Certificate.objects.values_list("pk", "details_index")),
    }


def test_while_the_old_key_is_listed_rows_hashed_under_it_still_match(
    client, unit, before, settings
):
    rotate(settings)
    assert before.expert.id_number_index != User.id_index("resident", before.expert.id_number)
    # Any save of an account stores its hash under the new key; its 禁入 entry is still under
    # the old one, and is found through the number, not the account's stored hash.
    before.banned.save()
    assert before.banned.id_number_index == User.id_index("resident", before.banned.id_number)

    assert_everything_still_matches(client, unit, before)


def test_reindexing_puts_every_row_under_the_new_key_and_the_old_key_can_go(
    client, unit, before, settings
):
    rotate(settings)

    output = reindex("--batch", "1")

    assert output.splitlines() == [
        "已重算：证件号码索引2条，禁入名单1条，入库证明1份。",
        "全部索引均已使用当前的 FIELD_HMAC_KEY：现在可以删除 FIELD_HMAC_OLD_KEYS，并重启所有进程。",
    ]
    settings.FIELD_HMAC_OLD_KEYS = []
    people = {before.expert.pk: before.expert, before.banned.pk: before.banned}
    assert stored() == {
        "accounts": {pk: User.id_index("resident", p.id_number) for pk, p in people.items()},
        "bans": {Blacklist.objects.get().pk: User.id_index("resident", before.banned.id_number)},
        "certificates": {before.certificate.pk: details_index(before.expert.application)},
    }
    assert_everything_still_matches(client, unit, before)
    # A second run writes nothing, and records nothing (ops walk, item 7: "each run that
    # writes is recorded").
    assert reindex() == "已重算：证件号码索引0条，禁入名单0条，入库证明0份。"
    events = AuditEvent.objects.filter(action=AuditEvent.Action.REINDEX).order_by("pk")
    assert [(e.username, e.role, e.detail) for e in events] == [
        (
            "reindex_personal_data",
            "系统",
            "证件号码索引2条，禁入名单1条，入库证明1份；无法重算的禁入名单0条（仍在禁入期内0条）",
        ),
    ]


def test_a_dry_run_counts_and_changes_nothing(before, settings):
    rotate(settings)
    rows = stored()

    output = reindex("--dry-run")

    assert output == "试运行：将重算证件号码索引2条，禁入名单1条，入库证明1份；未做任何更改。"
    assert stored() == rows
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REINDEX).exists()


def test_a_ban_matching_no_account_is_reported_and_still_bars_while_the_old_key_is_listed(
    client, unit, before, settings
):
    # Its account's ID number was corrected after the ban: nothing holds the number any more.
    Blacklist.objects.create(
        id_number_index=User.id_index("resident", NOBODYS_NUMBER),
        reason="评审中泄露信息",
        name="某人",
        created_by=factories.make_reviewer(),
    )
    rotate(settings)

    output = reindex()

    assert output.splitlines() == [
        "已重算：证件号码索引2条，禁入名单1条，入库证明1份。",
        "禁入名单中有1条与任何账号的证件号码都不对应，无法重算，其中1条仍在禁入期内（最晚至："
        "永久）。这些条目到期之前，不要从 FIELD_HMAC_OLD_KEYS 中删除旧密钥，否则其证件号码可以"
        "重新注册和申请。",
    ]
    assert "该证件号码目前不能注册" in register(client, unit, NOBODYS_NUMBER)


def test_a_certificate_printed_before_a_change_of_details_stays_invalid(before, settings):
    User.objects.filter(pk=before.expert.pk).update(real_name="改了名字")
    rotate(settings)

    assert reindex() == "已重算：证件号码索引2条，禁入名单1条，入库证明0份。\n" + (
        "全部索引均已使用当前的 FIELD_HMAC_KEY：现在可以删除 FIELD_HMAC_OLD_KEYS，并重启所有进程。"
    )

    certificate = Certificate.objects.get(pk=before.certificate.pk)
    assert certificate.details_index == before.certificate.details_index
    assert (
        invalid_reason(certificate) == "证明所载的持证人信息已变更，请以持证人重新下载的证明为准。"
    )


def test_two_accounts_with_one_id_number_stop_the_run_naming_them(unit, before, settings):
    rotate(settings)
    # Under the new key only, so the old row's hash did not stop it (as by a rotation made
    # without listing the former key).
    settings.FIELD_HMAC_OLD_KEYS = []
    twin = factories.make_applicant(unit)
    User.objects.filter(pk=twin.pk).update(id_number_index="")
    twin.id_number = before.expert.id_number
    twin.save()
    rows = stored()

    with pytest.raises(CommandError) as refused:
        reindex()

    assert str(refused.value) == (
        f"账号（编号{twin.pk}）与账号（编号{before.expert.pk}）的证件号码相同，"
        "请运维人员先核实并更正其中一个，再运行本命令。"
    )
    assert stored()["accounts"][before.expert.pk] == rows["accounts"][before.expert.pk]


def test_a_duplicate_registration_is_refused_after_the_old_key_is_gone(
    client, unit, before, settings
):
    rotate(settings)
    reindex()
    settings.FIELD_HMAC_OLD_KEYS = []

    assert "该证件号码已注册过账号" in register(client, unit, before.expert.id_number)
    # And an ID number nobody holds still registers.
    assert register(client, unit, NOBODYS_NUMBER) == ""
    assert User.objects.get(real_name="又一人").id_number_index == User.id_index(
        "resident", NOBODYS_NUMBER
    )


@pytest.mark.parametrize(
    ("old", "problem"),
    [
        ("current", "与当前的 FIELD_HMAC_KEY 相同"),
        ("replace-with-a-long-random-string", "为空或是 .env.example 中的占位值"),
        (" ", "为空或是 .env.example 中的占位值"),
        (" the-former-key", "前后有空格（逗号前后不要加空格）"),
    ],
)
def test_the_check_refuses_an_old_hmac_key_that_cannot_be_the_former_one(settings, old, problem):
    settings.FIELD_HMAC_KEY = NEW_KEY
    settings.FIELD_HMAC_OLD_KEYS = ["the-former-key", NEW_KEY if old == "current" else old]

    [error] = check_field_keys(None)

    assert (error.id, error.msg) == ("portal.E003", f"FIELD_HMAC_OLD_KEYS 的第2个密钥{problem}。")
    settings.FIELD_HMAC_OLD_KEYS = ["the-former-key"]
    assert check_field_keys(None) == []
