"""专家抽取 in 统计分析 (draws by month, answers, 不参加 reasons, 递补 and 补抽, the experts drawn
most often) and 本年度抽中次数 on 专家详情: a voided draw is never counted, the range is
respected, units see neither, the yearly number is the yearly cap's, and the queries do not
grow with the draws."""

import collections
import datetime
import io
import re

import openpyxl
import pgtrigger
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from draws import rules, services
from draws import statistics as draw_statistics
from draws.models import Draw, Event, Pick
from draws.rules import Criteria
from tests import factories
from tests.draws.test_draws import expert, members_of

pytestmark = pytest.mark.django_db

# The append-only record's UPDATE triggers (portal.triggers): only to date a draw as if it had
# been made on another day, which the portal itself never does.
BACKDATING = ("draws.Draw:draw_no_update", "draws.Pick:draw_pick_no_update")


def make(reviewer, field, count, reserves=0, criteria=None) -> Draw:
    return services.make_draw(
        reviewer,
        project_name="项目",
        review_at=factories.review_day(),
        review_place="会议室",
        criteria=criteria or Criteria(),
        asks=[services.QuotaAsk(field, count, reserves)],
    )


def made_on(draw: Draw, moment: datetime.datetime) -> None:
    """`draw` and its experts as if drawn at `moment`."""
    with pgtrigger.ignore(*BACKDATING):
        Draw.objects.filter(pk=draw.pk).update(created_at=moment)
        Pick.objects.filter(draw=draw).update(created_at=moment)


def decline(reviewer, draw, application_id, reason="出差"):
    services.answer(reviewer, draw, application_id, Event.Action.DECLINE, reason)


def this_month() -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    return today.replace(day=1), today


def last_year(month=6, day=15) -> datetime.datetime:
    year = timezone.localdate().year - 1
    return timezone.make_aware(datetime.datetime(year, month, day, 10))


@pytest.fixture
def field(db):
    from experts.models import Discipline

    return Discipline.objects.get(code="01")


@pytest.fixture
def pool(unit, other_unit):
    return [expert(unit) for _ in range(6)] + [expert(other_unit) for _ in range(4)]


@pytest.fixture
def record(reviewer, pool, field):
    """Draw A: three drawn and two 备选; one confirms, two decline, one place is filled by 递补
    and the other by 补抽. Draw B: two drawn, one declines. Draw C: two drawn, one declines, then
    作废. Draw D: two drawn, made last year."""
    a = make(reviewer, field, 3, reserves=2)
    first, second, third = members_of(a)
    services.answer(reviewer, a, first, Event.Action.CONFIRM)
    services.answer(reviewer, a, third, Event.Action.CONFIRM)  # confirms, then cannot come
    decline(reviewer, a, second, "出差")
    services.call_reserve(reviewer, a, a.quota_set.get())
    decline(reviewer, a, third, "身体原因")
    services.redraw(reviewer, a, a.quota_set.get())
    b = make(reviewer, field, 2)
    decline(reviewer, b, members_of(b)[0], "出差")
    c = make(reviewer, field, 2)
    decline(reviewer, c, members_of(c)[0], "临时会议")
    services.void(reviewer, c, "项目名称填错")
    d = make(reviewer, field, 2)
    decline(reviewer, d, members_of(d)[0], "去年的理由")
    made_on(d, last_year())
    return {"a": a, "b": b, "c": c, "d": d}


def figures(reviewer, start, end) -> dict:
    result = draw_statistics.collect(reviewer, start, end)
    charts = {chart.key: chart for chart in [result["draw_months"], *result["draw_charts"]]}
    charts["draw_experts"] = result["draw_experts"]
    return charts


