"""The audit trail as an auditor (纪检监察) uses it months later, in admin (安全审计 → 审计记录):
filters to type a person or an object into and a 时间范围, and 导出Excel of what is filtered
(audit.exports): the header rows, the rows in Beijing time, the cap, its own audit row, and
only for those allowed."""

import datetime
import io
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse, reverse_lazy
from openpyxl import load_workbook

from accounts.models import User
from audit.exports import COLUMNS
from audit.models import AuditEvent
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories
from tests.pages import queries_for

pytestmark = pytest.mark.django_db
A = AuditEvent.Action
CHANGELIST = reverse("admin:audit_auditevent_changelist")
EXPORT = reverse_lazy("admin:audit_auditevent_export")
TITLE_ROWS = ["审计记录导出", "导出时间", "导出人", "筛选条件", "条数"]
HEADER = [header for header, _ in COLUMNS]
UTC = datetime.UTC


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


def event(at: datetime.datetime, actor=None, **fields) -> AuditEvent:
    """A row written at `at` (the column is set by the database's save: its clock is moved)."""
    values = {"action": A.LOGIN, "result": AuditEvent.Result.SUCCESS, **fields}
    if actor is not None:
        values |= {"actor": actor, "username": actor.username, "role": "科技局审核员"}
    with mock.patch("django.utils.timezone.now", return_value=at):
        return AuditEvent.objects.create(**values)


@pytest.fixture
def trail(unit):
    """A reviewer's reveal of one application's numbers, their login, another person's reveal
    of another application, and the object's own number on a unit's row."""
    reviewer = factories.make_reviewer("wang")
    User.objects.filter(pk=reviewer.pk).update(real_name="王审核")
    reviewer.refresh_from_db()
    other = factories.make_reviewer("li")
    person = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="张三")
    application = ExpertApplication.objects.get(user=person)
    about = {
        "object_type": "experts.expertapplication",
        "object_id": str(application.pk),
        "object_repr": str(application),
    }
    return {
        "person": person,
        "application": application,
        "reveal": event(
            # 10:30:59.7 in Beijing
            datetime.datetime(2026, 5, 1, 2, 30, 59, 700_000, tzinfo=UTC),
            reviewer,
            action=A.VIEW_PERSONAL_DATA,
            ip="198.51.100.7",
            detail="查看证件号码；事由：核实身份",
            **about,
        ),
        "login": event(datetime.datetime(2026, 5, 1, 1, 0, tzinfo=UTC), reviewer),
        "other": event(
            datetime.datetime(2026, 5, 2, 3, 0, tzinfo=UTC),
            other,
            action=A.VIEW_PERSONAL_DATA,
            object_type="experts.expertapplication",
            object_id="999999",
            object_repr="李四（待科技局审核）",
        ),
        "unit_row": event(
            datetime.datetime(2026, 5, 3, 3, 0, tzinfo=UTC),
            other,
            action=A.TRANSITION,
            object_type="accounts.unit",
            object_id=str(application.pk),
            object_repr="某单位",
        ),
    }


def listed(client, **params) -> list[AuditEvent]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book["审计记录"].iter_rows(values_only=True)]


def split(rows) -> tuple[dict, list, list[list]]:
    """The title block (label: value), the header row and the data rows."""
    blank = next(i for i, row in enumerate(rows) if not any(row))
    title = {row[0]: row[1] for row in rows[:blank]}
    return title, rows[blank + 1], rows[blank + 2 :]


def test_an_auditor_types_a_person_or_an_object_in_the_sidebar(client, operator, trail):
    reveal, login, other, unit_row = (trail[k] for k in ("reveal", "login", "other", "unit_row"))
    page = client.get(CHANGELIST).content.decode()
    for box in ['name="actor"', 'name="object"', 'name="at_from"', 'name="at_to"']:
        assert box in page

    # 操作人 by a part of the name or of the username.
    assert listed(client, actor="王审") == [reveal, login]
    assert listed(client, actor="WAN") == [reveal, login]
    # 对象 by its number whole (with 对象类型 to say which kind), or by the person's name.
    number = str(trail["application"].pk)
    assert listed(client, object=number) == [unit_row, reveal]
    assert listed(client, object=number, object_type="experts.expertapplication") == [reveal]
    assert listed(client, object="张三") == [reveal]
    # Filters combine, and the other filters' choices keep a typed box.
    assert listed(client, object="审核", action__exact=A.VIEW_PERSONAL_DATA) == [other, reveal]
    assert "对象类型" in page and "专家申请" in page
    # A row by its 编号, as a line of the shipped log gives it (the login row holds no
    # number in any searched text; another row's object number may contain the same digits).
    assert login in listed(client, q=str(login.pk))
    # A filter in use offers 清除, which keeps the others; one not in use does not.
    typed = client.get(CHANGELIST, {"actor": "王审", "at_from": "2026-01-01"}).content.decode()
    assert typed.count(">清除</a>") == 2
    assert 'href="?at_from=2026-01-01">清除</a>' in typed
    assert 'href="?actor=%E7%8E%8B%E5%AE%A1">清除</a>' in typed


def test_the_date_range_takes_whole_days_in_beijing_time(client, operator):
    day = datetime.date(2026, 5, 1)
    # Beijing's 2026-05-01 is 2026-04-30 16:00 to 2026-05-01 16:00 in UTC.
    before = event(datetime.datetime(2026, 4, 30, 15, 59, 59, tzinfo=UTC))
    first = event(datetime.datetime(2026, 4, 30, 16, 0, tzinfo=UTC))
    last = event(datetime.datetime(2026, 5, 1, 15, 59, 59, tzinfo=UTC))
    after = event(datetime.datetime(2026, 5, 1, 16, 0, tzinfo=UTC))

    assert listed(client, at_from=day, at_to=day) == [last, first]
    assert listed(client, at_from="2026-05-02", at_to="2026-06-30") == [after]
    assert listed(client, at_to="2026-04-30") == [before]
    # A date it cannot read: admin's own answer to a bad filter, not a 500.
    response = client.get(CHANGELIST, {"at_from": "2026-13-01"})
    assert response.status_code == 302 and response.url == f"{CHANGELIST}?e=1"


