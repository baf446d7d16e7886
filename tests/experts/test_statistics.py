"""统计分析: the counts on a known set, working-day turnaround across a holiday, the range, the
workbook, who may open it, and a query count that does not grow with the rows."""

import datetime
import html
import importlib
import io
import re
import urllib.parse
from types import SimpleNamespace

import openpyxl
import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import UnitStatus
from experts import statistics
from experts.models import ApplicationStatus, ApplicationTransition, Discipline, ExpertApplication
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def at(day: str, hour=10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(f"{day} {hour:02d}:00"))


# The state each step's start left the application in.
STARTED_BY = {"recommend": S.PENDING_UNIT, "approve": S.PENDING_BUREAU, "reject": S.PENDING_BUREAU}


def history(application, *steps):
    """The history rows of `steps`, (action, from, to, day), each dated `day`; a step's end
    keeps its start, as experts.services does: the day the application last began waiting."""
    waiting_since = {}
    for action, from_status, to_status, day in steps:
        started = STARTED_BY.get(action)
        row = ApplicationTransition.objects.create(
            application=application,
            actor_role="applicant",
            action=action,
            from_status=from_status,
            to_status=to_status,
            step_started_at=waiting_since.get(started),
        )
        with factories.rewriting_history():
            ApplicationTransition.objects.filter(pk=row.pk).update(created_at=at(day))
        waiting_since[to_status] = at(day)


def approved(unit, submitted, recommended, decided, level="senior", codes=("01",)):
    application = factories.make_applicant(unit, S.APPROVED).application
    ExpertApplication.objects.filter(pk=application.pk).update(
        submitted_at=at(submitted),
        recommended_at=at(recommended),
        decided_at=at(decided),
        title_level=level,
    )
    application.disciplines.set(Discipline.objects.filter(code__in=codes))
    history(
        application,
        ("submit", S.DRAFT, S.PENDING_UNIT, submitted),
        ("recommend", S.PENDING_UNIT, S.PENDING_BUREAU, recommended),
        ("approve", S.PENDING_BUREAU, S.APPROVED, decided),
    )
    return application


@pytest.fixture
def figures(unit, other_unit):
    # One decision across the 2026 National Day holiday, two in November.
    approved(unit, "2026-09-28", "2026-09-29", "2026-10-12", codes=("01", "08"))
    approved(unit, "2026-11-02", "2026-11-04", "2026-11-06", level="associate")
    approved(other_unit, "2026-11-09", "2026-11-10", "2026-11-11")
    factories.make_applicant(unit, S.PENDING_UNIT)
    return statistics


def test_counts_on_a_known_set(figures, reviewer, unit, other_unit):
    charts = {chart.key: chart for chart in statistics.collect(reviewer, *RANGE)["charts"]}
    status = dict(charts["status"].rows)
    assert (status["审核通过"], status["待单位推荐"], status["已冻结"]) == (3, 1, 0)
    field = dict(charts["field"].rows)
    assert (field["电子信息"], field["先进制造与自动化"], field["现代农业"]) == (3, 1, 0)
    assert dict(charts["title_level"].rows)["副高级"] == 1
    assert dict(charts["units"].rows) == {unit.name: 2, other_unit.name: 1}
    assert dict(charts["district"].rows)["洪山区"] == 3
    # 单位性质: both units are universities; a kind with no expert is shown with 0.
    nature = dict(charts["nature"].rows)
    assert (nature["高等院校"], nature["企业"]) == (3, 0)


def test_the_top_units_are_the_largest_ties_by_name(unit, other_unit, reviewer, monkeypatch):
    """The top units chart keeps the TOP_UNITS largest, the largest first, ties by name."""
    monkeypatch.setattr(statistics, "TOP_UNITS", 2)  # the rule, at a size a test can build
    third = factories.make_unit(UnitStatus.APPROVED)
    for where, n in ((unit, 1), (other_unit, 3), (third, 1)):
        for _ in range(n):
            approved(where, "2026-11-02", "2026-11-03", "2026-11-04")

    charts = {chart.key: chart for chart in statistics.collect(reviewer, *RANGE)["charts"]}

    tied_first = min(unit.name, third.name)
    assert charts["units"].rows == [(other_unit.name, 3), (tied_first, 1)]
    assert charts["units"].title == "专家最多的2个单位"


