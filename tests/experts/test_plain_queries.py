"""The detail pages' plain queries (experts.selectors over portal.rows) give what the ORM gives:
the same applications to the same people, the same columns, the same history in the same
order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import UnitStatus
from accounts.permissions import is_bureau_reviewer
from experts import search, services
from experts.models import ApplicationStatus, ExpertApplication
from experts.selectors import (
    applications_for,
    discipline_names,
    history_of,
    visible_application,
)
from tests import factories

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_each_person_sees_by_pk_exactly_what_applications_for_lists(unit, other_unit, reviewer):
    mine = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    factories.make_applicant(unit, ApplicationStatus.APPROVED)
    factories.make_applicant(other_unit, ApplicationStatus.PENDING_BUREAU)
    pending_unit = factories.make_unit(UnitStatus.PENDING)
    factories.make_applicant(pending_unit)
    unitless = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    type(unitless).objects.filter(pk=unitless.pk).update(unit=None)  # an operator cleared it
    unitless.refresh_from_db()
    search.refresh(ExpertApplication.objects.filter(user=unitless))  # as the admin does
    people = [
        unitless,
        reviewer,
        factories.unit_account(unit),
        factories.unit_account(other_unit),
        factories.unit_account(pending_unit),  # not approved: sees nothing
        mine,
    ]
    every = list(ExpertApplication.objects.values_list("pk", flat=True))
    for person in people:
        expected = set(applications_for(person).values_list("pk", flat=True))
        seen = {pk for pk in every if visible_application(person, pk) is not None}
        assert seen == expected, person.username
    # Each rule lets someone through and keeps someone out.
    assert len(set(applications_for(reviewer))) == 5
    assert {a.user for a in applications_for(mine)} == {mine}


def test_the_application_comes_with_its_account_and_unit_in_one_query(unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    expected = ExpertApplication.objects.select_related("user__unit").get(user=applicant)
    assert is_bureau_reviewer(reviewer)  # in a request, the user's query said so already
    with CaptureQueriesContext(connection) as queries:
        application = visible_application(reviewer, expected.pk)
        assert application.user.unit.name == unit.name
        assert application.user.application is application  # the one-to-one, both ways
    assert len(queries) == 1
    assert field_values(application) == field_values(expected)
    assert field_values(application.user) == field_values(expected.user)
    assert field_values(application.user.unit) == field_values(unit)
    # Decrypted, as the ORM gives them.
    assert application.user.id_number == expected.user.id_number != ""
    assert application.bank_account == expected.bank_account != ""
    assert application._state.adding is False


def test_an_account_without_a_unit_has_none_without_asking_again(unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    type(applicant).objects.filter(pk=applicant.pk).update(unit=None)
    pk = ExpertApplication.objects.get(user=applicant).pk
    application = visible_application(reviewer, pk)
    with CaptureQueriesContext(connection) as queries:
        assert application.user.unit is None
    assert len(queries) == 0


@pytest.mark.parametrize("pk", [0, -1, 2**63, 10**30, 987654])
def test_no_application_for_an_unknown_or_impossible_pk(reviewer, pk):
    assert visible_application(reviewer, pk) is None


def test_the_history_is_what_the_orm_gives_newest_first_with_its_actors(unit, reviewer):
    applicant = factories.make_applicant(unit)
    application = ExpertApplication.objects.get(user=applicant)
    services.submit_application(application, applicant)
    services.recommend_application(application, factories.unit_account(unit), "推荐")
    services.approve_application(application, reviewer, "同意")
    expected = list(application.history.select_related("actor").order_by("-created_at", "-pk"))
    with CaptureQueriesContext(connection) as queries:
        history = history_of(application, with_actors=True)
        actors = [row.actor.username for row in history]
    assert len(queries) == 1
    assert [row.action for row in history] == ["approve", "recommend", "submit"]
    assert [field_values(row) for row in history] == [field_values(row) for row in expected]
    assert actors == [reviewer.username, factories.unit_account(unit).username, applicant.username]
    assert history[0].get_to_status_display() == "审核通过"
    # Without actors, none are loaded (the applicant sees roles only).
    assert "actor" not in history_of(application)[0]._state.fields_cache


def test_the_disciplines_are_named_in_the_classifications_order(unit):
    applicant = factories.make_applicant(unit)
    application = ExpertApplication.objects.get(user=applicant)
    expected = [d.name for d in application.disciplines.all()]
    assert len(expected) == 2
    assert discipline_names(application) == expected
    application.disciplines.clear()
    assert discipline_names(application) == []
