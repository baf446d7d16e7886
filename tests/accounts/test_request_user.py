"""What every signed-in request loads with its plain queries (accounts.backends,
accounts.sessions, accounts.middleware.OTPMiddleware, portal.rows) is what the ORM loads."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.backends import PortalBackend
from accounts.models import User
from accounts.sessions import SessionStore
from tests import factories

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_user_comes_with_their_unit_and_flags_in_one_query(unit):
    applicant = factories.make_applicant(unit)
    applicant.last_login = timezone.now()
    applicant.save()
    with CaptureQueriesContext(connection) as queries:
        user = PortalBackend().get_user(applicant.pk)
        unit_name = user.unit.name
    assert len(queries) == 1
    expected = User.objects.get(pk=applicant.pk)
    assert field_values(user) == field_values(expected)
    # Decrypted, as the ORM gives it, and timestamps aware.
    assert user.id_number == expected.id_number and user.id_number.startswith("4201")
    assert user.last_login.tzinfo is not None
    assert unit_name == unit.name
    assert field_values(user.unit) == field_values(unit.__class__.objects.get(pk=unit.pk))
    assert user._state.adding is False and user._state.db == "default"
    assert user._is_bureau_reviewer is False and user._has_second_factor is False


def test_a_reviewer_with_an_authenticator_and_no_unit(reviewer):
    TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    with CaptureQueriesContext(connection) as queries:
        user = PortalBackend().get_user(reviewer.pk)
        assert user.unit is None
    assert len(queries) == 1
    assert user._is_bureau_reviewer is True and user._has_second_factor is True


def test_an_unconfirmed_authenticator_is_no_second_factor(reviewer):
    TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=False)
    assert PortalBackend().get_user(reviewer.pk)._has_second_factor is False
    assert PortalBackend().get_user(reviewer.pk)._totp_device is None


def test_the_user_comes_with_their_first_confirmed_authenticator(reviewer):
    TOTPDevice.objects.create(user=reviewer, name="旧手机", confirmed=False)
    first = TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    TOTPDevice.objects.create(user=reviewer, name="平板", confirmed=True)
    TOTPDevice.objects.create(user=factories.make_reviewer(), name="别人的", confirmed=True)
    device = PortalBackend().get_user(reviewer.pk)._totp_device
    assert field_values(device) == field_values(TOTPDevice.objects.get(pk=first.pk))
    assert device.key == first.key and device._state.adding is False


def device_queries(client) -> list[str]:
    """The queries of a bureau page that read an authenticator on their own."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 200
    # The user's own query joins their first confirmed device (its `min(e.id)`).
    return [
        q["sql"]
        for q in queries.captured_queries
        if "otp_totp_totpdevice" in q["sql"] and "min(e.id)" not in q["sql"]
    ]


def test_the_sessions_authenticator_comes_with_the_user(reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    assert device_queries(reviewer_client(reviewer, device)) == []


def test_a_second_authenticator_in_the_session_is_read_and_verifies(reviewer):
    TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    second = TOTPDevice.objects.create(user=reviewer, name="平板", confirmed=True)
    client = reviewer_client(reviewer, second)
    assert len(device_queries(client)) == 1  # not the one the user's query brought
    assert client.session[DEVICE_ID_SESSION_KEY] == second.persistent_id


@pytest.mark.parametrize("user_id", [None, "x", "", 10**30])
def test_no_user_for_a_malformed_or_unknown_id(user_id):
    assert PortalBackend().get_user(user_id) is None


def test_an_inactive_user_is_not_loaded(unit):
    applicant = factories.make_applicant(unit)
    User.objects.filter(pk=applicant.pk).update(is_active=False)
    assert PortalBackend().get_user(applicant.pk) is None


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
    device = TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    assert client.get(reverse("experts:bureau_queue")).status_code == 200


def test_another_persons_authenticator_in_the_session_verifies_nobody(reviewer):
    other = factories.make_reviewer()
    device = TOTPDevice.objects.create(user=other, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor"))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_authenticator_unconfirmed_since_verifies_nobody(reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    "persistent_id", ["otp_totp.totpdevice/999999", "otp_totp.totpdevice/x", "nonsense"]
)
def test_a_forged_authenticator_id_verifies_nobody(reviewer, persistent_id):
    device = TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()
    response = client.get(reverse("experts:bureau_queue"))
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_overlong_authenticator_id_verifies_nobody(reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    client = reviewer_client(reviewer, device)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = "otp_totp.totpdevice/" + "9" * 25
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
    assert application._state.adding is False and application._state.db == "default"
    other = factories.make_applicant(unit)
    ExpertApplication.objects.filter(user=other).delete()
    assert own_application(other) is None


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_page_reads_the_user_through_one_lazy_stand_in(client, unit, signed_in):
    """django-otp wraps the authentication middleware's lazy user in a second one; the portal's
    OTPMiddleware hands on the user itself, so a page's reads pass one stand-in, not two."""
    applicant = factories.make_applicant(unit)
    if signed_in:
        client.force_login(applicant)
    response = client.get(reverse("experts:home") if signed_in else reverse("home"))
    user = response.wsgi_request.user
    assert isinstance(user, LazyObject)
    assert type(user._wrapped) is (User if signed_in else AnonymousUser)
    assert user.is_authenticated is signed_in and user.is_verified() is False