def test_a_field_counts_an_expert_once_whatever_sub_fields(unit, reviewer):
    field = Discipline.objects.get(code="01")
    subs = list(Discipline.objects.filter(parent=field)[:2])
    application = approved(unit, "2026-11-02", "2026-11-03", "2026-11-04")
    application.disciplines.set([field, *subs])
    assert dict(statistics.by_field(reviewer).rows)["电子信息"] == 1


RANGE = (datetime.date(2026, 9, 1), datetime.date(2026, 11, 30))


def test_months_and_turnaround_in_working_days(figures, reviewer):
    result = statistics.collect(reviewer, *RANGE)
    months = {row[0]: row[1:] for row in result["months"].rows}
    assert months == {"2026-09": (1, 0, 0), "2026-10": (0, 1, 0), "2026-11": (2, 2, 0)}
    unit_step, bureau_step = result["turnaround"]
    assert (unit_step.n, unit_step.median, unit_step.p90) == (3, 1, 2)
    # 29 September to 12 October spans the National Day holiday: the working days are those
    # chinese_calendar names (its make-up days included), fewer than Monday to Friday would be.
    days = statistics.workday_index(datetime.date(2026, 9, 29), datetime.date(2026, 10, 12))
    expected = sum(
        1
        for offset in range(1, 14)
        if statistics.is_workday(datetime.date(2026, 9, 29) + datetime.timedelta(days=offset))
    )
    assert days[datetime.date(2026, 10, 12)] == expected < 13 - 4  # fewer than Mon-Fri would give
    assert bureau_step.p90 == expected and bureau_step.median == 2


def test_a_months_figures_do_not_change_afterwards(figures, reviewer, unit):
    """Counted from the history: a rejection stays in its month after the applicant revises,
    an approval after the expert leaves, and a resubmission is a 提交 of its own month."""
    rejected = factories.make_applicant(unit, S.REJECTED).application
    history(
        rejected,
        ("submit", S.DRAFT, S.PENDING_UNIT, "2026-10-08"),
        ("recommend", S.PENDING_UNIT, S.PENDING_BUREAU, "2026-10-09"),
        ("reject", S.PENDING_BUREAU, S.REJECTED, "2026-11-03"),
        ("revise", S.REJECTED, S.DRAFT, "2026-11-04"),
        ("submit", S.DRAFT, S.PENDING_UNIT, "2026-11-20"),
    )
    ExpertApplication.objects.filter(pk=rejected.pk).update(
        status=S.PENDING_UNIT, submitted_at=at("2026-11-20"), decided_at=None
    )
    ExpertApplication.objects.filter(decided_at=at("2026-10-12")).update(status=S.EXITED)

    months = {row[0]: row[1:] for row in statistics.collect(reviewer, *RANGE)["months"].rows}

    assert months == {"2026-09": (1, 0, 0), "2026-10": (1, 1, 0), "2026-11": (3, 2, 1)}


def test_turnaround_counts_every_decision_in_the_range_from_the_history(figures, reviewer, unit):
    """Each 推荐 and each decision in the range counts, measured back to the step before it:
    a rejected application's first round stays when it is resubmitted and approved, and an
    expert who has since left is still counted."""
    again = factories.make_applicant(unit, S.APPROVED).application
    history(
        again,
        ("submit", S.DRAFT, S.PENDING_UNIT, "2026-11-16"),
        ("recommend", S.PENDING_UNIT, S.PENDING_BUREAU, "2026-11-18"),  # 2 working days
        ("reject", S.PENDING_BUREAU, S.REJECTED, "2026-11-20"),  # 2
        ("revise", S.REJECTED, S.DRAFT, "2026-11-23"),
        ("submit", S.DRAFT, S.PENDING_UNIT, "2026-11-23"),
        ("recommend", S.PENDING_UNIT, S.PENDING_BUREAU, "2026-11-24"),  # 1
        ("approve", S.PENDING_BUREAU, S.APPROVED, "2026-11-27"),  # 3
    )
    ExpertApplication.objects.filter(decided_at=at("2026-10-12")).update(status=S.EXITED)

    unit_step, bureau_step = statistics.collect(reviewer, *RANGE)["turnaround"]

    # The unit: 1, 2, 1 (the figures) and 2, 1.
    assert (unit_step.n, unit_step.median, unit_step.p90) == (5, 1, 2)
    # The bureau: the holiday span, 2, 1 (the figures) and 2, 3.
    holiday = statistics.workday_index(datetime.date(2026, 9, 29), datetime.date(2026, 10, 12))
    assert (bureau_step.n, bureau_step.median) == (5, 2)
    assert bureau_step.p90 == max(holiday[datetime.date(2026, 10, 12)], 3)


