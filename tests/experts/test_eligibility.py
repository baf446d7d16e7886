"""资格提示 (issue 21 item 6): rules operators set in admin, flags on the queues and the detail
pages, a filter for 有提示 / 无提示, recomputed when a rule changes; help, never a block."""

import datetime
import zoneinfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from experts import eligibility, services
from experts.models import (
    ApplicationStatus,
    EligibilityKind,
    EligibilityRule,
    ExpertApplication,
)
from tests import factories
from tests.pages import queries_for

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
AGE, TITLE, YEARS = "年龄超过65岁", "职称级别低于副高级", "从业不足5年"


def at(year, month, day, hour=10, minute=0) -> datetime.datetime:
    """A moment in Wuhan's local time (the rules count local days)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def candidate(**fields) -> ExpertApplication:
    """An application in memory that meets the three seeded rules, with `fields` changed."""
    values = {
        "birth_date": datetime.date(1970, 3, 15),
        "title_level": "associate",
        "work_started_on": datetime.date(1995, 7, 1),
        "submitted_at": at(2026, 12, 1),
        **fields,
    }
    return ExpertApplication(**values)


def flags(application) -> list[str]:
    return eligibility.flags_for(application, eligibility.active_rules())


def waiting_applicant(unit, status=ApplicationStatus.PENDING_BUREAU, name=None, **fields):
    """An applicant in `status`, with `fields` set and the flags of the active rules."""
    applicant = factories.make_applicant(unit, status, name=name)
    rows = ExpertApplication.objects.filter(pk=applicant.application.pk)
    rows.update(**{"work_started_on": datetime.date(2000, 7, 1), **fields})
    eligibility.recompute(rows)
    return applicant


def flagged_applicant(unit, status=ApplicationStatus.PENDING_BUREAU, name=None):
    return waiting_applicant(unit, status, name=name, title_level="intermediate")


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "op@example.com", factories.PASSWORD)
    client.force_login(user)
    return user


# The rules, each at its boundary ---------------------------------------------------------


def test_the_migration_seeds_the_three_examples_as_active():
    rules = EligibilityRule.objects.order_by("pk")
    assert [(rule.kind, rule.value, rule.title_level, rule.active) for rule in rules] == [
        ("max_age", 65, "", True),
        ("min_title_level", None, "associate", True),
        ("min_years", 5, "", True),
    ]
    assert [rule.flag_text() for rule in rules] == [AGE, TITLE, YEARS]


def test_a_candidate_meeting_every_rule_has_no_flag():
    assert flags(candidate()) == []


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (at(2026, 6, 1), []),  # the 65th birthday
        (at(2027, 5, 31, 23, 30), []),  # still 65 on the last day, late in the evening
        (at(2027, 6, 1, 0, 10), [AGE]),  # 66 from the first minute of the 66th birthday
    ],
)
def test_age_is_counted_in_whole_years_on_the_local_day_of_submission(submitted_at, expected):
    application = candidate(birth_date=datetime.date(1961, 6, 1), submitted_at=submitted_at)
    assert flags(application) == expected


def test_someone_born_on_29_february_turns_a_year_older_on_1_march():
    born = datetime.date(1960, 2, 29)
    assert flags(candidate(birth_date=born, submitted_at=at(2026, 2, 28))) == []
    assert flags(candidate(birth_date=born, submitted_at=at(2026, 3, 1))) == [AGE]


@pytest.mark.parametrize(
    ("title_level", "expected"),
    [("senior", []), ("associate", []), ("intermediate", [TITLE]), ("other", [TITLE])],
)
def test_title_level_at_least_associate(title_level, expected):
    assert flags(candidate(title_level=title_level)) == expected


@pytest.mark.parametrize(
    ("work_started_on", "expected"),
    [
        (datetime.date(2021, 12, 1), []),  # five years to the day
        (datetime.date(2021, 12, 2), [YEARS]),  # a day short
        (None, ["未填写参加工作时间"]),  # cannot be checked: said, not taken as met
    ],
)
def test_years_since_starting_work(work_started_on, expected):
    assert flags(candidate(work_started_on=work_started_on)) == expected


def test_every_unmet_rule_is_flagged_in_the_rules_order():
    application = candidate(
        birth_date=datetime.date(1950, 1, 1),
        title_level="other",
        work_started_on=datetime.date(2024, 1, 1),
    )
    assert flags(application) == [AGE, TITLE, YEARS]


def test_a_rule_switched_off_flags_nothing_and_a_label_replaces_the_text():
    EligibilityRule.objects.filter(kind=EligibilityKind.MAX_AGE).update(active=False)
    EligibilityRule.objects.filter(kind=EligibilityKind.MIN_TITLE_LEVEL).update(
        label="职称未达副高"
    )
    application = candidate(birth_date=datetime.date(1940, 1, 1), title_level="intermediate")
    assert flags(application) == ["职称未达副高"]


# Submission through the form stores the flags ---------------------------------------------


def test_submitting_the_form_stores_the_flags_and_is_not_refused(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    data = factories.application_post_data(
        applicant, "submit", title_level="intermediate", work_started_on="2024-03-01"
    )

    response = client.post(reverse("experts:form"), data)

    assert response.status_code == 302
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.status == ApplicationStatus.PENDING_UNIT
    assert application.work_started_on == datetime.date(2024, 3, 1)
    assert application.eligibility_flags == [TITLE, YEARS]
    assert application.has_eligibility_flags is True


def test_submitting_a_form_that_meets_every_rule_stores_no_flag(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    data = factories.application_post_data(applicant, "submit", work_started_on="2002-09-01")

    client.post(reverse("experts:form"), data)

    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.status == ApplicationStatus.PENDING_UNIT
    assert (application.eligibility_flags, application.has_eligibility_flags) == ([], False)


def test_the_form_asks_for_work_start_near_the_title(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    page = client.get(reverse("experts:form")).content.decode()
    assert 'name="work_started_on"' in page
    assert page.index("职称级别") < page.index("参加工作时间") < page.index("所在部门")
    assert "用于核对从业年限；不填写时，审核人员将看到“未填写参加工作时间”。" in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2099-01-01", "参加工作时间不能晚于今天。"),
        # The factories' applicants were born on 1980-01-01: 14 years later is 1994-01-01.
        ("1993-12-31", "参加工作时间不能早于年满14周岁（出生日期后14年），请核对。"),
        ("1899-12-31", "请输入有效的参加工作时间。"),
        ("2020-13-01", "输入一个有效的日期。"),  # Django's own, as for 出生日期
    ],
)
def test_a_bad_work_start_date_is_refused_with_a_message_and_not_saved(
    client, unit, typed, message
):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    ExpertApplication.objects.filter(pk=applicant.application.pk).update(
        work_started_on=datetime.date(2005, 9, 1)
    )
    client.force_login(applicant)

    response = client.post(
        reverse("experts:form"),
        factories.application_post_data(applicant, "submit", work_started_on=typed),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["work_started_on"] == [message]
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.status == ApplicationStatus.DRAFT
    assert application.work_started_on == datetime.date(2005, 9, 1)


def test_work_start_on_the_14th_birthday_is_accepted(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    data = factories.application_post_data(applicant, "save", work_started_on="1994-01-01")

    response = client.post(reverse("experts:form"), data)

    assert response.status_code == 302
    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.work_started_on == datetime.date(1994, 1, 1)


def test_work_start_is_in_the_read_only_form_and_the_submission_snapshot(client, unit):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    data = factories.application_post_data(applicant, "submit", work_started_on="2002-09-01")
    client.post(reverse("experts:form"), data)

    page = client.get(reverse("experts:form")).content.decode()
    assert "参加工作时间" in page and "2002" in page
    snapshot = applicant.application.history.get(action="submit").snapshot
    rows = {label: value for _, label, value, _ in snapshot["rows"]}
    assert rows["参加工作时间"] == "2002-09-01"


# The queues and the detail pages ----------------------------------------------------------


def test_bureau_queue_rows_carry_a_badge_with_the_flag_texts(client, reviewer, unit):
    flagged_applicant(unit, name="低职称")
    waiting_applicant(unit, name="合格者")
    client.force_login(reviewer)

    page = client.get(reverse("experts:bureau_queue")).content.decode()

    low_row = page[page.index("低职称") : page.index("</tr>", page.index("低职称"))]
    assert 'data-testid="eligibility-badge"' in low_row
    assert f"资格提示：{TITLE}" in low_row  # read out by screen readers, not colour only
    assert f'title="{TITLE}"' in low_row
    fine_row = page[page.index("合格者") : page.index("</tr>", page.index("合格者"))]
    assert "eligibility-badge" not in fine_row


def test_unit_people_rows_carry_the_badge(client, unit):
    flagged_applicant(unit, ApplicationStatus.PENDING_UNIT, name="低职称")
    client.force_login(factories.unit_account(unit))

    page = client.get(reverse("experts:unit_people")).content.decode()

    assert page.count('data-testid="eligibility-badge"') == 1
    assert f"资格提示：{TITLE}" in page


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({}, ["低职称", "合格者"]),
        ({"eligibility": "flagged"}, ["低职称"]),
        ({"eligibility": "clear"}, ["合格者"]),
        ({"eligibility": "nonsense"}, ["低职称", "合格者"]),  # left out, as every bad filter
        ({"eligibility": "flagged", "q": "合格"}, []),
        ({"eligibility": "clear", "q": "合格"}, ["合格者"]),
    ],
)
def test_bureau_queue_filters_by_flags_with_the_other_filters(
    client, reviewer, unit, params, names
):
    flagged_applicant(unit, name="低职称")
    waiting_applicant(unit, name="合格者")
    client.force_login(reviewer)

    response = client.get(reverse("experts:bureau_queue"), params)

    assert response.status_code == 200
    assert [row.real_name for row in response.context["rows"]] == names


def test_the_flag_filter_counts_the_tabs_and_stays_in_their_links(client, reviewer, unit):
    flagged_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    flagged_applicant(unit, ApplicationStatus.PENDING_UNIT)
    waiting_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    client.force_login(reviewer)

    response = client.get(reverse("experts:bureau_queue"), {"eligibility": "flagged"})

    tabs = {value: n for value, _, n in response.context["tabs"]}
    assert (tabs["all"], tabs["pending_unit"], tabs["pending_bureau"]) == (2, 1, 1)
    page = response.content.decode()
    assert "?eligibility=flagged&amp;status=pending_unit" in page
    assert '<input type="hidden" name="eligibility" value="flagged">' in page  # the search box
    assert 'aria-current="true">有提示</a>' in page


# A draft never submitted is listed (全部: 3) but found by no filter of what forms say, 无提示
# neither: its form is its applicant's own (experts.permissions.can_view_content).
@pytest.mark.parametrize(("value", "count"), [("flagged", 1), ("clear", 1), ("", 3)])
def test_unit_people_filters_by_flags(client, unit, other_unit, value, count):
    flagged_applicant(unit, ApplicationStatus.PENDING_UNIT)
    flagged_applicant(other_unit, ApplicationStatus.PENDING_UNIT)  # another unit's: never shown
    waiting_applicant(unit, ApplicationStatus.PENDING_UNIT)
    factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(factories.unit_account(unit))

    response = client.get(reverse("experts:unit_people"), {"eligibility": value})

    assert len(response.context["rows"]) == count


def test_both_detail_pages_show_each_unmet_rule_in_a_box(client, reviewer, unit):
    bureau_one = waiting_applicant(unit, title_level="other", work_started_on=None)
    unit_one = waiting_applicant(unit, ApplicationStatus.PENDING_UNIT, title_level="other")
    box = "资格提示（仅供参考，不影响审核）"

    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[bureau_one.application.pk]))
    html = page.content.decode()
    assert box in html
    assert f"<li>{TITLE}</li><li>未填写参加工作时间</li>" in html

    client.force_login(factories.unit_account(unit))
    html = client.get(reverse("experts:unit_detail", args=[unit_one.application.pk])).content
    assert box in html.decode()
    assert f"<li>{TITLE}</li>" in html.decode()


def test_a_detail_page_without_flags_has_no_box(client, reviewer, unit):
    applicant = waiting_applicant(unit)
    client.force_login(reviewer)
    page = client.get(reverse("experts:bureau_detail", args=[applicant.application.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<title>{applicant.real_name} - 专家审核 - " in html
    assert "资格提示" not in html


def test_bureau_queue_reads_the_flags_with_its_rows(client, reviewer, unit):
    client.force_login(reviewer)
    url = reverse("experts:bureau_queue")
    sizes = []
    for grow in (2, 5):
        for _ in range(grow):
            flagged_applicant(unit)
            waiting_applicant(unit)
        sizes.append(
            [queries_for(client, url, {"eligibility": value}) for value in ("", "flagged", "clear")]
        )
    # The same at 4 and 14 rows; a flag filter counts the tabs in one query from the rows,
    # instead of reading the kept counts (counts.review_queue, returned drafts and all). Each
    # also counts the waiting tabs' overdue rows in one query (portal.filters, 截止日期).
    assert sizes[0] == sizes[1] == [8, 8, 8]  # with 信息变更's count (changes)


@pytest.mark.parametrize("params", [{}, {"eligibility": "flagged"}])
def test_unit_people_reads_the_flags_with_its_rows(client, unit, params):
    client.force_login(factories.unit_account(unit))
    url = reverse("experts:unit_people")
    flagged_applicant(unit, ApplicationStatus.PENDING_UNIT)
    few = queries_for(client, url, params)
    for _ in range(6):
        flagged_applicant(unit, ApplicationStatus.PENDING_UNIT)
        waiting_applicant(unit, ApplicationStatus.PENDING_UNIT)
    assert queries_for(client, url, params) == few


# Never a block --------------------------------------------------------------------------


def test_a_flagged_application_is_recommended_and_approved_like_any_other(client, reviewer, unit):
    applicant = flagged_applicant(unit, ApplicationStatus.PENDING_UNIT)
    pk = applicant.application.pk
    client.force_login(factories.unit_account(unit))
    response = client.post(reverse("experts:unit_recommend", args=[pk]), {"comment": ""})
    assert response.status_code == 302
    assert ExpertApplication.objects.get(pk=pk).status == ApplicationStatus.PENDING_BUREAU

    client.force_login(reviewer)
    response = client.post(reverse("experts:bureau_approve", args=[pk]), {"comment": ""})

    assert response.status_code == 302
    application = ExpertApplication.objects.get(pk=pk)
    assert application.status == ApplicationStatus.APPROVED
    assert application.eligibility_flags == [TITLE]  # kept as decided


# Operators change the rules in admin -----------------------------------------------------


def rule_form(rule=None, **changes) -> dict:
    data = {"kind": "max_age", "value": "65", "title_level": "", "label": "", "active": "on"}
    if rule is not None:
        data.update(
            kind=rule.kind,
            value="" if rule.value is None else str(rule.value),
            title_level=rule.title_level,
            label=rule.label,
        )
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value": ""}, "value", "“最高年龄”规则须填写年数。"),
        ({"value": "150"}, "value", "“最高年龄”的年数应在18至100之间。"),
        ({"kind": "min_years", "value": "0"}, "value", "“最少从业年限”的年数应在1至60之间。"),
        ({"title_level": "senior"}, "title_level", "“最高年龄”规则不使用职称级别，请清空。"),
        (
            {"kind": "min_title_level", "value": ""},
            "title_level",
            "“最低职称级别”规则须选择职称级别。",
        ),
        (
            {"kind": "min_title_level", "title_level": "senior"},
            "value",
            "“最低职称级别”规则不使用年数，请清空。",
        ),
    ],
)
def test_admin_refuses_a_value_that_does_not_fit_the_kind(
    client, operator, changes, field, message
):
    before = list(EligibilityRule.objects.values_list("pk", "value", "active"))

    response = client.post(reverse("admin:experts_eligibilityrule_add"), rule_form(**changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert list(EligibilityRule.objects.values_list("pk", "value", "active")) == before


def test_a_rule_change_in_admin_recomputes_the_waiting_and_keeps_the_decided(
    client, operator, unit
):
    waiting = waiting_applicant(unit, ApplicationStatus.PENDING_UNIT, title_level="intermediate")
    decided = waiting_applicant(unit, ApplicationStatus.APPROVED, title_level="intermediate")
    ExpertApplication.objects.filter(pk=decided.application.pk).update(
        eligibility_flags=[TITLE],
        has_eligibility_flags=True,  # as when it was decided
    )
    bystander = waiting_applicant(unit)  # 职称 正高级: no flag before or after
    # Returned for changes: listed under 已退回（待修改） with its flags, so they follow too.
    returned = waiting_applicant(unit, ApplicationStatus.PENDING_UNIT, title_level="intermediate")
    services.return_application(returned.application, factories.unit_account(unit), "请修改")
    rule = EligibilityRule.objects.get(kind=EligibilityKind.MIN_TITLE_LEVEL)
    url = reverse("admin:experts_eligibilityrule_change", args=[rule.pk])

    response = client.post(url, rule_form(rule, active=None), follow=True)

    assert (
        "已按当前规则重新核对3份待审核或已退回的申请的资格提示，其中2份有变化。"
        in response.content.decode()
    )
    assert ExpertApplication.objects.get(pk=waiting.application.pk).eligibility_flags == []
    assert ExpertApplication.objects.get(pk=returned.application.pk).eligibility_flags == []
    decided_now = ExpertApplication.objects.get(pk=decided.application.pk)
    assert decided_now.eligibility_flags == [TITLE]
    assert ExpertApplication.objects.get(pk=bystander.application.pk).has_eligibility_flags is False

    client.post(url, rule_form(rule, title_level="senior"))

    waiting_now = ExpertApplication.objects.get(pk=waiting.application.pk)
    assert waiting_now.eligibility_flags == ["职称级别低于正高级"]
    assert waiting_now.has_eligibility_flags is True


def test_admin_offers_no_delete_for_rules(client, operator):
    rule = EligibilityRule.objects.first()
    response = client.post(reverse("admin:experts_eligibilityrule_delete", args=[rule.pk]), {})
    assert response.status_code == 403
    assert EligibilityRule.objects.filter(pk=rule.pk).exists()


def test_an_admin_edit_of_a_returned_application_recomputes_its_flags(client, operator, unit):
    """A returned form is listed with its flags (已退回（待修改）) and editable in admin; one
    under review is not (its key fields are text there: tests/test_admin.py)."""
    from django.utils import timezone

    from tests.test_admin import admin_form_data

    applicant = waiting_applicant(
        unit, ApplicationStatus.DRAFT, title_level="intermediate", returned_at=timezone.now()
    )
    assert ExpertApplication.objects.get(user=applicant).eligibility_flags == [TITLE]
    application = applicant.application
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data.update(title_level="senior", work_started_on="2000-07-01")

    response = client.post(url, data)

    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.eligibility_flags, application.has_eligibility_flags) == ([], False)


def test_a_recompute_leaves_an_application_decided_meanwhile_as_it_was(unit):
    applicant = waiting_applicant(unit, title_level="intermediate")
    read_while_waiting = list(ExpertApplication.objects.filter(pk=applicant.application.pk))
    ExpertApplication.objects.filter(pk=applicant.application.pk).update(
        status=ApplicationStatus.APPROVED  # a reviewer decides before the write
    )
    EligibilityRule.objects.filter(kind=EligibilityKind.MIN_TITLE_LEVEL).update(active=False)
    for application in read_while_waiting:
        eligibility.apply(application)

    assert eligibility.write(read_while_waiting) == 0

    application = ExpertApplication.objects.get(pk=applicant.application.pk)
    assert application.eligibility_flags == [TITLE]


def test_the_command_recomputes_the_waiting_applications(unit, capsys):
    waiting = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    ExpertApplication.objects.filter(pk=waiting.application.pk).update(submitted_at=timezone.now())

    call_command("recompute_eligibility")

    assert (
        capsys.readouterr().out == "已重新核对1份待审核或已退回的申请的资格提示，其中1份有变化。\n"
    )
    application = ExpertApplication.objects.get(pk=waiting.application.pk)
    assert application.eligibility_flags == ["未填写参加工作时间"]
