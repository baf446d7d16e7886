"""The draw record as an auditor reads it: every step in the audit trail, tables that nothing
empties, the 复核 of one round or a void draw, and names as they were when drawn."""

import datetime
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import role_label
from audit.models import AuditEvent
from draws import services
from draws.models import Draw, Event, Pick, Quota, Round, Void
from tests import factories
from tests.draws.test_draws import expert, form_data, make, members_of, quota, sheet_rows

pytestmark = pytest.mark.django_db

DRAW_TABLES = [model._meta.db_table for model in (Draw, Quota, Round, Pick, Event, Void)]


@pytest.fixture
def field(db):
    from experts.models import Discipline

    return Discipline.objects.get(code="01")


@pytest.fixture
def pool(unit, other_unit):
    return [expert(unit) for _ in range(4)] + [expert(other_unit) for _ in range(2)]


# Nothing empties the record ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("table", DRAW_TABLES)
def test_the_database_refuses_to_truncate_a_draw_table(reviewer, pool, field, table):
    """Auditor's walk: `TRUNCATE draws_event;` emptied the record, which the README calls
    append-only as the audit trail is."""
    draw = make(reviewer, field, 2)
    services.answer(reviewer, draw, members_of(draw)[0], Event.Action.CONFIRM)
    services.void(reviewer, draw, "录入错误")
    with connection.cursor() as cursor:
        # The inserts' deferred foreign-key checks would refuse a TRUNCATE in this transaction
        # by themselves; checked now, they leave the trigger to do the refusing.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # CASCADE: a table others refer to refuses a plain TRUNCATE by its foreign keys already.
    refused = pytest.raises(DatabaseError, match="Cannot truncate draws_")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Draw.objects.filter(pk=draw.pk).exists()
    assert Event.objects.filter(draw=draw).count() == 1 and Void.objects.filter(draw=draw).exists()


# Every step in the audit trail ------------------------------------------------------------------

ADDRESS = "192.0.2.7"


def draw_rows(draw) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.DRAW, object_type="draws.draw", object_id=str(draw.pk)
        ).order_by("at", "pk")
    )


def named(pk) -> str:
    from experts.models import ExpertApplication

    return f"{ExpertApplication.objects.get(pk=pk).user.real_name}（专家编号 {pk}）"


def test_every_step_on_a_draw_writes_its_audit_row_and_its_shipped_line(
    client, reviewer, pool, field, caplog, django_capture_on_commit_callbacks
):
    """Auditor's walk: making a draw, each answer, 递补, 补抽, 短信通知 and 作废 wrote no audit
    row, so an Event inserted by hand had nothing outside the draw's tables to contradict it.
    Each step now writes one (one per expert texted, as one Event is), with who, in which role,
    from where, and the step and the expert in 说明; each is also shipped as a JSON line."""
    caplog.set_level("INFO", logger="portal.audit")
    client.force_login(reviewer)
    post = lambda name, data=None, *args: client.post(  # noqa: E731
        reverse(name, args=args), data or {}, REMOTE_ADDR=ADDRESS
    )
    data = form_data(**quota(0, field, 2, 1))
    with django_capture_on_commit_callbacks(execute=True):
        confirm = post("draws:new", data).content.decode()
        token = re.search(r'name="token" value="([0-9a-f]{32})"', confirm).group(1)
        post("draws:new", {**data, "confirmed": "1", "token": token})
        draw = Draw.objects.get()
        drawn = Round.objects.get(quota__draw=draw)
        first, second = members_of(draw)
        reserve = drawn.picked_ids[2]
        post("draws:answer", {"application": first, "action": "confirm"}, draw.pk)
        post(
            "draws:answer", {"application": second, "action": "decline", "reason": "出差"}, draw.pk
        )
        post("draws:fill", {"how": "reserve"}, draw.pk, 1)
        post(
            "draws:answer", {"application": reserve, "action": "decline", "reason": "回避"}, draw.pk
        )
        post("draws:fill", {"how": "fresh"}, draw.pk, 1)
        fresh = Round.objects.get(quota__draw=draw, number=2)
        post("draws:notify", {}, draw.pk)
        post("draws:void", {"reason": "项目名称填错"}, draw.pk)

    rows = draw_rows(draw)
    [newcomer] = fresh.picked_ids
    assert [row.detail for row in rows] == [
        "抽取：电子信息抽中2人、备选1人（符合条件6人）",
        f"确认参加：{named(first)}",
        f"不参加：{named(second)}；理由：出差",
        f"递补：{named(reserve)}，电子信息第3位",
        f"不参加：{named(reserve)}；理由：回避",
        f"补抽：电子信息第2轮（符合条件3人），抽中{named(newcomer)}",
        f"短信通知：{named(first)}",
        f"短信通知：{named(newcomer)}",
        "作废：理由：项目名称填错；短信通知取消2人",
    ]
    for row in rows:
        assert (row.actor, row.username, row.role) == (
            reviewer,
            reviewer.username,
            role_label(reviewer),
        )
        assert (row.ip, row.result, row.object_repr) == (ADDRESS, "success", str(draw))
    # One row per step the record holds (the draw, each event, the fresh round, the void): a
    # row slipped into the draw's tables by hand is the one without its audit row.
    steps = 1 + Event.objects.filter(draw=draw).count() + 1 + Void.objects.filter(draw=draw).count()
    assert len(rows) == steps
    shipped = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.audit"]
    mine = [line for line in shipped if line["object"] == f"draws.draw:{draw.pk}"]
    assert [line["detail"] for line in mine] == [row.detail for row in rows]
    assert {(line["action"], line["ip"], line["user"]) for line in mine} == {
        ("draw", ADDRESS, reviewer.username)
    }