def test_an_empty_range_says_none(figures, reviewer):
    result = statistics.collect(reviewer, datetime.date(2020, 1, 1), datetime.date(2020, 2, 1))
    assert [row[1:] for row in result["months"].rows] == [(0, 0, 0), (0, 0, 0)]
    assert [t.median for t in result["turnaround"]] == [None, None]


def test_the_page_and_its_range(client, figures, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("experts:statistics"), {"start": "2026-09-01", "end": "2026-11-30"})
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and "办理时长" in text
    assert "数据更新于" in text
    # Each chart's 表格 says whose table it is to a screen reader, which hears them in a row.
    assert '<summary>表格<span class="visually-hidden">：专家状态</span></summary>' in text
    # The months' chart has a scale: November's two submissions and two approvals are the
    # peak, so the lines read 0, 1 and 2, and a bar of 2 reaches the top line.
    months = text.split('id="chart-months"')[1].split("</svg>")[0]
    assert re.findall(r'class="stat-label">(\d+)</text>', months) == ["0", "1", "2"]
    assert months.count('class="stat-grid"') == 3
    assert re.search(r'y="10\.0" width="11" height="160\.0"', months)
    bad = client.get(reverse("experts:statistics"), {"start": "2026-12-01", "end": "2026-11-01"})
    assert bad.status_code == 400 and "开始日期不能晚于结束日期" in bad.content.decode()
    # The boxes keep what was typed; the page says the figures are the default range's.
    start, end = bad.context["start"], bad.context["end"]
    assert (start, end) != (datetime.date(2026, 12, 1), datetime.date(2026, 11, 1))
    assert f"以下为默认期间 {start} 至 {end} 的统计" in bad.content.decode()
    assert 'value="2026-12-01"' in bad.content.decode()
    assert "以下为默认期间" not in text  # a good range needs no such word
    # A range that runs backwards marks both boxes; a bad date, its own box only.
    invalid = re.compile(r'<input type="date" class="form-control is-invalid" id="id_(\w+)"')
    assert invalid.findall(bad.content.decode()) == ["start", "end"]
    assert not invalid.findall(text)
    junk = client.get(reverse("experts:statistics"), {"start": "昨天"})
    assert junk.status_code == 400 and "请输入有效的开始日期" in junk.content.decode()
    assert invalid.findall(junk.content.decode()) == ["start"]
    # One bound alone is checked against the other's default (to today, from 12 months back).
    for alone in ({"start": "2099-01-01"}, {"end": "2000-01-01"}):
        page = client.get(reverse("experts:statistics"), alone)
        assert page.status_code == 400 and "开始日期不能晚于结束日期" in page.content.decode()


def test_the_default_range_is_twelve_calendar_months(reviewer):
    from experts.statistics import RangeForm

    start, end = RangeForm({}).chosen()
    assert end == timezone.localdate() and start.day == 1
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 11


def test_a_range_of_more_than_36_months_counts_per_year():
    Steps, by_month = statistics.Steps, statistics.by_month
    rows = [
        ("submit", None, datetime.date(2010, 5, 1), 2),
        ("approve", None, datetime.date(2010, 12, 31), 1),
        ("submit", None, datetime.date(2026, 1, 5), 1),
        ("reject", None, datetime.date(2026, 11, 30), 1),
        ("recommend", None, datetime.date(2026, 11, 30), 4),  # not a 提交 or a decision
    ]
    chart = by_month(Steps(datetime.date(2010, 3, 1), datetime.date(2026, 11, 30), rows))
    assert chart.title == "提交与审核（按年）" and chart.columns[0] == "年份"
    assert len(chart.rows) == 17
    assert chart.rows[0] == ("2010", 2, 1, 0) and chart.rows[-1] == ("2026", 1, 0, 1)
    assert chart.rows[1] == ("2011", 0, 0, 0)
    # 36 calendar months still fit one chart, a bar group per month.
    three_years = by_month(Steps(datetime.date(2023, 12, 1), datetime.date(2026, 11, 30), rows))
    assert three_years.title == "提交与审核（按月）" and len(three_years.rows) == 36
    assert three_years.rows[-1] == ("2026-11", 0, 0, 1)
    # Three years less a day touching 37 months says so (a walk read 超过36个月 as wrong).
    touching = by_month(Steps(datetime.date(2023, 12, 31), datetime.date(2026, 12, 30), rows))
    assert touching.counts.startswith("所选期间跨37个月（超过36个月），按年统计")


