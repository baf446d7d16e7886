"""打印抽取记录: a draw's whole record on a print-friendly page, to sign and file (归档, 纪检监察
监督人): the bureau's alone, voided draws included, audited, and no 证件号码 or 手机."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from draws import services
from draws.models import Event, Pick, Round
from draws.rules import Criteria
from experts.choices import TitleLevel
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from portal.templating import minutes, mobile
from tests import factories
from tests.draws.test_draws import expert

pytestmark = pytest.mark.django_db


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


def make(reviewer, *asks, criteria=None) -> "services.Draw":
    return services.make_draw(
        reviewer,
        project_name="智能制造专项评审",
        review_at=factories.review_day(),
        review_place="市科技局三楼会议室",
        criteria=criteria or Criteria(),
        asks=[
            services.QuotaAsk(discipline, count, reserves) for discipline, count, reserves in asks
        ],
    )


def picks(draw, role=None) -> list[Pick]:
    chosen = Pick.objects.filter(draw=draw).select_related("application__user")
    if role is not None:
        chosen = chosen.filter(role=role)
    return list(chosen.order_by("created_at", "pk"))


def cells(html: str, testid: str) -> list[list[str]]:
    """The rows of the table `testid`, each as its cells' text (a cell's lines, its <div>s,
    joined by |)."""
    found = re.search(rf'data-testid="{testid}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert found is not None, testid
    return [
        [
            "|".join(
                part.strip()
                for part in re.sub(r"<[^>]+>", "", re.sub(r"</?div[^>]*>", "\n", cell)).split("\n")
                if part.strip()
            )
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    ]


def said(html: str, label: str) -> str:
    """The <dd> beside the <dt> `label`."""
    found = re.search(rf"<dt[^>]*>{label}</dt><dd[^>]*>(.*?)</dd>", html, re.S)
    assert found is not None, label
    return found.group(1).strip()


def at(event_action, application_id) -> str:
    event = Event.objects.get(action=event_action, application_id=application_id)
    return f"{event.get_action_display()} {minutes(event.created_at)}"


def test_the_record_shows_the_draw_its_rules_each_round_and_each_answer(
    reviewing, reviewer, unit, other_unit, field
):
    """A draw whose first two declined: one place filled by its 备选 (递补), the other by a
    补抽; each round with its seed, each expert as drawn with their answer and its time."""
    for _ in range(5):
        expert(unit)
    expert(other_unit)  # of a 回避单位: never drawn
    criteria = Criteria(
        avoid_unit_ids=(other_unit.pk,),
        avoid_unit_names=(other_unit.name,),
        avoid_expert_names=("王回避",),
        cooldown_days=30,
        yearly_cap=3,
        min_title_level=TitleLevel.ASSOCIATE,
    )
    draw = make(reviewer, (field, 2, 1), criteria=criteria)
    first, second = picks(draw, Pick.Role.MEMBER)
    (reserve,) = picks(draw, Pick.Role.RESERVE)
    quota = draw.quota_set.get()
    services.answer(reviewer, draw, first.application_id, Event.Action.DECLINE, "出差")
    called = services.call_reserve(reviewer, draw, quota).member
    services.answer(reviewer, draw, second.application_id, Event.Action.DECLINE, "身体原因")
    fresh = services.redraw(reviewer, draw, quota)
    (late,) = picks(draw, Pick.Role.MEMBER)[3:]
    services.notify(reviewer, draw)
    services.answer(reviewer, draw, reserve.application_id, Event.Action.CONFIRM)
    first_round = Round.objects.get(quota=quota, number=1)

    page = reviewing.get(reverse("draws:record", args=[draw.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert '<h1 class="h4 text-center mb-3">专家抽取记录表</h1>' in html
    assert said(html, "抽取编号") == str(draw.pk)
    assert said(html, "项目名称") == "智能制造专项评审"
    assert said(html, "评审时间") == minutes(draw.review_at)
    assert said(html, "评审地点") == "市科技局三楼会议室"
    assert said(html, "抽取人") == reviewer.username
    assert said(html, "抽取时间") == minutes(draw.created_at)
    # The rules as the record keeps them, said as the record's page says them.
    assert said(html, "回避单位") == other_unit.name
    assert said(html, "回避专家") == "王回避"
    assert said(html, "职称级别要求") == "副高级及以上"
    assert said(html, "冷却期 / 每年上限") == "30天 / 3次"
    assert said(html, "单位性质") == said(html, "所在区") == said(html, "年龄段") == "不限"
    # Each round's quota, eligible count, seed and digest, and how to check them.
    assert cells(html, "record-quotas") == [
        [
            field.name,
            "2",
            "1",
            f"第1轮|轮次编号 {first_round.pk}",
            "5",
            f"种子 {first_round.seed}|摘要 {first_round.eligible_hash}",
        ],
        [
            f"第2轮（补抽）|轮次编号 {fresh.pk}",
            "2",
            f"种子 {fresh.seed}|摘要 {fresh.eligible_hash}",
        ],
    ]
    verify = re.search(r'data-testid="record-verify">(.*?)</p>', html, re.S).group(1)
    assert "点击“复核”" in verify
    assert f"<code>python manage.py verify_draw {draw.pk}</code>" in verify
    # Every expert each round chose, as drawn, with the answer and each step's time.
    assert cells(html, f"record-round-{first_round.pk}") == [
        [
            "1",
            "抽中",
            first.expert_name,
            first.unit_name,
            first.title,
            "不参加|理由：出差",
            at(Event.Action.DECLINE, first.application_id),
        ],
        [
            "2",
            "抽中",
            second.expert_name,
            second.unit_name,
            second.title,
            "不参加|理由：身体原因",
            at(Event.Action.DECLINE, second.application_id),
        ],
        [
            "1",
            "备选|已递补为第3位",
            called.expert_name,
            called.unit_name,
            called.title,
            "确认参加|已短信通知",
            "|".join(
                at(action, reserve.application_id)
                for action in (Event.Action.CALL, Event.Action.NOTIFY, Event.Action.CONFIRM)
            ),
        ],
    ]
    assert cells(html, f"record-round-{fresh.pk}") == [
        [
            "4",
            "补抽",
            late.expert_name,
            late.unit_name,
            late.title,
            "待确认|已短信通知",
            at(Event.Action.NOTIFY, late.application_id),
        ],
    ]
    assert html.index(f"record-round-{first_round.pk}") < html.index(f"record-round-{fresh.pk}")
    caption = re.search(
        rf'data-testid="record-round-{fresh.pk}">\s*<caption[^>]*>(.*?)</caption>', html, re.S
    ).group(1)
    assert re.sub(r"<[^>]+>", "", caption) == (
        f"{field.name} · 第2轮（补抽）：{minutes(fresh.created_at)}，抽取人 {reviewer.username}，"
        "符合条件 2 人"
    )
    log = re.sub(r"<[^>]+>", "", html[html.index('data-testid="record-log"') :].split("</ol>")[0])
    assert f"{reviewer.username} 按原条件重新抽取（{field.name}，第2轮）" in log
    assert f"不参加：{first.expert_name}（出差）" in log
    # Lines to sign, and when it was printed; a 打印 button (portal.js), and words without it.
    foot = html[html.index('data-testid="record-sign">') :].split("</p>")[0]
    assert re.fullmatch(
        r"经办人（签字）：监督人（签字）：日期：打印时间：\d{4}-\d\d-\d\d\d\d:\d\d（.*）。.*",
        re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", foot.split(">", 1)[1])),
    )
    assert re.search(r'<button type="button"[^>]*data-print hidden>打印</button>', html)
    assert "也可使用浏览器的“打印”功能（Ctrl+P）" in html
    assert "已作废" not in html


def test_the_record_page_links_its_printed_record_beside_the_sheet(
    reviewing, reviewer, unit, field
):
    expert(unit)
    draw = make(reviewer, (field, 1, 0))
    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    sheet = f'href="{reverse("draws:sheet", args=[draw.pk])}">打印签到表</a>'
    printed = f'href="{reverse("draws:record", args=[draw.pk])}">打印抽取记录</a>'
    assert page.index(sheet) < page.index(printed)


def test_a_reserve_passed_over_by_the_call_says_why(reviewing, reviewer, unit, field):
    """跳过备选: the 备选 递补 passed over is on the record with the rule that refused them."""
    for _ in range(3):
        expert(unit)
    draw = make(reviewer, (field, 1, 2))
    (member,) = picks(draw, Pick.Role.MEMBER)
    skipped, taken = picks(draw, Pick.Role.RESERVE)
    services.answer(reviewer, draw, member.application_id, Event.Action.DECLINE, "出差")
    ExpertApplication.objects.filter(pk=skipped.application_id).update(
        status=ApplicationStatus.FROZEN
    )
    services.call_reserve(reviewer, draw, draw.quota_set.get())

    html = reviewing.get(reverse("draws:record", args=[draw.pk])).content.decode()

    (round_,) = Round.objects.filter(quota__draw=draw)
    rows = cells(html, f"record-round-{round_.pk}")
    assert [row[:3] for row in rows] == [
        ["1", "抽中", member.expert_name],
        ["1", "备选", skipped.expert_name],
        ["2", "备选|已递补为第2位", taken.expert_name],
    ]
    assert rows[1][5:] == [
        "未递补|递补时跳过：专家资格已冻结",
        at(Event.Action.SKIP, skipped.application_id),
    ]


def test_a_voided_draws_record_still_prints_under_its_void_box(reviewing, reviewer, unit, field):
    """The archive keeps a 作废 draw's record: every expert still listed, each place 已取消,
    under the 已作废 box (when, who, why); printable, and its showing audited."""
    for _ in range(3):
        expert(unit)
    draw = make(reviewer, (field, 2, 1))
    first, second = picks(draw, Pick.Role.MEMBER)
    (reserve,) = picks(draw, Pick.Role.RESERVE)
    services.answer(reviewer, draw, first.application_id, Event.Action.CONFIRM)
    services.answer(reviewer, draw, second.application_id, Event.Action.DECLINE, "出差")
    services.notify(reviewer, draw)
    services.void(reviewer, draw, "项目名称填错")
    draw.refresh_from_db()

    page = reviewing.get(reverse("draws:record", args=[draw.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    void_box = html.index('data-testid="record-void"')
    assert void_box < html.index("专家抽取记录表（已作废）</h1>")
    box = re.sub(r"<[^>]+>", "", html[void_box:].split("</div>")[0])
    assert "已作废" in box
    assert f"本次抽取已于 {minutes(draw.void.created_at)} 由{reviewer.username}作废" in box
    assert "理由：项目名称填错。" in box
    assert "以下专家均无需参加评审。本表仅供归档备查，不是评审专家名单。" in box
    (round_,) = Round.objects.filter(quota__draw=draw)
    assert [row[2:] for row in cells(html, f"record-round-{round_.pk}")] == [
        [
            first.expert_name,
            first.unit_name,
            first.title,
            "已取消（原为确认参加，已短信通知取消）",  # as its export says
            "|".join(
                at(action, first.application_id)
                for action in (Event.Action.CONFIRM, Event.Action.NOTIFY)
            ),
        ],
        [
            second.expert_name,
            second.unit_name,
            second.title,
            "不参加|理由：出差",
            at(Event.Action.DECLINE, second.application_id),
        ],
        [reserve.expert_name, reserve.unit_name, reserve.title, "已取消（未递补）", "—"],
    ]
    assert re.search(r'<button type="button"[^>]*data-print hidden>打印</button>', html)
    assert "经办人（签字）" in html and "监督人（签字）" in html
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_id=str(draw.pk))


def test_each_showing_is_audited_as_the_sheets_is(reviewing, reviewer, unit, field):
    for _ in range(3):
        expert(unit)
    draw = make(reviewer, (field, 2, 1))
    reviewing.get(reverse("draws:record", args=[draw.pk]))
    reviewing.get(reverse("draws:record", args=[draw.pk]))
    events = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    assert events.count() == 2
    event = events.first()
    assert (event.object_type, event.object_id) == ("draws.draw", str(draw.pk))
    assert event.actor == reviewer
    assert event.detail == f"打印抽取记录：抽取记录：{draw.pk}；人数：3；不含证件号码和联系方式"


def test_no_id_number_mobile_or_bank_account_is_printed(reviewing, reviewer, unit, field):
    for _ in range(4):
        expert(unit)
    draw = make(reviewer, (field, 2, 2))
    services.notify(reviewer, draw)
    html = reviewing.get(reverse("draws:record", args=[draw.pk])).content.decode()
    chosen = picks(draw)
    assert len(chosen) == 4
    for pick in chosen:
        assert pick.expert_name in html  # the experts are there…
        user, application = pick.application.user, pick.application
        for number in (user.id_number, user.mobile, user.mobile[-11:], mobile(user.mobile)):
            assert number not in html  # …and none of their numbers
        assert application.bank_account not in html
    record = html[html.index('<div class="draw-record">') : html.index("<footer")]
    assert "tel:" not in record and "手机" not in record and "证件号码：" not in record


def test_units_and_experts_get_for_the_printed_record_what_they_get_for_the_record(
    client, reviewer, unit, field
):
    drawn = expert(unit)
    draw = make(reviewer, (field, 1, 0))
    for user in (factories.unit_account(unit), drawn.user):
        client.force_login(user)
        detail = client.get(reverse("draws:detail", args=[draw.pk]))
        printed = client.get(reverse("draws:record", args=[draw.pk]))
        assert detail.status_code == 403
        assert (printed.status_code, printed.get("Location")) == (
            detail.status_code,
            detail.get("Location"),
        )
    client.force_login(reviewer)
    assert client.get(reverse("draws:record", args=[draw.pk + 1000])).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_printed_record_reads_the_same_queries_for_two_picks_or_ten(
    reviewing, reviewer, unit, field
):
    """Each with a 不参加, a 补抽 round, a 确认参加 and a 短信通知: the steps too are read
    whole, not per expert."""
    for _ in range(10):
        expert(unit)
    counts = []
    for count, reserves, size in ((1, 0, 2), (8, 1, 10)):
        draw = make(reviewer, (field, count, reserves))
        members = picks(draw, Pick.Role.MEMBER)
        services.answer(reviewer, draw, members[0].application_id, Event.Action.DECLINE, "出差")
        services.redraw(reviewer, draw, draw.quota_set.get())
        services.notify(reviewer, draw)
        services.answer(reviewer, draw, picks(draw)[-1].application_id, Event.Action.CONFIRM)
        assert len(picks(draw)) == size
        with CaptureQueriesContext(connection) as queries:
            assert reviewing.get(reverse("draws:record", args=[draw.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
