"""What every signed-in request loads: Django's own session and user (ModelBackend, with the
unit), django-otp's verified device, and the flags the permissions ask about."""

import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import Authenticator, User
from tests import factories

pytestmark = pytest.mark.django_db

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def field_values(instance) -> dict:
    return {
        f.attname: getattr(instance, f.attname) for f in instance._meta.get_fields() if f.concrete
    }


def test_the_user_comes_with_their_unit_in_one_query(unit):
    applicant = factories.make_applicant(unit)
    applicant.last_login = timezone.now()
    applicant.save()
    with CaptureQueriesContext(connection) as queries:
        user = ModelBackend().get_user(applicant.pk)
        unit_name = user.unit.name
    assert len(queries) == 1
    expected = User.objects.get(pk=applicant.pk)
    assert field_values(user) == field_values(expected)
    assert user.id_number == expected.id_number and user.id_number.startswith("4201")
    assert user.last_login.tzinfo is not None
    assert unit_name == unit.name
    assert user.in_bureau_group is False and user.has_confirmed_device is False


def test_the_flags_are_read_once_per_user(reviewer):
    Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    user = ModelBackend().get_user(reviewer.pk)
    assert user.unit is None
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert user.in_bureau_group is True and user.has_confirmed_device is True
    assert len(queries) == 2


def test_an_unconfirmed_authenticator_is_no_second_factor(reviewer):
    Authenticator.objects.create(user=reviewer, name="手机", confirmed=False)
    assert ModelBackend().get_user(reviewer.pk).has_confirmed_device is False


def device_queries(client) -> list[str]:
    """The queries of a bureau page that read an authenticator."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries if "accounts_authenticator" in q["sql"]]


def test_the_sessions_authenticator_is_read_once_a_page(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    assert len(device_queries(reviewer_client(reviewer, device))) == 1


def test_a_second_authenticator_in_the_session_is_read_and_verifies(reviewer):
    Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    second = Authenticator.objects.create(user=reviewer, name="平板", confirmed=True)
    client = reviewer_client(reviewer, second)
    assert len(device_queries(client)) == 1
    assert client.session[DEVICE_ID_SESSION_KEY] == second.persistent_id


@pytest.mark.parametrize("user_id", [None, 999_999_999, 10**30])
def test_no_user_for_an_unknown_id(user_id):
    assert ModelBackend().get_user(user_id) is None


def test_an_inactive_user_is_not_loaded(unit):
    applicant = factories.make_applicant(unit)
    User.objects.filter(pk=applicant.pk).update(is_active=False)
    assert ModelBackend().get_user(applicant.pk) is None


def test_a_session_is_read_until_it_expires():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    key = store.session_key
    assert SessionStore(key).load() == {"answer": 42}
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new one is made, never the expired key reused


def test_an_unknown_session_key_loads_nothing():
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def reviewer_client(reviewer, device):
    from django.test import Client

    client = Client()
    client.force_login(reviewer)  # conftest verifies the session with the reviewer's device
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_the_sessions_authenticator_verifies_its_owner(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    assert client.get(reverse("experts:bureau_queue")).status_code == 200


def test_another_persons_authenticator_in_the_session_verifies_nobody(reviewer):
    other = factories.make_reviewer()
    device = Authenticator.objects.create(user=other, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor"))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_authenticator_unconfirmed_since_verifies_nobody(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    Authenticator.objects.filter(pk=device.pk).update(confirmed=False)
    response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    "persistent_id", ["accounts.authenticator/999999", "accounts.authenticator/x", "nonsense"]
)
def test_a_forged_authenticator_id_verifies_nobody(reviewer, persistent_id):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()
    response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_overlong_authenticator_id_verifies_nobody(reviewer):
    device = Authenticator.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = "accounts.authenticator/" + "9" * 25
    session.save()
    response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_applicants_own_application_is_what_the_orm_loads(unit):
    from experts.models import ApplicationStatus, ExpertApplication
    from experts.selectors import own_application

    applicant = factories.make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    with CaptureQueriesContext(connection) as queries:
        application = own_application(applicant)
        assert application.user is applicant  # the request's own, not loaded again
    assert len(queries) == 1
    expected = ExpertApplication.objects.get(user=applicant)
    assert field_values(application) == field_values(expected)
    # Decrypted, as the ORM gives them, and timestamps aware.
    assert application.bank_account == expected.bank_account == "6222020200112233446"
    assert application.submitted_at.tzinfo is not None
    other = factories.make_applicant(unit)
    ExpertApplication.objects.filter(user=other).delete()
    assert own_application(other) is None


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_page_reads_the_signed_in_user_unverified(client, unit, signed_in):
    applicant = factories.make_applicant(unit)
    if signed_in:
        client.force_login(applicant)
    response = client.get(reverse("experts:home") if signed_in else reverse("home"))
    user = response.wsgi_request.user
    assert user.is_authenticated is signed_in and user.is_verified() is False
    assert user.pk == (applicant.pk if signed_in else None)