def test_the_yearly_chart_names_whole_years(client, figures, reviewer):
    client.force_login(reviewer)
    text = client.get(
        reverse("experts:statistics"), {"start": "2020-01-01", "end": "2026-11-30"}
    ).content.decode()
    years = text.split('id="chart-months"')[1].split("</svg>")[0]
    labels = re.findall(r'class="stat-label">(\d{4})</text>', years)
    assert labels == [str(year) for year in range(2020, 2027)]
    assert "提交与审核（按年）" in text
    assert "图表先显示最近的年份" in text


def test_the_field_chart_prints_no_head_count(client, figures, reviewer):
    """An expert in two fields is in both bars, so the bars' sum (5 here) is no number of
    experts (3): the chart says each field is counted on its own instead of 共 N."""
    client.force_login(reviewer)
    text = client.get(reverse("experts:statistics")).content.decode()
    field = text.split('id="chart-field"')[1].split("</figcaption>")[0]
    status = text.split('id="chart-status"')[1].split("</figcaption>")[0]
    assert "各领域分别计数" in field and "共" not in field
    assert "共 4" in status  # three approved and one waiting


def test_the_top_units_chart_sums_only_its_units_and_says_so(client, figures, reviewer):
    """Found by a reviewer's walk: 专家最多的20个单位 read 共 170 beside a pool of 217, the sum
    of its own rows: it names what it sums (the two units here)."""
    client.force_login(reviewer)
    text = client.get(reverse("experts:statistics")).content.decode()
    units = text.split('id="chart-units"')[1].split("</figcaption>")[0]
    assert "以上2个单位合计 3" in units
    assert "共" not in units


def test_the_workbook_holds_the_same_numbers(client, figures, reviewer):
    client.force_login(reviewer)
    response = client.get(
        reverse("experts:statistics"),
        {"start": "2026-09-01", "end": "2026-11-30", "format": "xlsx"},
    )
    # Named in Chinese like the pool's export (RFC 6266: filename*=utf-8''…).
    disposition = urllib.parse.unquote(response["Content-Disposition"])
    assert disposition.endswith("统计分析-20260901-20261130.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert "专业领域" in book.sheetnames and "办理时长" in book.sheetnames
    rows = [row for row in book["专业领域"].iter_rows(values_only=True) if row and row[0]]
    assert ("电子信息", 3) in rows
    assert ("统计期间（按月与办理时长）", "2026-09-01 至 2026-11-30") in rows


def test_only_the_bureau_opens_it(client, unit):
    client.force_login(factories.unit_account(unit))
    assert client.get(reverse("experts:statistics")).status_code == 403
    client.force_login(factories.make_applicant(unit))
    assert client.get(reverse("experts:statistics")).status_code == 403


def test_queries_do_not_grow_with_rows(client, reviewer, unit):
    client.force_login(reviewer)
    counts = []
    for _ in range(2):
        for n in range(10):
            approved(unit, "2026-11-02", "2026-11-03", f"2026-11-{4 + n:02d}")
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("experts:statistics"), {"start": "2026-09-01", "end": "2026-11-30"})
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_each_steps_end_keeps_its_start_and_the_migration_derives_the_same(unit, reviewer):
    """Through the services: a 推荐 keeps the 提交 it answers, a decision the 推荐 before it,
    round after round; 解冻 keeps none. experts 0028 derives the same from the history."""
    from experts import services

    applicant = factories.make_applicant(unit, S.DRAFT)
    account = factories.unit_account(unit)
    application = services.submit_application(applicant.application, applicant)
    services.recommend_application(application, account)
    services.reject_application(application, reviewer, reason="材料不全")
    services.revise_application(application, applicant)
    services.submit_application(application, applicant)
    services.recommend_application(application, account)
    services.approve_application(application, reviewer)
    ExpertApplication.objects.filter(pk=application.pk).update(status=S.FROZEN)
    services.request_unfreeze(application, applicant)
    services.approve_application(application, reviewer)

    rows = list(application.history.order_by("pk"))
    starts = {
        (index, row.action): row.step_started_at
        for index, row in enumerate(rows)
        if row.step_started_at is not None
    }
    # Each end's start: the row that left the application waiting for that step.
    expected = {
        (1, "recommend"): rows[0].created_at,  # the first 提交
        (2, "reject"): rows[1].created_at,
        (5, "recommend"): rows[4].created_at,  # the second 提交
        (6, "approve"): rows[5].created_at,
    }
    assert [row.action for row in rows] == [
        "submit",
        "recommend",
        "reject",
        "revise",
        "submit",
        "recommend",
        "approve",
        "request_unfreeze",
        "unfreeze",  # no admission: not timed (its step_started_at stays empty)
    ]
    assert starts.keys() == expected.keys()
    # The services keep the application's own date, taken a moment before the row's.
    assert all(abs(starts[key] - moment).total_seconds() < 1 for key, moment in expected.items())

    # As the rows were before migration 0028, which ran before the history was append-only.
    with factories.rewriting_history():
        ApplicationTransition.objects.update(step_started_at=None)
        # A 推荐 in the same moment as its 提交 (a bulk load's rows): the id says which came
        # first.
        ApplicationTransition.objects.filter(pk=rows[5].pk).update(created_at=rows[4].created_at)
        expected[(6, "approve")] = rows[4].created_at
        migration = importlib.import_module("experts.migrations.0028_transition_step_started")
        migration.fill(apps, SimpleNamespace(connection=connection))

    derived = dict(application.history.values_list("pk", "step_started_at"))
    assert {(i, r.action): derived[r.pk] for i, r in enumerate(rows) if derived[r.pk]} == expected


