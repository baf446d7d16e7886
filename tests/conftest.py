import pytest

from accounts.models import UnitStatus
from experts.sms import locmem
from tests import factories


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


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


def login(client, user):
    client.force_login(user)
    return client


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL's own behaviour; on SQLite they are skipped,
    and -ra prints the reason."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