def test_the_figures_on_a_known_record(record, reviewer):
    charts = figures(reviewer, *this_month())
    # Two draws this month (C is void, D last year): A's five experts (three drawn, one
    # called up, one drawn again) and B's two.
    assert charts["draw_months"].rows == [(f"{timezone.localdate():%Y-%m}", 2, 7)]
    assert charts["draw_answers"].rows == [("确认参加", 1), ("不参加", 3), ("待确认", 3)]
    # The same text counted together, the most given first; neither C's nor D's.
    assert charts["draw_reasons"].rows == [("出差", 2), ("身体原因", 1)]
    assert charts["draw_replacements"].rows == [("递补", 1), ("补抽", 1)]
    assert "共1轮" in charts["draw_replacements"].counts
    experts = charts["draw_experts"].rows
    counted = collections.Counter(
        Pick.objects.filter(draw__in=[record["a"], record["b"]], role=Pick.Role.MEMBER)
        .values_list("application__user__real_name", flat=True)
        .iterator()
    )
    assert {name: n for name, _, n in experts} == dict(counted)
    assert [n for _, _, n in experts] == sorted((n for _, _, n in experts), reverse=True)
    assert all(unit for _, unit, _ in experts)
    for chart in charts.values():
        assert chart.note == "已作废的抽取不计入。"


def test_a_voided_draw_is_not_counted(reviewer, pool, field):
    draw = make(reviewer, field, 2, reserves=1)
    decline(reviewer, draw, members_of(draw)[0])
    services.void(reviewer, draw, "抽错了")

    charts = figures(reviewer, *this_month())

    assert [row[1:] for row in charts["draw_months"].rows] == [(0, 0)]
    assert [n for _, n in charts["draw_answers"].rows] == [0, 0, 0]
    assert charts["draw_reasons"].rows == []
    assert [n for _, n in charts["draw_replacements"].rows] == [0, 0]
    assert charts["draw_experts"].rows == []


def test_the_range_is_respected(record, reviewer):
    moment = last_year()
    day = moment.date()
    charts = figures(reviewer, day.replace(day=1), day)
    # Only D, made on that day last year.
    assert charts["draw_months"].rows == [(f"{day:%Y-%m}", 1, 2)]
    assert charts["draw_reasons"].rows == [("去年的理由", 1)]
    assert sum(n for _, n in charts["draw_answers"].rows) == 2
    # A year to today counts it with this month's, each in its own month.
    year = figures(reviewer, day.replace(day=1), timezone.localdate())
    months = dict((label, rest) for label, *rest in year["draw_months"].rows)
    assert months[f"{day:%Y-%m}"] == [1, 2]
    assert months[f"{timezone.localdate():%Y-%m}"] == [2, 7]
    assert sum(n for _, _, n in year["draw_experts"].rows) == 9


def test_the_page_shows_each_figure_with_its_table_and_note(client, record, reviewer):
    client.force_login(reviewer)
    start, end = this_month()
    page = client.get(reverse("experts:statistics"), {"start": start, "end": end})
    text = page.content.decode()

    assert page.status_code == 200
    section = text.split('data-testid="draw-figures"')[1].split("</section>")[0]
    assert f'专家抽取<span class="text-nowrap">（{start} 至 {end}）</span>' in section
    for key in ("draw_months", "draw_answers", "draw_reasons", "draw_replacements"):
        assert f'id="chart-{key}"' in section
        assert f'data-testid="note-{key}">注：已作废的抽取不计入。</p>' in section
    # The months' legend names this chart's own series.
    months = section.split('id="chart-draw_months"')[1].split("</figure>")[0]
    assert "抽取次数" in months and "抽中人次" in months and "审核通过" not in months
    assert "<td>出差</td><td>2</td>" in section
    assert "临时会议" not in section and "去年的理由" not in section
    # An expert's bar names their unit too; their row in the table has both columns.
    experts = section.split('id="chart-draw_experts"')[1].split("</figure>")[0]
    assert re.search(r'class="stat-row-label">[^<]+（[^<]+）</span>', experts)
    assert '<th scope="col">工作单位</th>' in experts
    # The page's own months chart keeps its legend.
    own = text.split('id="chart-months"')[1].split("</figure>")[0]
    assert "审核不通过" in own


