"""What an operator may change in admin, and how it reads (found by a walk through admin): a
ban only ends earlier, reason codes and eligibility rules are not doubled, a unit's contact
mobile is masked like a person's, the password pages speak of the portal's one way in, and
pages return where the operator came from."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts.models import Authenticator, Blacklist, User
from audit.models import AuditEvent, Reminder
from experts.models import EligibilityKind, EligibilityRule, ReasonCode
from sms.models import SMSMessage
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


@pytest.fixture
def ban(reviewer):
    return Blacklist.objects.create(
        id_number_index="x" * 64,
        name="张三",
        until=datetime.date(2027, 6, 30),
        reason="出库（清退）：严重违反评审纪律",
        created_by=reviewer,
    )


def save_ban(client, ban, until: str, reason: str = "改写的理由"):
    url = reverse("admin:accounts_blacklist_change", args=[ban.pk])
    return client.post(url, {"until": until, "reason": reason})


def test_a_ban_is_not_moved_later(client, operator, ban):
    response = save_ban(client, ban, "2030-01-01")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["until"] == [
        "禁入截止日期只能提前，不能推后。原截止日期为2027-06-30。"
    ]
    assert Blacklist.objects.get(pk=ban.pk).until == datetime.date(2027, 6, 30)


def test_a_ban_is_not_made_for_good(client, operator, ban):
    response = save_ban(client, ban, "")

    assert response.context["adminform"].form.errors["until"] == [
        "禁入截止日期不能清空（清空即改为永久禁入）。原截止日期为2027-06-30，只能提前。"
    ]
    assert Blacklist.objects.get(pk=ban.pk).until == datetime.date(2027, 6, 30)


def test_a_ban_ends_earlier_its_reason_kept_and_the_audit_says_from_which_date(
    client, operator, ban
):
    response = save_ban(client, ban, "2026-12-31")

    assert response.status_code == 302
    saved = Blacklist.objects.get(pk=ban.pk)
    assert (saved.until, saved.reason) == (datetime.date(2026, 12, 31), ban.reason)
    message = "禁入截止日期由2027-06-30改为2026-12-31"
    assert LogEntry.objects.get().get_change_message() == message
    event = AuditEvent.objects.get(action=AuditEvent.Action.ADMIN_CHANGE)
    assert event.detail.endswith(f"：{message}")


def test_a_ban_for_good_may_be_given_an_end(client, operator, ban):
    Blacklist.objects.filter(pk=ban.pk).update(until=None)

    save_ban(client, ban, "2026-12-31")

    assert Blacklist.objects.get(pk=ban.pk).until == datetime.date(2026, 12, 31)
    assert LogEntry.objects.get().get_change_message() == "禁入截止日期由永久改为2026-12-31"


def test_a_ban_is_not_deleted_in_admin(client, operator, ban):
    client.post(reverse("admin:accounts_blacklist_delete", args=[ban.pk]), {"post": "yes"})

    assert Blacklist.objects.filter(pk=ban.pk).exists()


def test_the_blacklist_shows_and_filters_which_bans_are_in_force(client, operator, ban, reviewer):
    today = timezone.localdate()
    for name, until in [("李四", today), ("王五", today - datetime.timedelta(days=1))]:
        Blacklist.objects.create(
            id_number_index=name, name=name, until=until, reason="出库", created_by=reviewer
        )
    url = reverse("admin:accounts_blacklist_changelist")

    def names(**query):
        return sorted(entry.name for entry in client.get(url, query).context["cl"].result_list)

    assert (names(in_force="1"), names(in_force="0")) == (["张三", "李四"], ["王五"])
    html = client.get(url).content.decode()
    assert html.count('<td class="field-state">生效中</td>') == 2
    assert html.count('<td class="field-state">已结束</td>') == 1


def test_a_ban_is_found_by_the_whole_id_number_under_the_current_or_an_old_key(
    client, operator, reviewer, settings
):
    """Ops walk, item 4: 禁入名单 searched names only, while 用户 and 专家申请 find a whole ID
    number; an operator asked "is this number banned?" had no way to tell."""
    number = factories.resident_id(7)
    Blacklist.objects.create(
        id_number_index=User.id_index("resident", number),
        name="张三",
        reason="出库",
        created_by=reviewer,
    )
    Blacklist.objects.create(
        id_number_index=User.id_index("resident", factories.resident_id(8)),
        name="李四",
        reason="出库",
        created_by=reviewer,
    )
    url = reverse("admin:accounts_blacklist_changelist")

    def names(term: str) -> list[str]:
        return [entry.name for entry in client.get(url, {"q": term}).context["cl"].result_list]

    assert names(number.lower()) == ["张三"]
    assert names(number[:10]) == []  # never by part
    assert names("李四") == ["李四"]
    assert "按姓名查找；输入完整的证件号码可精确查找。" in client.get(url).content.decode()
    # Made before a rotation of FIELD_HMAC_KEY not yet finished: still found.
    settings.FIELD_HMAC_OLD_KEYS = [settings.FIELD_HMAC_KEY]
    settings.FIELD_HMAC_KEY = "another-hmac-key-for-this-test-0123456789"
    assert names(number) == ["张三"]


def reason_code_data(**overrides) -> dict:
    return {"code": "incomplete2", "label": "信息不完整", "order": 9, "active": "on", **overrides}


def test_a_second_active_reason_code_of_one_label_is_refused(client, operator, reference_data):
    assert ReasonCode.objects.filter(label="信息不完整", active=True).count() == 1

    response = client.post(reverse("admin:experts_reasoncode_add"), reason_code_data())

    assert response.context["adminform"].form.errors["label"] == [
        "已有启用的理由使用“信息不完整”这一中文说明（代码 incomplete），"
        "审核页会把两条列成一样的理由。请换一个说明，或先停用那一条。"
    ]
    assert ReasonCode.objects.filter(label="信息不完整").count() == 1
    # Switched off, it may keep the label (an old code kept for its records).
    client.post(reverse("admin:experts_reasoncode_add"), reason_code_data(active=""))
    assert ReasonCode.objects.filter(label="信息不完整").count() == 2


def test_switching_on_a_reason_code_twin_in_the_list_is_refused(client, operator, reference_data):
    twin = ReasonCode.objects.create(code="incomplete2", label="信息不完整", active=False)
    url = reverse("admin:experts_reasoncode_changelist")
    codes = list(ReasonCode.objects.order_by("order", "pk"))
    data = {"form-TOTAL_FORMS": len(codes), "form-INITIAL_FORMS": len(codes), "_save": "保存"}
    for i, code in enumerate(codes):
        data |= {f"form-{i}-id": code.pk, f"form-{i}-order": code.order}
        if code.active or code == twin:
            data[f"form-{i}-active"] = "on"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "已有启用的理由使用“信息不完整”" in response.content.decode()
    assert not ReasonCode.objects.get(pk=twin.pk).active


def rule_data(**overrides) -> dict:
    return {"kind": EligibilityKind.MAX_AGE, "value": 60, "label": "", "active": "on", **overrides}


def test_a_second_active_rule_of_a_kind_is_refused(client, operator):
    # One rule of each kind comes with the portal (experts 0016), 最高年龄 at 65.
    seeded = EligibilityRule.objects.get(kind=EligibilityKind.MAX_AGE, active=True)
    add = reverse("admin:experts_eligibilityrule_add")

    response = client.post(add, rule_data())

    assert response.context["adminform"].form.errors["kind"] == [
        "已有启用的“最高年龄”规则（年龄超过65岁）。同一类型只能启用一条：请修改那一条，或先停用它。"
    ]
    assert EligibilityRule.objects.filter(kind=EligibilityKind.MAX_AGE).count() == 1
    # Switched off, a second rule of the kind is kept; and taken once the first is off.
    client.post(add, rule_data(active=""))
    EligibilityRule.objects.filter(pk=seeded.pk).update(active=False)
    client.post(add, rule_data(value=62))
    rules = EligibilityRule.objects.filter(kind=EligibilityKind.MAX_AGE).order_by("pk")
    assert [(rule.value, rule.active) for rule in rules] == [(65, False), (60, False), (62, True)]


def test_a_units_contact_mobile_is_masked_and_opened_with_a_reason(client, operator, unit):
    whole = "13900139000"
    change = reverse("admin:accounts_unit_change", args=[unit.pk])
    pages = [reverse("admin:accounts_unit_changelist"), change]
    for url in pages:
        assert whole not in client.get(url).content.decode(), url
    page = client.get(change)
    assert "139****9000" in page.content.decode()
    assert "contact_mobile" not in page.context["adminform"].form.fields

    shown = client.post(
        reverse("admin:accounts_unit_personal_data", args=[unit.pk]), {"reason": "correct"}
    )

    assert whole in shown.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSONAL_DATA)
    assert (event.object_id, event.detail) == (
        str(unit.pk),
        "后台查看：联系人手机；理由：应本人或所在单位请求更正信息",
    )
    # A unit added here has no number to hide yet: it is typed in.
    add = client.get(reverse("admin:accounts_unit_add")).context["adminform"].form
    assert "contact_mobile" in add.fields


def test_the_password_pages_speak_of_the_portals_one_way_in(client, operator, unit):
    add = client.get(reverse("admin:accounts_user_add")).content.decode()
    person = factories.make_applicant(unit)
    reset = client.get(reverse("admin:auth_user_password_change", args=[person.pk]))
    reset_html = reset.content.decode()

    for html in (add, reset_html):
        assert "LDAP" not in html and 'name="usable_password"' not in html
    assert "新密码不能与当前密码相同" not in add
    assert "新密码不能与当前密码相同" in reset_html  # true of a reset
    assert "unset-password" not in reset_html


def test_a_reason_code_slug_error_names_the_code(client, operator):
    response = client.post(reverse("admin:experts_reasoncode_add"), reason_code_data(code="信息"))

    assert response.context["adminform"].form.errors["code"] == [
        "代码只能由英文字母、数字、下划线（_）或连字符（-）组成。"
    ]


def test_the_reminder_filter_says_what_its_cells_say(client, operator):
    sent = SMSMessage.objects.create(to="+8613900139000", body="提醒", status="sent")
    queued = SMSMessage.objects.create(to="+8613900139001", body="提醒")
    common = {"kind": Reminder.Kind.UNIT_SMS, "day": TODAY, "status": Reminder.Status.QUEUED}
    Reminder.objects.create(target="1", target_name="甲单位", sms_message=sent, **common)
    Reminder.objects.create(target="2", target_name="乙单位", sms_message=queued, **common)
    Reminder.objects.create(target="3", target_name="丙单位", **common)  # its SMS purged
    Reminder.objects.create(
        kind=Reminder.Kind.BUREAU_DIGEST,
        target=Reminder.BUREAU,
        target_name="科技局审核员",
        day=TODAY,
        status=Reminder.Status.SENT,
    )
    url = reverse("admin:audit_reminder_changelist")

    def names(**query):
        return sorted(r.target_name for r in client.get(url, query).context["cl"].result_list)

    assert names(delivery="sent") == ["甲单位", "科技局审核员"]
    assert names(delivery="queued") == ["乙单位"]
    assert names(delivery="purged") == ["丙单位"]
    html = client.get(url).content.decode()
    assert "已交短信发送队列" not in html
    assert "短信已发送" in html and "短信排队中" in html


def test_deleting_an_authenticator_returns_to_their_list(client, operator, reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    changelist = reverse("admin:accounts_authenticator_changelist")
    filters = "_changelist_filters=confirmed%3D1"
    url = reverse("admin:accounts_authenticator_delete", args=[device.pk])

    response = client.post(f"{url}?{filters}", {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == f"{changelist}?confirmed=1"
    assert not Authenticator.objects.filter(pk=device.pk).exists()
