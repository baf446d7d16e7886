"""A staff account that may change users or groups may not raise anyone's privileges, its
own included (等保 2.0 访问控制): only a superuser gives 超级用户状态, 工作人员状态, 用户组
and 用户权限, or a group's 权限. To others those fields are text on the page, and a forged
POST carrying them changes nothing."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User
from tests import factories
from tests.test_admin import unchanged

pytestmark = pytest.mark.django_db


def permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def staff(username: str, *permissions: str) -> User:
    user = User.objects.create_user(username, password=factories.PASSWORD, is_staff=True)
    user.user_permissions.add(*(permission(p) for p in permissions))
    return user


@pytest.fixture
def user_manager(client):
    user = staff("manager", "accounts.view_user", "accounts.change_user")
    client.force_login(user)
    return user


@pytest.fixture
def group_manager(client):
    user = staff("groups", "auth.view_group", "auth.change_group")
    client.force_login(user)
    return user


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


ESCALATION = {"is_superuser": "on", "is_staff": "on"}


def forged_escalation(group: Group) -> dict:
    """What the change page of a superuser would post to make an account all-powerful."""
    return {
        **ESCALATION,
        "groups": [str(group.pk)],
        "user_permissions": [str(permission("audit.view_auditevent").pk)],
    }


def test_a_user_manager_cannot_make_itself_superuser_by_a_forged_post(client, user_manager):
    group = Group.objects.create(name="审计")
    group.permissions.add(permission("audit.view_auditevent"))
    url = reverse("admin:accounts_user_change", args=[user_manager.pk])
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403

    data = {**unchanged(client, url), **forged_escalation(group), "_continue": "1"}
    response = client.post(url, data)

    assert response.status_code == 302
    user_manager.refresh_from_db()
    assert user_manager.is_superuser is False
    assert list(user_manager.groups.all()) == []
    assert list(user_manager.user_permissions.order_by("codename")) == [
        permission("accounts.change_user"),
        permission("accounts.view_user"),
    ]
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_a_user_manager_sees_privileges_as_text_and_may_still_change_the_rest(
    client, user_manager, unit
):
    person = factories.make_applicant(unit)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    assert not {"is_superuser", "is_staff", "groups", "user_permissions"} & set(form.fields)

    data = {**unchanged(client, url), "email": "new@example.com", **ESCALATION}
    response = client.post(url, {**data, "_continue": "1"})

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.email, person.is_staff, person.is_superuser) == ("new@example.com", False, False)


def test_a_user_manager_cannot_take_over_a_superusers_account(client, user_manager):
    """Changing a superuser's password or username would give their powers away as surely."""
    root = User.objects.create_superuser("root", "root@example.com", factories.PASSWORD)

    assert client.get(reverse("admin:accounts_user_change", args=[root.pk])).status_code == 200
    response = client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "Another#Pass2026", "password2": "Another#Pass2026"},
    )

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password(factories.PASSWORD)


def test_a_group_manager_cannot_add_permissions_to_its_own_group(client, group_manager):
    group = Group.objects.create(name="值班")
    group_manager.groups.add(group)
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert "permissions" not in client.get(url).context["adminform"].form.fields

    audit = permission("audit.view_auditevent")
    data = {"name": "值班组", "permissions": [str(audit.pk)], "_continue": "1"}
    response = client.post(url, data)

    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, list(group.permissions.all())) == ("值班组", [])


def test_a_group_added_by_a_group_manager_has_no_permissions(client, group_manager):
    group_manager.user_permissions.add(permission("auth.add_group"))
    audit = permission("audit.view_auditevent")

    response = client.post(
        reverse("admin:auth_group_add"), {"name": "新组", "permissions": [str(audit.pk)]}
    )

    assert response.status_code == 302
    assert list(Group.objects.get(name="新组").permissions.all()) == []


def test_a_superuser_still_gives_privileges(client, operator, unit):
    person = factories.make_applicant(unit)
    group = Group.objects.create(name="审计")
    url = reverse("admin:accounts_user_change", args=[person.pk])

    data = {**unchanged(client, url), **forged_escalation(group), "_continue": "1"}
    response = client.post(url, data)

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.is_staff, person.is_superuser) == (True, True)
    assert list(person.groups.all()) == [group]
    assert list(person.user_permissions.all()) == [permission("audit.view_auditevent")]