def test_a_refused_step_writes_no_audit_row(reviewer, pool, field):
    draw = make(reviewer, field, 2)
    second = members_of(draw)[1]
    before = len(draw_rows(draw))
    with pytest.raises(services.ReasonNeeded):
        services.answer(reviewer, draw, second, Event.Action.DECLINE, "  ")
    with pytest.raises(services.DrawError):
        services.redraw(reviewer, draw, draw.quota_set.get())  # no open place
    with pytest.raises(services.DrawError):
        services.void(reviewer, draw, " ")
    assert len(draw_rows(draw)) == before == 1


def test_a_step_rolled_back_leaves_no_audit_row(reviewer, pool, field):
    """Written in the step's own transaction: what rolls back with the step leaves no row."""
    draw = make(reviewer, field, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.answer(reviewer, draw, members_of(draw)[0], Event.Action.CONFIRM)
        services.void(reviewer, draw, "录入错误")
        raise RuntimeError("the steps roll back")
    assert [row.detail for row in draw_rows(draw)] == [
        "抽取：电子信息抽中2人、备选0人（符合条件6人）"
    ]


def test_a_draw_refused_for_a_short_quota_writes_no_audit_row(reviewer, pool, field, unit):
    other = expert(unit, code="02")
    from experts.models import Discipline

    asks = [
        services.QuotaAsk(field, 2, 0),
        services.QuotaAsk(Discipline.objects.get(code="02"), 2, 0),
    ]
    with pytest.raises(services.NotEnough):
        services.make_draw(
            reviewer,
            project_name="项目",
            review_at=timezone.now() + datetime.timedelta(days=3),
            review_place="会议室",
            criteria=services.Criteria(),
            asks=asks,
        )
    assert other.pk and not AuditEvent.objects.filter(action=AuditEvent.Action.DRAW).exists()


# The 复核 of one round, and of a void draw -----------------------------------------------------


def two_rounds(reviewer, field) -> tuple[Draw, Round, Round]:
    draw = make(reviewer, field, 2)
    services.answer(reviewer, draw, members_of(draw)[0], Event.Action.DECLINE, "出差")
    services.redraw(reviewer, draw, draw.quota_set.get())
    first, second = Round.objects.filter(quota__draw=draw).order_by("number")
    return draw, first, second


def test_verify_draw_with_round_alone_checks_that_round_only(reviewer, pool, field):
    """The 复核 page says 只复核一轮时加 --round 轮次编号; `--round` alone used to be ignored
    and every round checked."""
    draw, first, second = two_rounds(reviewer, field)
    out = io.StringIO()

    call_command("verify_draw", draw.pk, "--round", second.pk, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == [
        f"电子信息 第2轮（轮次 {second.pk}）：一致；种子 {second.seed}；符合条件 "
        f"{second.eligible_count} 人，摘要相符；记录 {second.picked_ids}；重算 {second.picked_ids}",
        f"抽取记录 {draw.pk} 轮次 {second.pk} 复核一致。",
    ]
    # With --seed, that round alone with the other seed; another draw's round is refused.
    tampered = factories.seed_that_changes(first)
    with pytest.raises(CommandError, match=f"抽取记录 {draw.pk} 轮次 {first.pk} 复核不一致"):
        call_command("verify_draw", draw.pk, "--round", first.pk, "--seed", tampered, stdout=out)
    other = make(reviewer, field, 1)
    with pytest.raises(CommandError, match=f"轮次 {first.pk} 不属于抽取记录 {other.pk}"):
        call_command("verify_draw", other.pk, "--round", first.pk)
    page = verify_page(reviewer, draw)
    assert "只复核一轮时加 <code>--round 轮次编号</code>" in page


def verify_page(reviewer, draw) -> str:
    from django.test import Client

    client = Client()
    client.force_login(reviewer)
    return client.get(reverse("draws:verify", args=[draw.pk])).content.decode()


def test_verify_draw_says_a_void_draw_was_voided_by_whom_when_and_why(reviewer, pool, field):
    reviewer.real_name = "钱审核"
    reviewer.save(update_fields=["real_name"])
    draw = make(reviewer, field, 2)
    services.void(reviewer, draw, "项目名称填错")
    voided = Void.objects.get(draw=draw)
    out = io.StringIO()

    call_command("verify_draw", draw.pk, stdout=out)

    lines = out.getvalue().splitlines()
    when = f"{timezone.localtime(voided.created_at):%Y-%m-%d %H:%M}"
    assert lines[0] == (f"抽取记录 {draw.pk} 已作废：{when} 由 钱审核 作废，理由：项目名称填错")
    assert lines[-1] == f"抽取记录 {draw.pk} 复核一致（该抽取已作废）。"
    page = verify_page(reviewer, draw)
    assert "由钱审核作废，理由：项目名称填错。以下复核的是作废前的抽取结果" in page


# Names as drawn --------------------------------------------------------------------------------


def test_a_renamed_field_expert_or_unit_leaves_the_record_as_drawn(client, reviewer, pool, field):
    """Auditor's walk: renaming a 专业领域 in admin changed an old draw's record to the new name,
    and expert names were today's too. The record, its 复核 and its export show the names as
    drawn (today's, where they differ, beside them on the record)."""
    draw = make(reviewer, field, 2, reserves=1)
    first = members_of(draw)[0]
    services.answer(reviewer, draw, first, Event.Action.CONFIRM)
    chosen = Pick.objects.get(draw=draw, application_id=first)
    old_name, old_unit = chosen.expert_name, chosen.unit_name
    assert (old_name, old_unit) == (chosen.application.user.real_name, chosen.application.unit.name)
    field.name = "改名后的领域"
    field.save()
    user = chosen.application.user
    user.real_name = "改名后的专家"
    user.save()
    moved_to = factories.make_unit()
    type(chosen.application).objects.filter(pk=first).update(unit=moved_to)
    client.force_login(reviewer)

    page = client.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    assert "电子信息：抽取 2 人，备选 1 人" in page and "改名后的领域" not in page
    assert f'<span class="text-nowrap">{old_name}</span>' in page
    assert "现名：改名后的专家" in page and f"现单位：{moved_to.name}" in page
    assert f"确认参加：{old_name}" in page  # the log
    verify = client.get(reverse("draws:verify", args=[draw.pk])).content.decode()
    assert "电子信息 · 第1轮" in verify and "改名后的" not in verify
    assert f'{old_name}<span class="text-body-secondary">（{first}）</span>' in verify
    out = io.StringIO()
    call_command("verify_draw", draw.pk, stdout=out)
    assert out.getvalue().startswith("电子信息 第1轮")

    rows = sheet_rows(client.post(reverse("draws:export", args=[draw.pk]), {}))
    header = rows.index(next(row for row in rows if row and row[0] == "抽取领域"))
    assert rows[header][:6] == ("抽取领域", "身份", "序号", "状态", "抽取时姓名", "抽取时工作单位")
    titles = {row[0]: row[1] for row in rows[:header] if row and row[0]}
    assert "抽取名额：电子信息" in titles
    body = rows[header + 1 :]
    assert {row[0] for row in body} == {"电子信息"}
    assert body[0][4:6] == (old_name, old_unit)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_existing_rows_from_current_values(reference_data):
    """draws 0005 adds the names as drawn; rows from before it are filled with today's values,
    past the tables' UPDATE triggers (ignored in that migration only)."""
    from experts.models import Discipline

    reviewer = factories.make_reviewer()
    unit = factories.make_unit()
    field = Discipline.objects.get(code="01")
    chosen = expert(unit)
    draw = make(reviewer, field, 1)
    try:
        call_command("migrate", "draws", "0004", verbosity=0)
        field.name = "升级前改名的领域"
        field.save()
        call_command("migrate", "draws", verbosity=0)
        quota, pick = Quota.objects.get(draw=draw), Pick.objects.get(draw=draw)
        assert quota.discipline_name == "升级前改名的领域"
        assert (pick.expert_name, pick.unit_name) == (chosen.user.real_name, unit.name)
        assert pick.title == chosen.title
        # The triggers are back on: nothing else may change the rows.
        with pytest.raises(DatabaseError), transaction.atomic():
            Quota.objects.filter(pk=quota.pk).update(discipline_name="事后改写")
    finally:
        call_command("migrate", verbosity=0)


# Admin: the whole record, read-only -------------------------------------------------------------


@pytest.fixture
def operator(client):
    from accounts.models import User

    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


def test_admin_shows_a_whole_draw_read_only(client, operator, reviewer, pool, field):
    """Auditor's walk: the Draw change page showed 项目名称, 评审时间, 地点 and 抽取人 only."""
    from draws.rules import Criteria

    draw = make(reviewer, field, 2, reserves=1, criteria=Criteria(cooldown_days=30))
    second = members_of(draw)[1]
    services.answer(reviewer, draw, second, Event.Action.DECLINE, "出差开会")
    services.void(reviewer, draw, "项目名称填错")
    drawn = Round.objects.get(quota__draw=draw)

    page = client.get(reverse("admin:draws_draw_change", args=[draw.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "冷却期：30天" in html  # the criteria in words
    assert f"<code>{drawn.seed}</code>" in html
    assert f"<td>{drawn.eligible_count}</td>" in html and "第1轮（编号" in html
    assert f"{timezone.localtime(draw.created_at):%Y-%m-%d %H:%M}" in html  # 抽取时间
    for pick in Pick.objects.filter(draw=draw):
        assert pick.expert_name in html
    assert "出差开会" in html and "不参加" in html  # the events
    assert "作废，理由：项目名称填错" in html
    assert '<input type="submit" value="保存"' not in html
    assert f"?draw={draw.pk}" in html  # to the picks and events of this draw


def test_admin_lists_picks_and_events_by_draw_and_by_name(client, operator, reviewer, pool, field):
    draw, other = make(reviewer, field, 2), make(reviewer, field, 2)
    first = members_of(draw)[0]
    services.answer(reviewer, draw, first, Event.Action.CONFIRM)
    services.answer(reviewer, other, members_of(other)[0], Event.Action.CONFIRM)
    name = Pick.objects.filter(draw=draw, application_id=first).get().expert_name

    for model in ("pick", "event"):
        url = reverse(f"admin:draws_{model}_changelist")
        by_draw = client.get(url, {"draw": draw.pk})
        assert by_draw.status_code == 200
        assert {row.draw_id for row in by_draw.context["cl"].result_list} == {draw.pk}
        assert f"{draw.pk}：{draw}" in by_draw.content.decode()  # the filter names it
        by_name = client.get(url, {"q": name})
        assert {row.application_id for row in by_name.context["cl"].result_list} == {first}
        nothing = client.get(url, {"draw": "x"})
        assert list(nothing.context["cl"].result_list) == []

    # Events by the names as drawn; one about an expert the draw never chose (inserted by hand,
    # as in the auditor's walk) is marked, in admin and on the record.
    stranger = next(p for p in pool if p.pk not in members_of(draw) + members_of(other))
    Event.objects.create(draw=draw, application=stranger, action="confirm", actor=reviewer)
    listed = client.get(reverse("admin:draws_event_changelist"), {"draw": draw.pk})
    marked = f"{stranger.user.real_name}（不是本次抽中的专家）"
    assert f'<td class="field-expert">{name}</td>' in listed.content.decode()
    assert marked in listed.content.decode()
    assert marked in client.get(reverse("admin:draws_draw_change", args=[draw.pk])).content.decode()
    client.force_login(reviewer)
    record = client.get(reverse("draws:detail", args=[draw.pk])).content.decode()
    assert f"确认参加：{marked}" in record


def test_admin_detail_pages_of_picks_events_and_voids_show_their_time(
    client, operator, reviewer, pool, field
):
    draw = make(reviewer, field, 1)
    services.answer(reviewer, draw, members_of(draw)[0], Event.Action.CONFIRM)
    services.void(reviewer, draw, "录入错误")
    for model, label in ((Pick, "时间"), (Event, "时间"), (Void, "作废时间")):
        row = model.objects.filter(draw=draw).first()
        name = f"admin:draws_{model._meta.model_name}_change"
        html = client.get(reverse(name, args=[row.pk])).content.decode()
        assert f"<label>{label}:</label>" in html, model
        shown = timezone.localtime(row.created_at)
        assert f"{shown:%Y}年{shown.month}月{shown.day}日" in html, model