def test_the_workbook_has_a_sheet_per_draw_figure(client, record, reviewer):
    client.force_login(reviewer)
    start, end = this_month()
    response = client.get(
        reverse("experts:statistics"), {"start": start, "end": end, "format": "xlsx"}
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheets = {
        title: [row for row in book[title].iter_rows(values_only=True) if row and row[0]]
        for title in book.sheetnames
    }
    assert (f"{timezone.localdate():%Y-%m}", 2, 7) in sheets["专家抽取（按月）"]
    assert ("说明", "已作废的抽取不计入。") in sheets["专家抽取（按月）"]
    assert ("统计期间（按抽取时间）", f"{start} 至 {end}") in sheets["抽中专家答复"]
    assert ("不参加", 3) in sheets["抽中专家答复"]
    assert ("出差", 2) in sheets["不参加理由（前10位）"]
    assert ("递补", 1) in sheets["递补与补抽"] and ("补抽", 1) in sheets["递补与补抽"]
    experts = sheets["抽中次数最多的20位专家"]
    assert ("姓名", "工作单位", "抽中次数") in experts


def test_a_unit_gets_no_draw_figure(client, record, unit, reviewer):
    account = factories.unit_account(unit)
    # The scope gives a unit no draw at all, whatever asks.
    charts = figures(account, *this_month())
    assert all(row[-1] == 0 for row in charts["draw_months"].rows)
    assert charts["draw_experts"].rows == [] and charts["draw_reasons"].rows == []
    client.force_login(account)
    page = client.get(reverse("experts:statistics"))
    assert page.status_code == 403 and "专家抽取" not in page.content.decode()


def test_the_pages_queries_do_not_grow_with_the_draws(client, reviewer, pool, field):
    """Six grouped queries for the five figures, however many draws, answers and experts."""
    client.force_login(reviewer)
    start, end = this_month()

    def queries() -> list[str]:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("experts:statistics"), {"start": start, "end": end})
        return [query["sql"] for query in captured]

    before = queries()
    draw = make(reviewer, field, 2, reserves=1)
    decline(reviewer, draw, members_of(draw)[0])
    one = queries()
    for _ in range(3):
        draw = make(reviewer, field, 3, reserves=1)
        decline(reviewer, draw, members_of(draw)[0], "会议冲突")
        services.call_reserve(reviewer, draw, draw.quota_set.get())
        services.answer(reviewer, draw, members_of(draw)[1], Event.Action.CONFIRM)
    assert len(queries()) == len(one) == len(before)
    # The page's own ten (session, viewer, authenticator, reviewer group, the history's steps,
    # the kept status counts, the fields and the pool's count in each, the pool by level and
    # unit, the units) and one query for each of the five 专家抽取 figures but by month's two
    # (the draws, and their experts as the yearly cap counts them).
    assert len(one) == STATISTICS_QUERIES, "\n".join(one)


STATISTICS_QUERIES = 16


# 本年度抽中次数 on 专家详情 ----------------------------------------------------------------


def only(application, pool) -> Criteria:
    return Criteria(avoid_expert_ids=tuple(p.pk for p in pool if p.pk != application.pk))


def test_the_yearly_number_is_what_the_cap_counts(client, reviewer, pool, field, unit):
    chosen = pool[0]
    drawn = make(reviewer, field, 1, criteria=only(chosen, pool))
    declined_later = make(reviewer, field, 1, criteria=only(chosen, pool))
    decline(reviewer, declined_later, chosen.pk)  # still counted, as the cap counts it
    voided = make(reviewer, field, 1, criteria=only(chosen, pool))
    services.void(reviewer, voided, "抽错了")
    # A 备选 called up by 递补 counts as drawn: of two, whichever is not drawn is the 备选.
    pair = Criteria(avoid_expert_ids=tuple(p.pk for p in pool[2:]))
    called = make(reviewer, field, 1, reserves=1, criteria=pair)
    decline(reviewer, called, members_of(called)[0])
    services.call_reserve(reviewer, called, called.quota_set.get())
    earlier = make(reviewer, field, 1, criteria=only(chosen, pool))
    made_on(earlier, last_year(12, 31))

    year = rules.drawn_this_year().filter(application=chosen)
    assert year.count() == 3  # drawn, declined_later and called; not voided, not earlier
    # The cap: at three, the expert is not drawn; at four, they are.
    capped = rules.eligible(reviewer, Criteria(yearly_cap=3), field.pk)
    assert not capped.filter(pk=chosen.pk).exists()
    assert rules.eligible(reviewer, Criteria(yearly_cap=4), field.pk).filter(pk=chosen.pk).exists()

    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[chosen.pk])).content.decode()
    card = page.split('data-testid="year-draws"')[1].split("</section>")[0]
    assert "本年度抽中次数：3 次" in card
    links = re.findall(r'href="/bureau/draws/(\d+)/"', card)
    # Each of this year's, newest first; no 最近一次抽中 line repeating the first of them.
    this_year = [called, voided, declined_later, drawn]
    assert links == [str(d.pk) for d in this_year if d != voided]
    assert str(earlier.pk) not in links and str(voided.pk) not in links
    assert "最近一次抽中" not in card
    # An admitted expert's way back is 专家库, where they are found.
    assert '<a href="/bureau/pool/">专家库</a></li>' in page
    assert re.search(r"<title>\S+ - 专家库 - ", page)


