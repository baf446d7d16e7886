"""The draw record as an auditor reads it: every step in the audit trail, tables that nothing
empties, the 复核 of one round or a void draw, and names as they were when drawn."""

import pytest
from django.db import DatabaseError, connection, transaction

from draws import services
from draws.models import Draw, Event, Pick, Quota, Round, Void
from tests.draws.test_draws import expert, make, members_of

pytestmark = pytest.mark.django_db

DRAW_TABLES = [model._meta.db_table for model in (Draw, Quota, Round, Pick, Event, Void)]


@pytest.fixture
def field(db):
    from experts.models import Discipline

    return Discipline.objects.get(code="01")


@pytest.fixture
def pool(unit, other_unit):
    return [expert(unit) for _ in range(4)] + [expert(other_unit) for _ in range(2)]


# Nothing empties the record ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("table", DRAW_TABLES)
def test_the_database_refuses_to_truncate_a_draw_table(reviewer, pool, field, table):
    """Auditor's walk: `TRUNCATE draws_event;` emptied the record, which the README calls
    append-only as the audit trail is."""
    draw = make(reviewer, field, 2)
    services.answer(reviewer, draw, members_of(draw)[0], Event.Action.CONFIRM)
    services.void(reviewer, draw, "录入错误")
    with connection.cursor() as cursor:
        # The inserts' deferred foreign-key checks would refuse a TRUNCATE in this transaction
        # by themselves; checked now, they leave the trigger to do the refusing.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # CASCADE: a table others refer to refuses a plain TRUNCATE by its foreign keys already.
    refused = pytest.raises(DatabaseError, match="Cannot truncate draws_")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Draw.objects.filter(pk=draw.pk).exists()
    assert Event.objects.filter(draw=draw).count() == 1 and Void.objects.filter(draw=draw).exists()
