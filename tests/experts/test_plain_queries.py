"""What the detail pages read (experts.selectors): each person's applications through
applications_for, their account and unit with them, the history in order, the disciplines in
the classification's order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import UnitStatus
from accounts.permissions import is_bureau_reviewer
from experts import search, services
from experts.models import ApplicationStatus, ExpertApplication
from experts.selectors import applications_for, discipline_names, history_of
from tests import factories

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {
        f.attname: getattr(instance, f.attname) for f in instance._meta.get_fields() if f.concrete
    }


def test_each_person_sees_the_applications_of_their_role(unit, other_unit, reviewer):
    mine = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    colleague = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    elsewhere = factories.make_applicant(other_unit, ApplicationStatus.PENDING_BUREAU)
    pending_unit = factories.make_unit(UnitStatus.PENDING)
    factories.make_applicant(pending_unit)
    unitless = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    type(unitless).objects.filter(pk=unitless.pk).update(unit=None)  # an operator cleared it
    unitless.refresh_from_db()
    search.refresh(ExpertApplication.objects.filter(user=unitless))  # as the admin does
    expected = {
        reviewer: 5,  # every application
        factories.unit_account(unit): {mine, colleague},
        factories.unit_account(other_unit): {elsewhere},
        factories.unit_account(pending_unit): set(),  # not approved: sees nothing
        mine: {mine},
        unitless: set(),  # without a unit, not an applicant: not even their own
    }
    for person, people in expected.items():
        seen = {application.user for application in applications_for(person)}
        if isinstance(people, int):
            assert len(seen) == people, person.username
        else:
            assert seen == people, person.username


def test_the_application_comes_with_its_account_and_unit_in_one_query(unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    expected = ExpertApplication.objects.get(user=applicant)
    assert is_bureau_reviewer(reviewer)  # in a request, the user's query said so already
    with CaptureQueriesContext(connection) as queries:
        application = applications_for(reviewer).get(pk=expected.pk)
        assert application.user.unit.name == unit.name
        assert application.user.application is application  # the one-to-one, both ways
    assert len(queries) == 1
    assert field_values(application) == field_values(expected)
    assert field_values(application.user) == field_values(expected.user)
    assert field_values(application.user.unit) == field_values(unit)
    # Decrypted.
    assert application.user.id_number == expected.user.id_number != ""
    assert application.bank_account == expected.bank_account != ""


def test_an_account_without_a_unit_has_none_without_asking_again(unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    type(applicant).objects.filter(pk=applicant.pk).update(unit=None)
    pk = ExpertApplication.objects.get(user=applicant).pk
    application = applications_for(reviewer).get(pk=pk)
    with CaptureQueriesContext(connection) as queries:
        assert application.user.unit is None
    assert len(queries) == 0


@pytest.mark.parametrize("pk", [0, 2**63, 10**30, 987654])
@pytest.mark.parametrize("url_name", ["experts:bureau_detail", "experts:bureau_approve"])
def test_no_application_for_an_unknown_or_impossible_pk(client, reviewer, url_name, pk):
    client.force_login(reviewer)
    send = client.post if url_name.endswith("approve") else client.get
    assert send(reverse(url_name, args=[pk])).status_code == 404


def test_the_history_is_newest_first_with_its_actors_and_their_units_in_one_query(unit, reviewer):
    applicant = factories.make_applicant(unit)
    application = ExpertApplication.objects.get(user=applicant)
    services.submit_application(application, applicant)
    services.recommend_application(application, factories.unit_account(unit), "推荐")
    services.approve_application(application, reviewer, "同意")
    with CaptureQueriesContext(connection) as queries:
        history = list(history_of(application))
        staff = [row.actor_label(for_staff=True) for row in history]
        others = [row.actor_label(for_staff=False) for row in history]
    assert len(queries) == 1
    assert [row.action for row in history] == ["approve", "recommend", "submit"]
    assert staff == [
        f"科技局审核员（{reviewer.username}）",
        f"单位账号（{unit.name}）",
        f"申请人（{applicant.real_name}）",
    ]
    assert others == ["科技局审核员", f"单位账号（{unit.name}）", "申请人"]
    assert history[0].get_to_status_display() == "审核通过"
    # No history shows a password hash or an ID number: neither is read, nor decrypted.
    sql = str(history_of(application).query)
    assert '"accounts_user"."username"' in sql
    assert '"accounts_user"."password"' not in sql and '"accounts_user"."id_number"' not in sql


def test_the_disciplines_are_named_in_the_classifications_order(unit):
    applicant = factories.make_applicant(unit)
    application = ExpertApplication.objects.get(user=applicant)
    expected = [d.name for d in application.disciplines.order_by("code")]
    assert len(expected) == 2
    assert discipline_names(application) == expected
    application.disciplines.clear()
    assert discipline_names(application) == []


# The session, the viewer with their unit, whether they are in the reviewers' group, their
# authenticator (django-otp's middleware for a reviewer, the second-factor check for a unit), the
# application with its account and unit, the last two submissions' snapshots (what changed), the
# history, the disciplines, its 证明材料 (one query for all: tests/experts/test_attachments.py);
# on the bureau's page also its SMS messages, its 公示异议 (notice) and the draws the expert was
# counted for (本年度抽中次数, one query however many: tests/draws/test_draw_statistics.py).
# No audit row: a page shows the 证件号码 and 银行账号 masked, so a view is no longer a view of
# personal data (查看完整信息 is, and is audited: tests/experts/test_reveal.py).
DETAIL_QUERIES = {"experts:bureau_detail": 12, "experts:unit_detail": 9}


@pytest.mark.parametrize("url_name", DETAIL_QUERIES)
def test_a_detail_page_reads_the_same_queries_however_long_its_history(client, unit, url_name):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    account = factories.unit_account(unit)
    client.force_login(account if url_name == "experts:unit_detail" else factories.make_reviewer())
    url = reverse(url_name, args=[applicant.application.pk])

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [query["sql"] for query in captured]

    # The first request of a process also fills Django's ContentType cache (the SMS list is a
    # generic relation): counted alone, the test would differ from the same test in the suite.
    queries()
    few = queries()
    for _ in range(4):
        services.return_application(applicant.application, account, "请补充。")
        services.submit_application(applicant.application, applicant)
    assert len(queries()) == len(few)
    assert len(few) == DETAIL_QUERIES[url_name], "\n".join(few)
