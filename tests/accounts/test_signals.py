"""accounts tells experts through signals (accounts.signals); experts' receivers run in the
sender's transaction, so an account change and its effect on applications commit together."""

import pytest

from accounts import services, signals
from accounts.models import User
from experts.models import ApplicationStatus, ExpertApplication
from tests import factories

pytestmark = pytest.mark.django_db


def new_applicant(unit) -> User:
    return User(
        username="wangwu",
        real_name="王五",
        id_type="resident",
        id_number=factories.resident_id(9001),
        mobile="+8613712345678",
        email="wangwu@example.com",
        unit=unit,
    )


def test_registering_an_individual_opens_their_application(unit):
    user = services.register_individual(new_applicant(unit), password=factories.PASSWORD)
    application = ExpertApplication.objects.get(user=user)
    assert (application.status, application.unit_id) == (ApplicationStatus.DRAFT, unit.pk)


def test_a_failing_receiver_rolls_the_registration_back(unit):
    def fail(sender, **kwargs):
        raise RuntimeError("receiver failed")

    signals.applicant_registered.connect(fail, dispatch_uid="test.fail")
    try:
        with pytest.raises(RuntimeError):
            services.register_individual(new_applicant(unit), password=factories.PASSWORD)
    finally:
        signals.applicant_registered.disconnect(dispatch_uid="test.fail")
    assert not User.objects.filter(username="wangwu").exists()
    assert not ExpertApplication.objects.exists()


def test_renaming_a_unit_refreshes_its_applications_search_text(unit):
    applicant = factories.make_applicant(unit)
    unit.name = "武汉改名研究院"
    unit.save(update_fields=["name"])
    services.unit_changed(unit, ["name"])
    assert "武汉改名研究院" in ExpertApplication.objects.get(user=applicant).search_text
