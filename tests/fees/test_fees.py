"""专家劳务费: after a review, the bureau records what each expert who took part is paid, the
个人所得税 withheld is worked out, and the 劳务费发放表 goes to the finance office."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from draws import services as draws
from draws.models import Event, Pick
from draws.rules import Criteria
from experts.choices import TitleLevel
from experts.models import Discipline, ExpertApplication
from fees import services
from fees.models import Fee
from fees.tax import gross_for, labour_tax, net_of
from tests import factories
from tests.draws.test_draws import expert

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "amount, tax",
    [
        ("0", "0.00"),
        ("800", "0.00"),
        ("800.01", "0.00"),  # 0.01 × 20 %, to the fen
        ("1500", "140.00"),  # (1500 − 800) × 20 %
        ("4000", "640.00"),
        ("4000.01", "640.00"),  # 4000.01 × 80 % × 20 % = 640.0016
        ("5000", "800.00"),  # 5000 × 80 % × 20 %
        ("25000", "4000.00"),  # 20,000 taxable: the first band's top
        ("30000", "5200.00"),  # 24,000 × 30 % − 2,000
        ("62500", "13000.00"),  # 50,000 × 30 % − 2,000
        ("100000", "25000.00"),  # 80,000 × 40 % − 7,000
    ],
)
def test_the_tax_is_the_withholding_on_labour_income(amount, tax):
    assert labour_tax(Decimal(amount)) == Decimal(tax)


@pytest.mark.parametrize(
    "net, gross",
    [
        ("500", "500.00"),
        ("800", "800.00"),
        ("900", "925.00"),  # (925 − 800) × 20 % = 25
        ("1500", "1675.00"),
        ("3360", "4000.00"),  # the top of the 800-yuan band
        ("3360.01", "4000.01"),
        ("5000", "5952.38"),
        ("21000", "25000.00"),
        ("49500", "62500.00"),
        ("60000", "77941.17"),
    ],
)
def test_the_amount_before_tax_nets_the_standard_to_the_fen(net, gross):
    assert gross_for(Decimal(net)) == Decimal(gross)
    assert net_of(Decimal(gross)) == Decimal(net)


@pytest.fixture
def field(db):
    return Discipline.objects.get(code="01")


def reviewed(reviewer, unit, field, *levels, days_ago=1):
    """A draw whose review was `days_ago` days ago, of as many experts as `levels` (one new
    expert made at each), each drawn recorded 确认参加; and its members in order."""
    experts = [expert(unit, level=level) for level in levels]
    draw = draws.make_draw(
        reviewer,
        project_name="智能制造专项验收",
        review_at=timezone.now() - datetime.timedelta(days=days_ago),
        review_place="市科技局三楼会议室",
        criteria=Criteria(),
        asks=[draws.QuotaAsk(field, len(experts), 0)],
    )
    # The pool may hold experts of earlier draws in the test: those drawn are the members.
    members = [
        pick.application
        for pick in Pick.objects.filter(draw=draw, role=Pick.Role.MEMBER)
        .select_related("application__user")
        .order_by("position")
    ]
    for application in members:
        draws.answer(reviewer, draw, application.pk, Event.Action.CONFIRM)
    return draw, members


def form_data(rows: list[tuple[int, str, str]], **extra) -> dict:
    data = {
        "fee-TOTAL_FORMS": str(len(rows)),
        "fee-INITIAL_FORMS": str(len(rows)),
        "fee-MIN_NUM_FORMS": "0",
        "fee-MAX_NUM_FORMS": "500",
    }
    for n, (application_id, days, amount) in enumerate(rows):
        data.update(
            {
                f"fee-{n}-application": str(application_id),
                f"fee-{n}-days": days,
                f"fee-{n}-amount": amount,
                f"fee-{n}-note": "",
            }
        )
    data.update(extra)
    return data


def test_the_page_lists_those_who_confirmed_with_the_standard_of_their_title(
    reviewing, reviewer, unit, field, settings
):
    settings.FEE_PER_DAY_SENIOR = 1600
    settings.FEE_PER_DAY_OTHER = 1000
    draw, (senior, other) = reviewed(
        reviewer, unit, field, TitleLevel.ASSOCIATE, TitleLevel.INTERMEDIATE
    )
    declined = expert(unit)
    page = reviewing.get(reverse("fees:sheet", args=[draw.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert senior.user.real_name in html and other.user.real_name in html
    assert declined.user.real_name not in html
    # The standards are after tax: the 应发 that nets them, for one day.
    assert 'value="1800.00"' in html and 'value="1050.00"' in html
    assert "高级职称每天1600元，其他每天1000元" in html


def test_saving_records_each_fee_with_its_tax_and_audits_it(reviewing, reviewer, unit, field):
    draw, (first, second) = reviewed(reviewer, unit, field, TitleLevel.SENIOR, TitleLevel.OTHER)

    response = reviewing.post(
        reverse("fees:sheet", args=[draw.pk]),
        form_data([(first.pk, "2", "3000"), (second.pk, "1", "900")]),
    )

    assert response.status_code == 302
    fees = {fee.application_id: fee for fee in Fee.objects.all()}
    assert fees[first.pk].tax == Decimal("440.00") and fees[first.pk].net == Decimal("2560.00")
    assert fees[second.pk].tax == Decimal("20.00") and fees[second.pk].net == Decimal("880.00")
    assert fees[first.pk].days == Decimal("2") and fees[first.pk].updated_by == reviewer
    said = list(
        AuditEvent.objects.filter(detail__startswith="专家劳务费").values_list("detail", flat=True)
    )
    assert len(said) == 2
    assert any("2.0天，应发3000.00元，代扣个人所得税440.00元，实发2560.00元" in d for d in said)

    # A correction says from what; the same figures again change nothing.
    reviewing.post(
        reverse("fees:sheet", args=[draw.pk]),
        form_data([(first.pk, "2", "2400"), (second.pk, "1", "900")]),
    )
    fee = Fee.objects.get(application=first)
    assert fee.amount == Decimal("2400.00") and fee.tax == Decimal("320.00")
    corrected = AuditEvent.objects.filter(detail__startswith="专家劳务费").order_by("pk").last()
    assert "原为2.0天，应发3000.00元" in corrected.detail
    assert AuditEvent.objects.filter(detail__startswith="专家劳务费").count() == 3
    page = reviewing.get(reverse("fees:sheet", args=[draw.pk])).content.decode()
    assert "合计（2人）" in page and "3300.00" in page


@pytest.mark.parametrize(
    "days, amount, said",
    [
        ("0", "1500", "评审天数至少为0.5天。"),
        ("1", "-5", "应发金额不能为负数。"),
        ("1", "abc", "应发金额应为数字"),
        ("1", "100000.01", "应发金额不能超过100000元"),
        ("1", "1500.123", "应发金额最多保留2位小数"),
        ("31", "1500", "评审天数不能超过30天。"),
    ],
)
def test_a_bad_figure_is_named_and_nothing_is_saved(
    reviewing, reviewer, unit, field, days, amount, said
):
    draw, (one,) = reviewed(reviewer, unit, field, TitleLevel.SENIOR)

    response = reviewing.post(
        reverse("fees:sheet", args=[draw.pk]), form_data([(one.pk, days, amount)])
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert said in html
    assert f"{one.user.real_name}的" in html  # the error names the expert
    assert f'value="{amount}"' in html  # what was typed comes back
    assert not Fee.objects.exists()


def test_a_forged_or_declined_expert_saves_nothing(reviewing, reviewer, unit, field):
    draw, (one, two) = reviewed(reviewer, unit, field, TitleLevel.SENIOR, TitleLevel.SENIOR)
    stranger = expert(unit)
    draws.answer(reviewer, draw, two.pk, Event.Action.DECLINE, "时间冲突")

    for rows in ([(one.pk, "1", "1500"), (stranger.pk, "1", "1500")], [(two.pk, "1", "1500")]):
        response = reviewing.post(reverse("fees:sheet", args=[draw.pk]), form_data(rows))
        assert response.status_code == 302
        messages = [m.message for m in get_messages(response.wsgi_request)]
        assert "名单已变化（有专家不再是确认参加），请刷新页面后重新填写。" in messages

    assert not Fee.objects.exists()


def test_no_fee_before_the_review_or_on_a_voided_draw(reviewing, reviewer, unit, field):
    early, (one,) = reviewed(reviewer, unit, field, TitleLevel.SENIOR, days_ago=-3)
    page = reviewing.get(reverse("fees:sheet", args=[early.pk])).content.decode()
    assert "之后才能登记劳务费" in page and "保存劳务费" not in page
    reviewing.post(reverse("fees:sheet", args=[early.pk]), form_data([(one.pk, "1", "1500")]))
    with pytest.raises(services.FeeError, match="之后才能登记劳务费"):
        services.save(reviewer, early, [services.Entry(one.pk, Decimal(1), Decimal(1500))])

    voided, (two,) = reviewed(reviewer, unit, field, TitleLevel.SENIOR)
    draws.void(reviewer, voided, "项目名称填错")
    reviewing.post(reverse("fees:sheet", args=[voided.pk]), form_data([(two.pk, "1", "1500")]))

    assert not Fee.objects.exists()


@pytest.mark.parametrize("who", ["unit", "applicant", "anonymous"])
def test_only_the_bureau_sees_or_records_fees(client, reviewer, unit, field, who):
    draw, (one,) = reviewed(reviewer, unit, field, TitleLevel.SENIOR)
    if who == "unit":
        client.force_login(factories.unit_account(unit))
    elif who == "applicant":
        client.force_login(one.user)

    page = client.get(reverse("fees:sheet", args=[draw.pk]))
    client.post(reverse("fees:sheet", args=[draw.pk]), form_data([(one.pk, "1", "1")]))
    export = client.post(reverse("fees:export", args=[draw.pk]), {"scope": "masked"})

    assert page.status_code in (302, 403, 404)
    assert export.status_code in (302, 403, 404)
    assert not Fee.objects.exists()


def test_the_page_reads_the_same_queries_for_two_or_eight_experts(reviewing, reviewer, unit, field):
    def queries(n: int) -> int:
        draw, experts = reviewed(reviewer, unit, field, *[TitleLevel.SENIOR] * n)
        services.save(
            reviewer,
            draw,
            [services.Entry(a.pk, Decimal(1), Decimal(1500)) for a in experts],
        )
        with CaptureQueriesContext(connection) as captured:
            assert reviewing.get(reverse("fees:sheet", args=[draw.pk])).status_code == 200
        return len(captured)

    assert queries(2) == queries(8)


def sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


def test_the_payment_sheet_masks_numbers_unless_asked_with_a_reason(
    reviewing, reviewer, unit, field
):
    draw, (one, two) = reviewed(reviewer, unit, field, TitleLevel.SENIOR, TitleLevel.OTHER)
    ExpertApplication.objects.filter(pk=one.pk).update(
        bank_name="招商银行武汉分行", bank_account="6225880212345678"
    )
    services.save(
        reviewer,
        draw,
        [
            services.Entry(one.pk, Decimal(1), Decimal(1500), "会议评审"),
            services.Entry(two.pk, Decimal("0.5"), Decimal(450)),
        ],
    )
    url = reverse("fees:export", args=[draw.pk])
    assert '共 <span data-testid="export-count">2</span> 人' in reviewing.get(url).content.decode()

    masked = sheet(reviewing.post(url, {"scope": "masked"}))
    rows = [[cell.value for cell in row] for row in masked.iter_rows()]
    header = rows.index(next(r for r in rows if r[0] == "序号"))
    body = rows[header + 1 :]
    assert [r[1] for r in body] == [one.user.real_name, two.user.real_name, "2人"]
    first = dict(zip(rows[header], body[0], strict=True))
    assert first["证件号码"] != one.user.id_number and "*" in first["证件号码"]
    assert "*" in first["银行账号"]
    assert first["应发金额（元）"] == 1500 and first["代扣个人所得税（元）"] == 140
    assert first["实发金额（元）"] == 1360 and first["备注"] == "会议评审"
    total = dict(zip(rows[header], body[2], strict=True))
    assert total["序号"] == "合计" and total["应发金额（元）"] == 1950
    assert total["实发金额（元）"] == 1950 - 140
    assert any(r[0] == "项目名称" and r[1] == "智能制造专项验收" for r in rows)

    refused = reviewing.post(url, {"scope": "full"})
    assert refused.status_code == 400 and "请填写理由" in refused.content.decode()

    whole = sheet(reviewing.post(url, {"scope": "full", "reason": "财务处发放评审费"}))
    rows = [[cell.value for cell in row] for row in whole.iter_rows()]
    first = dict(zip(rows[header], rows[header + 1], strict=True))
    assert first["证件号码"] == one.user.id_number
    assert first["银行账号"] == "6225880212345678"
    exported = AuditEvent.objects.filter(detail__contains="劳务费发放表").order_by("pk")
    assert exported.count() == 2
    assert "理由：财务处发放评审费" in exported.last().detail


def test_nothing_to_export_before_a_fee_is_recorded(reviewing, reviewer, unit, field):
    draw, _ = reviewed(reviewer, unit, field, TitleLevel.SENIOR)

    page = reviewing.post(reverse("fees:export", args=[draw.pk]), {"scope": "masked"})

    assert page.status_code == 400
    assert "尚未登记任何专家的劳务费" in page.content.decode()


def test_the_draw_page_links_to_the_fees(reviewing, reviewer, unit, field):
    draw, _ = reviewed(reviewer, unit, field, TitleLevel.SENIOR)

    page = reviewing.get(reverse("draws:detail", args=[draw.pk])).content.decode()

    assert reverse("fees:sheet", args=[draw.pk]) in page and "专家劳务费" in page


def test_an_expert_graded_absent_is_not_paid(reviewing, reviewer, unit, field):
    """无故缺席 (confirmed, did not come): off the list, and a fee for them saves nothing."""
    draw, (came, absent) = reviewed(reviewer, unit, field, TitleLevel.SENIOR, TitleLevel.SENIOR)
    draws.evaluate(reviewer, draw, absent.pk, "absent", "未到会且未请假")

    page = reviewing.get(reverse("fees:sheet", args=[draw.pk])).content.decode()
    reviewing.post(
        reverse("fees:sheet", args=[draw.pk]),
        form_data([(came.pk, "1", "1500"), (absent.pk, "1", "1500")]),
    )

    assert came.user.real_name in page and absent.user.real_name not in page
    assert not Fee.objects.exists()
    # A fee recorded before a 不参加 stays, named on the page, off the list and the sheet.
    services.save(reviewer, draw, [services.Entry(came.pk, Decimal(1), Decimal(1500))])
    draws.answer(reviewer, draw, came.pk, Event.Action.DECLINE, "临时出差")
    page = reviewing.get(reverse("fees:sheet", args=[draw.pk])).content.decode()
    assert "未列入下表和劳务费发放表：" + came.user.real_name + "（应发1500.00元" in page
    Fee.objects.all().delete()
    # Corrected to 称职 (they came after all): paid as the others.
    draws.evaluate(reviewer, draw, absent.pk, "competent")
    services.save(reviewer, draw, [services.Entry(absent.pk, Decimal(1), Decimal(1500))])
    assert Fee.objects.get().application == absent


def test_one_expert_twice_in_a_post_or_a_post_without_its_form_saves_nothing(
    reviewing, reviewer, unit, field
):
    draw, (one, _) = reviewed(reviewer, unit, field, TitleLevel.SENIOR, TitleLevel.SENIOR)
    url = reverse("fees:sheet", args=[draw.pk])

    twice = reviewing.post(url, form_data([(one.pk, "1", "1500"), (one.pk, "2", "2000")]))
    assert twice.status_code == 400
    assert "同一位专家填写了两行" in twice.content.decode()
    with pytest.raises(services.FeeError, match="同一位专家填写了两行"):
        services.save(
            reviewer,
            draw,
            [
                services.Entry(one.pk, Decimal(1), Decimal(1)),
                services.Entry(one.pk, Decimal(1), Decimal(2)),
            ],
        )

    bare = reviewing.post(url, {"fee-0-application": str(one.pk), "fee-0-days": "1"})
    assert bare.status_code == 400
    assert "ManagementForm" in bare.content.decode() or "管理表单" in bare.content.decode()
    assert not Fee.objects.exists()


def test_a_post_on_a_closed_draw_says_why(reviewing, reviewer, unit, field):
    early, (one,) = reviewed(reviewer, unit, field, TitleLevel.SENIOR, days_ago=-3)

    response = reviewing.post(
        reverse("fees:sheet", args=[early.pk]), form_data([(one.pk, "1", "1500")])
    )

    assert response.status_code == 409
    assert "劳务费未保存：评审时间" in response.content.decode()
    assert not Fee.objects.exists()
