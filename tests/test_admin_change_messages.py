"""An auditor reading 后台修改 rows months later (安全审计): where the old value matters, the
admin's change message says from what to what (portal.admin.OldAndNewChangeMessageMixin), and
the audit row keeps it; a personal number is never among those values."""

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User
from accounts.permissions import BUREAU_GROUP
from audit.models import AuditEvent
from experts.models import (
    ApplicationStatus,
    Discipline,
    EligibilityKind,
    EligibilityRule,
    ReasonCode,
)
from portal.admin import OldAndNewChangeMessageMixin
from tests import factories
from tests.test_admin import unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


def save(client, admin_name: str, obj, **changes) -> str:
    """Post the object's change page with `changes` (None: the box left empty, a checkbox
    unticked); the change message recorded, which the audit row must carry too."""
    url = reverse(f"admin:{admin_name}_change", args=[obj.pk])
    data = {**unchanged(client, url), **changes, "_continue": "1"}
    data = {name: value for name, value in data.items() if value is not None}
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    message = LogEntry.objects.filter(object_id=str(obj.pk)).latest("pk").get_change_message()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_CHANGE).latest("pk")
    assert event.detail.endswith(f"：{message}")
    return message


def test_a_renamed_discipline_says_its_old_name(client, operator, reference_data):
    field = Discipline.objects.filter(parent__isnull=False).first()
    old = field.name

    message = save(client, "experts_discipline", field, name="新名称", code="X99")

    assert message == f"代码由“{field.code}”改为“X99”；名称由“{old}”改为“新名称”。"
    # Moved under another field: from which to which, by name.
    before = field.parent
    after = Discipline.objects.filter(parent__isnull=True).exclude(pk=before.pk).first()
    message = save(client, "experts_discipline", field, parent=str(after.pk))
    assert message == f"上级领域由“{before.name}”改为“{after.name}”。"


def test_a_users_groups_and_is_active_say_from_what_to_what(client, operator, unit):
    person = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    bureau = Group.objects.get(name=BUREAU_GROUP)
    other = Group.objects.create(name="档案管理")
    person.groups.add(other)

    message = save(
        client,
        "accounts_user",
        person,
        groups=[str(bureau.pk), str(other.pk)],
        is_active=None,
        email="new@example.com",
    )

    # Django's wording for the fields whose value is not needed (电子邮箱).
    assert message == (
        "有效由“是”改为“否”；用户组由“档案管理”改为“档案管理、科技局审核员”；已修改电子邮箱。"
    )
    message = save(client, "accounts_user", person, groups=[])
    assert message == "用户组由“档案管理、科技局审核员”改为“无”。"


def test_a_units_switch_and_name_say_from_what_to_what(client, operator, unit):
    old = unit.name

    message = save(client, "accounts_unit", unit, is_active=None, name="改名后的单位")

    assert message == f"单位名称由“{old}”改为“改名后的单位”；启用由“是”改为“否”。"


def test_a_reason_codes_switch_says_so_on_its_page_and_in_the_list(
    client, operator, reference_data
):
    code = ReasonCode.objects.get(code="incomplete")
    assert save(client, "experts_reasoncode", code, active=None) == "启用由“是”改为“否”。"

    # The list's 启用 boxes (list_editable) go through the same hook.
    codes = list(ReasonCode.objects.order_by("order", "pk"))
    data = {"form-TOTAL_FORMS": len(codes), "form-INITIAL_FORMS": len(codes), "_save": "保存"}
    for i, each in enumerate(codes):
        data |= {f"form-{i}-id": each.pk, f"form-{i}-order": each.order}
        if each.active or each == code:
            data[f"form-{i}-active"] = "on"
    client.post(reverse("admin:experts_reasoncode_changelist"), data)

    entry = LogEntry.objects.filter(object_id=str(code.pk)).latest("pk")
    assert entry.get_change_message() == "启用由“否”改为“是”。"


def test_an_eligibility_threshold_says_from_what_to_what(client, operator):
    rule = EligibilityRule.objects.get(kind=EligibilityKind.MAX_AGE, active=True)

    message = save(client, "experts_eligibilityrule", rule, value="70")

    assert message == "年数由“65”改为“70”。"


def test_an_unchanged_save_and_other_fields_keep_djangos_words(client, operator, unit):
    person = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    assert save(client, "accounts_user", person) == "没有字段被修改。"
    assert save(client, "accounts_user", person, email="x@example.com") == "已修改电子邮箱。"


def test_no_admin_writes_a_personal_number_into_a_change_message(client, operator, unit):
    """Only the listed fields' values are written; none is a number the admin masks. And a
    person's change of those fields carries none of their numbers."""
    personal = {"id_number", "bank_account", "mobile", "contact_mobile", "office_phone"}
    for model in apps.get_models():
        model_admin = site.get_model_admin(model) if site.is_registered(model) else None
        if isinstance(model_admin, OldAndNewChangeMessageMixin):
            assert not personal & set(model_admin.change_message_fields), model_admin

    person = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    message = save(client, "accounts_user", person, is_active=None)
    detail = AuditEvent.objects.latest("pk").detail
    for number in [person.id_number, person.mobile, person.mobile.removeprefix("+86")]:
        assert number not in message and number not in detail


def permission(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_a_groups_permissions_say_which_were_added_and_removed(client, operator):
    """Found in the 等保 2.0 review: granting a permission was recorded as 已修改权限 only."""
    group = Group.objects.create(name="测试组")
    view_user = permission("accounts", "view_user")
    group.permissions.add(view_user)
    view_audit = permission("audit", "view_auditevent")
    export_audit = permission("audit", "export_auditevent")

    message = save(
        client, "auth_group", group, permissions=[str(view_audit.pk), str(export_audit.pk)]
    )

    assert message == (
        "权限：增加“安全审计 | 审计记录 | 可导出审计记录”、“安全审计 | 审计记录 | 可查看审计记录”，"
        "取消“账号与单位 | 用户 | 可查看用户”。"
    )


def test_a_new_groups_permissions_are_named(client, operator):
    view_audit = permission("audit", "view_auditevent")

    client.post(reverse("admin:auth_group_add"), {"name": "审计", "permissions": [view_audit.pk]})

    entry = LogEntry.objects.latest("pk")
    assert (
        entry.get_change_message() == "已添加；权限：增加“安全审计 | 审计记录 | 可查看审计记录”。"
    )
    assert AuditEvent.objects.latest("pk").detail.endswith(f"：{entry.get_change_message()}")


def test_a_users_permissions_say_which_were_added_and_removed(client, operator, unit):
    person = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    view_user = permission("accounts", "view_user")

    message = save(
        client, "accounts_user", person, user_permissions=[str(view_user.pk)], is_staff="on"
    )

    assert message == "工作人员状态由“否”改为“是”；用户权限：增加“账号与单位 | 用户 | 可查看用户”。"
    assert save(client, "accounts_user", person, user_permissions=[]) == (
        "用户权限：取消“账号与单位 | 用户 | 可查看用户”。"
    )
