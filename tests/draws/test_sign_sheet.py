"""签到表: a draw's panel as it stands on a print-friendly page, the bureau's alone, audited."""

import datetime
import re

import pgtrigger
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from draws import services
from draws.models import Draw, Event, Pick
from draws.rules import Criteria
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from portal.templating import minutes, mobile
from tests import factories
from tests.draws.test_draws import expert

pytestmark = pytest.mark.django_db


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


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


def test_a_voided_draws_sheet_lists_nobody_and_says_why(reviewing, reviewer, unit, field):
    """A 作废 draw called nobody: no table of names and no 签名 column, on screen or on paper;
    the 已作废 box (when, who, why), that the sheet is not to be used, and the way back."""
    for _ in range(3):
        expert(unit)
    draw = make(reviewer, (field, 3, 0))
    first, *_ = members(draw)
    services.answer(reviewer, draw, first.application_id, Event.Action.CONFIRM)
    services.void(reviewer, draw, "项目名称填错")
    draw.refresh_from_db()
    page = reviewing.get(reverse("draws:sheet", args=[draw.pk]))
    text = page.content.decode()

    assert page.status_code == 200
    void_box = text.index('data-testid="sheet-void"')
    assert void_box < text.index("评审专家签到表（已作废）")
    said = re.sub(r"<[^>]+>", "", text[void_box:].split("</div>")[0])
    actor = reviewer.real_name or reviewer.username
    assert f"本次抽取已于 {minutes(draw.void.created_at)} 由{actor}作废" in said
    assert "理由：项目名称填错。" in said
    assert "本次抽取已作废，未请任何专家参加评审，没有签到表，请勿据此签到。" in said
    assert "<table" not in text and "签名" not in text
    for pick in members(draw):
        assert pick.expert_name not in text
    assert 'data-testid="sheet-note"' not in text
    assert "data-print" not in text  # nothing to print
    assert f'href="{reverse("draws:detail", args=[draw.pk])}">返回抽取记录</a>' in text
    # Nothing of the panel left the portal: no 导出 recorded.
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_member_no_longer_approved_is_left_off_and_counted(reviewing, reviewer, unit, field):
    """Frozen, leaving or 出库 since the draw: not under 确认参加 nor 待确认, and the note says
    how many and what to do."""
    for _ in range(5):
        expert(unit)
    draw = make(reviewer, (field, 5, 0))
    first, second, third, fourth, fifth = members(draw)
    services.answer(reviewer, draw, first.application_id, Event.Action.CONFIRM)
    services.answer(reviewer, draw, second.application_id, Event.Action.CONFIRM)
    services.answer(reviewer, draw, fifth.application_id, Event.Action.DECLINE, "出差")
    for pick, status in (
        (second, ApplicationStatus.FROZEN),
        (third, ApplicationStatus.EXITED),
        (fifth, ApplicationStatus.EXIT_PENDING),  # declined already: counted as 不参加
    ):
        ExpertApplication.objects.filter(pk=pick.application_id).update(status=status)

    page = reviewing.get(reverse("draws:sheet", args=[draw.pk]))
    text = page.content.decode()

    assert [row[1] for row in table(page, "sheet-confirmed")] == [first.expert_name]
    assert [row[1] for row in table(page, "sheet-pending")] == [fourth.expert_name]
    for gone in (second, third, fifth):
        assert gone.expert_name not in text
    assert (
        "确认参加的专家 1 人；另有 1 人尚未确认参加，列于第二张表；不参加的 1 人未列入；"
        "2 人已冻结或已不在专家库，未列入，请记录其不参加并递补或补抽。"
    ) in text
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert "人数：2；" in event.detail


def test_after_the_review_the_sheet_is_the_panel_that_sat(reviewing, reviewer, unit, field):
    """Frozen since a review held weeks ago: still on its sheet (the record of who sat), and
    no note asks to fill a place at a review that is over."""
    for _ in range(2):
        expert(unit)
    draw = make(reviewer, (field, 2, 0))
    first, second = members(draw)
    for pick in (first, second):
        services.answer(reviewer, draw, pick.application_id, Event.Action.CONFIRM)
    with pgtrigger.ignore("draws.Draw:draw_no_update"):  # the record is append-only
        Draw.objects.filter(pk=draw.pk).update(
            review_at=timezone.now() - datetime.timedelta(days=20)
        )
    ExpertApplication.objects.filter(pk=second.application_id).update(
        status=ApplicationStatus.FROZEN
    )

    page = reviewing.get(reverse("draws:sheet", args=[draw.pk]))

    confirmed = [row[1] for row in table(page, "sheet-confirmed")]
    assert confirmed == [first.expert_name, second.expert_name]
    assert "补抽" not in page.content.decode()
    assert "人数：2；" in AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).detail


def test_the_sheets_tables_scroll_as_a_named_region_and_print_whole(reviewing, reviewer, unit):
    """A table wider than a phone scrolls sideways: a keyboard reaches it and a screen reader
    names it, as the portal's other such tables; on paper the scroller clips nothing."""
    expert(unit)
    draw = make(reviewer, (Discipline.objects.get(code="01"), 1, 0))
    text = reviewing.get(reverse("draws:sheet", args=[draw.pk])).content.decode()
    assert (
        '<div class="table-responsive" tabindex="0" role="region" '
        'aria-label="尚未确认参加的专家（待确认）">'
    ) in text
    css = (settings.BASE_DIR / "static" / "css" / "portal.css").read_text()
    printing = css[css.index("签到表 (draws' sign-in sheet") :]
    printing = printing[printing.index("@media print") :].split("\n}\n")[0]
    assert ".sign-sheet .table-responsive { overflow: visible; }" in printing


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
