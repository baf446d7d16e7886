import pytest

from accounts.models import UnitStatus
from sms.backends import locmem
from tests import factories


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what one test cached (the 专业领域 of a database
    it then rolled back) is not another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def private_storage(settings, tmp_path):
    """A storage folder of this test's own: the test workers share the default one."""
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default.get("OPTIONS", {}), "location": tmp_path}},
    }
    return tmp_path


@pytest.fixture
def reference_data(db):
    factories.ensure_reference_data()


@pytest.fixture
def unit(db):
    return factories.make_unit(UnitStatus.APPROVED)


@pytest.fixture
def other_unit(db):
    return factories.make_unit(UnitStatus.APPROVED)


@pytest.fixture
def reviewer(db):
    return factories.make_reviewer()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests marked `slow` run first: pytest-xdist hands tests out in this order, and a slow
    test handed out last keeps one worker busy while the other has nothing left to do (most of
    them are top-level modules, which come last). This runs before pytest-django's own
    ordering, which then puts the transactional tests after the others as before (a flush would
    remove what the migrations loaded), so `slow` moves a test only within its group.

    Tests marked `postgres` need PostgreSQL's own behaviour; on SQLite they are skipped,
    and -ra prints the reason."""
    from django.db import connection

    items.sort(key=lambda item: item.get_closest_marker("slow") is None)

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _second_factor_with_force_login(monkeypatch):
    """Tests that log in with force_login skip the password form, so they skip the second
    factor too: a reviewer or operator gets a confirmed authenticator and a verified session,
    as after entering a code. The two-factor flow itself is tested through its pages. So too
    the 个人信息保护说明: an account that has not agreed to its current version (one made with
    create_user) agrees at force_login; tests of that step make it stale after logging in."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import Authenticator
    from accounts.permissions import requires_second_factor
    from portal import privacy
    from tests.factories import agreed_to_notice

    original = Client.force_login

    def force_login(self, user, backend=None):
        # Asked of the row, not of the instance: a module's shared user keeps the version it
        # was given in a test whose transaction has since rolled back.
        agreed = agreed_to_notice()
        type(user).objects.filter(pk=user.pk).exclude(
            privacy_notice_version=privacy.NOTICE_VERSION
        ).update(**agreed)
        if privacy.owes_agreement(user):
            for name, value in agreed.items():
                setattr(user, name, value)
        original(self, user, backend)
        if requires_second_factor(user):
            device = Authenticator.objects.filter(user=user, confirmed=True).first()
            device = device or Authenticator.objects.create(user=user, name="测试", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True, scope="session")
def _jinja2_contexts_for_the_test_client():
    """Django's test client sees the context of Django templates only (it instruments them in
    setup_test_environment); do the same for the Jinja2 pages, so that `response.context` and
    `response.templates` work for every page."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    original = Template.render

    def render(self, context=None, request=None):
        content = original(self, context, request)
        self.name = self.origin.template_name  # as assertTemplateUsed reads it
        template_rendered.send(sender=self, template=self, context=context)
        return content

    Template.render = render
    yield
    Template.render = original
