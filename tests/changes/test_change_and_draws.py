"""A change request racing a draw: the draw uses the version in force (issue 23, "Done means").

A pending change of 专业领域, 职称级别 or unit changes nothing in who is eligible; once the
bureau approves it, the draw sees the new values."""

import pytest

from changes import services
from draws.rules import Criteria, eligible_ids
from experts.models import Discipline
from tests import factories
from tests.changes.helpers import admitted, change_form

pytestmark = pytest.mark.django_db


def cleaned(user, **overrides) -> dict:
    """The change form's cleaned data, from what the page would post."""
    form = change_form(user, **overrides)
    assert form.is_valid(), form.errors
    return form.cleaned_data


def test_a_pending_change_does_not_change_who_is_eligible(reference_data, unit, other_unit):
    reviewer = factories.make_reviewer()
    expert = admitted(unit)
    field_01 = Discipline.objects.get(code="01").pk
    field_02 = Discipline.objects.get(code="02").pk
    avoid_old_unit = Criteria(avoid_unit_ids=(unit.pk,))
    senior_only = Criteria(min_title_level="senior")
    pk = expert.application.pk

    def anywhere(criteria):
        return any(pk in eligible_ids(reviewer, criteria, field) for field in (field_01, field_02))

    def eligibility():
        return (
            pk in eligible_ids(reviewer, Criteria(), field_01),
            pk in eligible_ids(reviewer, Criteria(), field_02),
            anywhere(avoid_old_unit),
            anywhere(senior_only),
        )

    assert eligibility() == (True, False, False, True)
    saved = services.save_changes(
        expert.application,
        expert,
        cleaned(expert, disciplines=["02"], unit=other_unit, title_level="associate"),
    )
    change = saved.request
    assert eligibility() == (True, False, False, True)  # 待单位确认: the version in force

    services.confirm_change(change, factories.unit_account(other_unit))
    assert eligibility() == (True, False, False, True)  # 待科技局审核: still in force

    services.approve_change(change, reviewer)
    # Now 专业领域 02, at the new unit (no longer avoided), 副高级 (below 正高级 only).
    assert eligibility() == (False, True, True, False)


def test_a_rejected_change_leaves_the_draw_as_it_was(reference_data, unit, other_unit):
    reviewer = factories.make_reviewer()
    expert = admitted(unit)
    field_01 = Discipline.objects.get(code="01").pk
    saved = services.save_changes(
        expert.application, expert, cleaned(expert, disciplines=["02"], unit=other_unit)
    )
    services.confirm_change(saved.request, factories.unit_account(other_unit))
    services.reject_change(saved.request, reviewer, "材料不全")
    assert expert.application.pk in eligible_ids(reviewer, Criteria(), field_01)
    assert expert.application.pk in eligible_ids(
        reviewer, Criteria(avoid_unit_ids=(other_unit.pk,)), field_01
    )