def test_drawn_only_last_year_reads_none_this_year_and_the_last_date(client, reviewer, pool, field):
    chosen = pool[0]
    earlier = make(reviewer, field, 1, criteria=only(chosen, pool))
    made_on(earlier, last_year(12, 31))
    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[chosen.pk])).content.decode()
    card = page.split('data-testid="year-draws"')[1].split("</section>")[0]
    assert "本年度抽中次数：0 次" in card
    assert f"最近一次抽中：{last_year(12, 31):%Y-%m-%d}" in card
    assert re.findall(r'href="/bureau/draws/(\d+)/"', card) == [str(earlier.pk)]


def test_a_unit_sees_no_draw_of_its_expert(client, reviewer, pool, field, unit):
    chosen = pool[0]
    make(reviewer, field, 1, criteria=only(chosen, pool))
    client.force_login(factories.unit_account(unit))
    page = client.get(reverse("experts:unit_detail", args=[chosen.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and chosen.user.real_name in text
    assert "本年度抽中" not in text and "/bureau/draws/" not in text and "抽取" not in text


def pool_counts(page) -> dict[str, str]:
    """专家库's rows: name → its 本年度抽中 cell."""
    text = page.content.decode()
    return dict(
        re.findall(
            r'<td class="text-nowrap">([^<]+?)(?: <span[^>]*>[^<]*</span>)?</td>.*?'
            r'data-testid="year-count">([^<]+)</td>',
            text,
            re.S,
        )
    )


def test_the_pool_lists_each_experts_yearly_number_in_one_query(client, reviewer, pool, field):
    client.force_login(reviewer)
    url = reverse("experts:pool")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    client.get(url)  # the facets and the fields, kept from here on
    none_drawn = queries()
    chosen = pool[0]
    make(reviewer, field, 1, criteria=only(chosen, pool))
    voided = make(reviewer, field, 1, criteria=only(chosen, pool))
    services.void(reviewer, voided, "抽错了")
    make(reviewer, field, 3)
    cache.clear()
    client.get(url)
    assert queries() == none_drawn

    counts = pool_counts(client.get(url))
    yearly = collections.Counter(rules.drawn_this_year().values_list("application", flat=True))
    assert len(counts) == len(pool)
    for application in pool:
        assert counts[application.user.real_name] == f"{yearly[application.pk]} 次"
    assert counts[chosen.user.real_name] == f"{yearly[chosen.pk]} 次" != "0 次"


def test_the_expert_figures_count_the_picks_the_rules_count(reviewer, pool, field):
    """One rule for which picks count (draws.rules.counted_picks: members of a draw not 作废),
    for the cool-down, the yearly cap and these figures: given every draw, a void one among
    them, the figures still leave its experts out."""
    make(reviewer, field, 2)
    voided = make(reviewer, field, 3)
    services.void(reviewer, voided, "抽错了")
    every = Draw.objects.all()
    assert sum(n for _, n in draw_statistics.answers(every).rows) == 2
    assert sum(n for _, _, n in draw_statistics.most_drawn(every).rows) == 2
    start, end = this_month()
    assert sum(row[2] for row in draw_statistics.by_month(every, start, end).rows) == 2