def test_the_list_asks_as_many_queries_for_200_rows_as_for_2(client, operator, unit):
    reviewer = factories.make_reviewer("wang")
    params = {"actor": "wang", "object": "单位", "at_from": "2000-01-01", "action__exact": A.LOGIN}

    def rows(n):
        for _ in range(n):
            event(datetime.datetime(2026, 5, 1, tzinfo=UTC), reviewer, object_repr="某单位")

    rows(2)
    few = queries_for(client, CHANGELIST, params)
    rows(198)
    assert queries_for(client, CHANGELIST, params) == few
    assert queries_for(client, CHANGELIST) == queries_for(client, CHANGELIST)


def test_the_export_holds_the_filtered_rows_under_the_filter_in_beijing_time(
    client, operator, trail
):
    reveal = trail["reveal"]
    params = {"actor": "王审核", "action__exact": A.VIEW_PERSONAL_DATA}
    page = client.get(CHANGELIST, params).content.decode()
    # The link carries the list's filter (and says how many rows it takes).
    assert "导出Excel（当前筛选结果，共1条）" in page
    assert "2026-05-01 10:30:59" in page
    assert f'href="{EXPORT}?action__exact=view_personal&amp;actor=' in page

    response = client.get(EXPORT, params)

    title, header, rows = split(sheet(response))
    assert list(title) == TITLE_ROWS
    assert (title["导出人"], title["条数"]) == ("operator", 1)
    assert title["筛选条件"] == "操作人：王审核；操作：查看完整个人信息"
    assert header == HEADER
    assert rows == [
        [
            reveal.pk,
            # Beijing, as the header says, to the second as the list shows it (Excel would
            # show the fraction rounded up: 10:31:00).
            datetime.datetime(2026, 5, 1, 10, 30, 59),
            "wang",
            "王审核",
            "科技局审核员",
            "198.51.100.7",
            "查看完整个人信息",
            "专家申请",
            str(trail["application"].pk),
            str(trail["application"]),
            "查看证件号码；事由：核实身份",
            "成功",
        ]
    ]
    # Nothing in the trail is a whole personal number, and the export adds none.
    person = trail["person"]
    cells = " ".join(str(cell) for row in sheet(client.get(EXPORT)) for cell in row)
    for number in [person.id_number, person.mobile, person.mobile.removeprefix("+86")]:
        assert number not in cells


def test_the_export_is_itself_audited_who_which_filter_how_many(client, operator, trail):
    client.get(EXPORT, {"at_from": "2026-05-02", "q": "李四"})

    exported = AuditEvent.objects.get(action=A.EXPORT_AUDIT)
    assert (exported.actor, exported.result) == (operator, "success")
    assert exported.detail == "条数：1；筛选条件：时间范围：2026-05-02 至 不限；搜索：李四"
    assert exported.get_action_display() == "导出审计记录"


def test_an_export_over_the_cap_is_refused_with_the_count(client, operator, trail, settings):
    settings.EXPORT_MAX_ROWS = 1
    params = {"object_type": "experts.expertapplication"}

    response = client.get(EXPORT, params, follow=True)

    assert response.redirect_chain == [(f"{CHANGELIST}?object_type=experts.expertapplication", 302)]
    assert "符合条件的审计记录共2条，超过单次导出上限1条，未导出。" in response.content.decode()
    assert not AuditEvent.objects.filter(action=A.EXPORT_AUDIT).exists()
    assert client.get(EXPORT, {"object": "张三"}).status_code == 200  # within the cap


def test_only_superusers_and_holders_of_the_permission_export(client, trail):
    auditor = User.objects.create_user("auditor", password=factories.PASSWORD, is_staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client.force_login(auditor)

    assert "导出Excel" not in client.get(CHANGELIST).content.decode()
    assert client.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action=A.EXPORT_AUDIT).exists()

    auditor.user_permissions.add(Permission.objects.get(codename="export_auditevent"))
    auditor = User.objects.get(pk=auditor.pk)  # its permissions, read afresh
    client.force_login(auditor)
    assert "导出Excel" in client.get(CHANGELIST).content.decode()
    assert sheet(client.get(EXPORT))
    assert Permission.objects.get(codename="export_auditevent").name == "可导出审计记录"


def test_the_list_says_failed_in_the_action_column_only_when_the_action_does_not(client, operator):
    """结果 is not a column of its own (it took the width that keeps IP地址 on screen): a
    failure reads 状态变更（失败）; 登录失败 says it already; a success adds nothing."""
    for action, result in [
        (A.TRANSITION, AuditEvent.Result.FAILURE),
        (A.LOGIN_FAILED, AuditEvent.Result.FAILURE),
        (A.LOGIN, AuditEvent.Result.SUCCESS),
    ]:
        AuditEvent.objects.create(action=action, result=result, username="zz-tester")

    page = client.get(CHANGELIST).content.decode()
    cells = [
        cell.split(">", 1)[1].split("<", 1)[0]
        for cell in client.get(CHANGELIST)
        .content.decode()
        .split('class="field-action_and_result')[1:]
    ]

    # The newest rows first (the operator's own login rows are older).
    assert cells[:3] == ["登录成功", "登录失败", "状态变更（失败）"]
    assert "column-result" not in page