def test_each_pool_chart_says_which_statuses_it_counts(client, figures, reviewer):
    """专家库's own headline counts 审核通过; these charts count 已冻结 too, and say so."""
    client.force_login(reviewer)
    text = client.get(reverse("experts:statistics")).content.decode()
    for by in ("专业领域", "职称级别", "所在单位的所在区", "所在单位的单位性质", "工作单位"):
        assert f"专家库（审核通过、已冻结）中的专家，按{by}" in text, by


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(2, 2), (4, 1), (5, 1), (6, 2)], 4.5),  # a reviewer's check: nearest rank said 4
        ([(13, 1), (16, 1)], 14.5),
        ([(1, 1), (3, 1), (3, 1)], 3),
        ([(2, 3), (4, 1)], 2),
        ([], None),
    ],
)
def test_the_median_of_an_even_count_is_halfway_between_its_middle_values(pairs, expected):
    from experts.statistics import median

    assert median(pairs) == expected


def test_a_range_beyond_the_calendar_is_refused_not_a_server_error(client, reviewer):
    """Found by a dates walk: 0001-01-01 or 9999-12-31 ran the range's edges out of the
    calendar (OverflowError, a 500)."""
    client.force_login(reviewer)
    url = reverse("experts:statistics")
    this_year_end = timezone.localdate().replace(month=12, day=31)
    for asked, said in (
        ({"start": "2026-01-01", "end": "9999-12-31"}, f"结束日期不能晚于{this_year_end}"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "开始日期不能早于2000-01-01"),
        ({"start": "1900-01-01"}, "开始日期不能早于2000-01-01"),
    ):
        page = client.get(url, asked)
        assert page.status_code == 400, asked
        assert said in page.content.decode()
    # After a bad range, 导出Excel exports the default period the page shows (a December walk:
    # it kept the bad dates, and answered 400).
    bad = client.get(url, {"start": "0001-01-01"})
    start, end = bad.context["start"], bad.context["end"]
    link = re.search(r'href="([^"]*format=xlsx[^"]*)"', bad.content.decode()).group(1)
    link = html.unescape(link)
    assert f"start={start}" in link and f"end={end}" in link
    assert client.get(url + link).status_code == 200
    # The whole of this year, asked in December, is a range.
    whole_year = {"start": f"{this_year_end.year}-01-01", "end": f"{this_year_end}"}
    assert client.get(url, whole_year).status_code == 200
    assert f'max="{this_year_end}"' in client.get(url).content.decode()
