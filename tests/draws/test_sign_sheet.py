"""签到表: a draw's panel as it stands on a print-friendly page, the bureau's alone, audited."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from draws import services
from draws.models import Event, Pick
from draws.rules import Criteria
from experts.choices import TitleLevel
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from portal.templating import minutes, mobile
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


@pytest.fixture
def reviewing(client, reviewer):
    client.force_login(reviewer)
    return client


def expert(unit, code="01", name=None) -> ExpertApplication:
    application = factories.make_applicant(unit, ApplicationStatus.APPROVED, name=name).application
    application.disciplines.set(Discipline.objects.filter(code=code))
    ExpertApplication.objects.filter(pk=application.pk).update(title_level=TitleLevel.SENIOR)
    return application


def make(reviewer, *asks, project_name="智能制造专项评审") -> "services.Draw":
    return services.make_draw(
        reviewer,
        project_name=project_name,
        review_at=factories.review_day(),
        review_place="市科技局三楼会议室",
        criteria=Criteria(),
        asks=[
            services.QuotaAsk(discipline, count, reserves) for discipline, count, reserves in asks
        ],
    )


def members(draw) -> list[Pick]:
    return list(
        Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER)
        .select_related("application__user")
        .order_by("created_at", "pk")
    )


def table(page, testid: str) -> list[list[str]]:
    """The rows of the sheet's table `testid`, each as its cells' text."""
    html = page.content.decode()
    found = re.search(rf'data-testid="{testid}".*?<tbody>(.*?)</tbody>', html, re.S)
    if found is None:
        return []
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    ]


def test_the_sheet_lists_the_confirmed_then_those_not_yet_confirmed_without_the_declined(
    reviewing, reviewer, unit, other_unit, field
):
    for _ in range(3):
        expert(unit)
    for _ in range(3):
        expert(other_unit)
    draw = make(reviewer, (field, 4, 1))
    first, second, third, fourth = members(draw)
    services.answer(reviewer, draw, first.application_id, Event.Action.CONFIRM)
    services.answer(reviewer, draw, third.application_id, Event.Action.CONFIRM)
    services.answer(reviewer, draw, second.application_id, Event.Action.DECLINE, "出差")
    called = services.call_reserve(reviewer, draw, draw.quota_set.get()).member

    page = reviewing.get(reverse("draws:sheet", args=[draw.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "评审专家签到表" in text
    for label, value in (
        ("项目名称", "智能制造专项评审"),
        ("评审地点", "市科技局三楼会议室"),
        ("抽取编号", str(draw.pk)),
    ):
        assert re.search(rf"<dt[^>]*>{label}</dt><dd[^>]*>{value}</dd>", text)
    assert re.search(rf"<dt[^>]*>评审时间</dt><dd[^>]*>{minutes(draw.review_at)}</dd>", text)
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', text)
    assert heads[:6] == ["序号", "姓名", "工作单位", "职称", "专业领域", "签名"]
    assert table(page, "sheet-confirmed") == [
        ["1", first.expert_name, first.unit_name, first.title, field.name, ""],
        ["2", third.expert_name, third.unit_name, third.title, field.name, ""],
    ]
    assert [row[1] for row in table(page, "sheet-pending")] == [
        fourth.expert_name,
        called.expert_name,
    ]
    assert second.expert_name not in text  # 不参加: left out, and said so
    assert "确认参加的专家 2 人；另有 2 人尚未确认参加，列于第二张表；不参加的 1 人未列入。" in text
    # No 证件号码 and no 手机 of anyone on it (the sheet goes round the review room).
    for pick in members(draw):
        user = pick.application.user
        assert user.id_number not in text and mobile(user.mobile) not in text
    # A 打印 button (window.print, by portal.js), and words for a browser without JavaScript.
    assert re.search(r'<button type="button"[^>]*data-print hidden>打印</button>', text)
    assert "也可使用浏览器的“打印”功能（Ctrl+P）" in text
    assert "已作废" not in text


def test_the_record_page_links_its_sheet(reviewing, reviewer, unit, field):
    expert(unit)
    draw = make(reviewer, (field, 1, 0))
    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    assert f'href="{reverse("draws:sheet", args=[draw.pk])}">打印签到表</a>' in page


def test_the_sheet_is_listed_by_quota_with_each_rows_field(reviewing, reviewer, unit, field):
    other_field = Discipline.objects.get(code="02")
    expert(unit)
    expert(unit, code="02")
    draw = make(reviewer, (field, 1, 0), (other_field, 1, 0))
    page = reviewing.get(reverse("draws:sheet", args=[draw.pk]))
    assert [(row[0], row[4]) for row in table(page, "sheet-pending")] == [
        ("1", field.name),
        ("2", other_field.name),
    ]
    assert table(page, "sheet-confirmed") == []
    assert "尚无专家确认参加。" in page.content.decode()


def test_a_voided_draws_sheet_says_so_first(reviewing, reviewer, unit, field):
    expert(unit)
    draw = make(reviewer, (field, 1, 0))
    services.void(reviewer, draw, "项目名称填错")
    text = reviewing.get(reverse("draws:sheet", args=[draw.pk])).content.decode()
    void_box = text.index('data-testid="sheet-void"')
    assert void_box < text.index("评审专家签到表")
    assert "【已作废】评审专家签到表" in text
    assert "理由：项目名称填错。本表不是评审专家名单，不能用于签到，表中的专家均无需参加。" in text


def test_each_showing_of_the_sheet_is_audited_as_the_export_is(reviewing, reviewer, unit, field):
    expert(unit)
    expert(unit)
    draw = make(reviewer, (field, 2, 0))
    reviewing.get(reverse("draws:sheet", args=[draw.pk]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.object_type, event.object_id) == ("draws.draw", str(draw.pk))
    assert event.actor == reviewer
    assert event.detail == f"打印签到表：抽取记录：{draw.pk}；人数：2；不含证件号码和联系方式"


def test_units_and_experts_get_for_the_sheet_what_they_get_for_the_record(
    client, reviewer, unit, field
):
    drawn = expert(unit)
    draw = make(reviewer, (field, 1, 0))
    for user in (factories.unit_account(unit), drawn.user):
        client.force_login(user)
        record = client.get(reverse("draws:detail", args=[draw.pk]))
        sheet = client.get(reverse("draws:sheet", args=[draw.pk]))
        assert record.status_code != 200
        assert (sheet.status_code, sheet.get("Location")) == (
            record.status_code,
            record.get("Location"),
        )
    client.force_login(reviewer)
    assert client.get(reverse("draws:sheet", args=[draw.pk + 1000])).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_sheet_reads_the_same_queries_for_one_expert_or_five(reviewing, reviewer, unit, field):
    for _ in range(8):
        expert(unit)
    counts = []
    for count in (1, 5):
        draw = make(reviewer, (field, count, 1))
        services.answer(reviewer, draw, members(draw)[0].application_id, Event.Action.CONFIRM)
        with CaptureQueriesContext(connection) as queries:
            assert reviewing.get(reverse("draws:sheet", args=[draw.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
