"""A 批量处理 batch the database cuts off part-way: it stops at that item, tells the person how
many were done, and confirming again once the database is back does the rest, each item once."""

import re

import pgtrigger
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import BulkBatch
from experts.models import ApplicationStatus, ExpertApplication
from sms.models import SMSMessage
from tests import factories
from tests.experts.test_bulk import BULK, batch_token, ids, pending, statuses

S = ApplicationStatus
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def server_gone_at(application) -> pgtrigger.Trigger:
    """A trigger that ends the connection deciding `application` (its server process
    terminates itself), as a restart or a failover of PostgreSQL would in mid-batch."""
    return pgtrigger.Trigger(
        name="test_server_gone",
        when=pgtrigger.Before,
        operation=pgtrigger.Update,
        condition=pgtrigger.Q(new__id=application.pk, new__status=S.APPROVED),
        func="PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW;",
    )


def hidden_fields(html: str) -> list[tuple[str, str]]:
    form = html.split('data-testid="bulk-continue"')[1].split("</form>")[0]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)


def test_a_batch_cut_off_stops_says_how_many_and_runs_the_rest_when_confirmed_again(
    reference_data, unit, caplog
):
    chosen = pending(unit, 6)
    reviewer = factories.make_reviewer()
    client = Client()
    client.force_login(reviewer)
    page = client.get(reverse(BULK), {"action": "approve", "ids": ids(chosen)}, follow=True)
    posted = {"action": "approve", "ids": ids(chosen), "comment": "", "batch": batch_token(page)}
    trigger = server_gone_at(chosen[2])
    trigger.install(ExpertApplication)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse(BULK), posted)
    finally:
        trigger.uninstall(ExpertApplication)

    # Stopped at the third: the connection Django opens again for the next item is not used.
    assert statuses(chosen) == [S.APPROVED] * 2 + [S.PENDING_BUREAU] * 4
    # Nothing asked of the database after the query it cut off: the page needs none, as the
    # database may still be away.
    asked = [query["sql"] for query in queries.captured_queries]
    assert asked[-2].startswith('UPDATE "experts_expertapplication" SET "status"')
    assert asked[-1] == "ROLLBACK"  # the item's transaction, tried on the broken connection
    html = response.content.decode()
    assert response.status_code == 503
    assert "批量审核通过未全部完成" in html
    assert "已完成 2 份申请，其余 4 份申请未处理" in html
    assert "再次执行本批次即可处理其余申请；已完成的不会重复处理" in html
    interrupted = [r for r in caplog.records if r.name == "portal.bulk"]
    assert [r.getMessage() for r in interrupted] == [
        f"bulk approve: interrupted by the database at item {chosen[2].pk}, 2 of 6 done"
    ]

    # The database is back. The batch's row is still marked running (the run that stopped
    # could not mark it): the confirmation page posted again (a second tab, the back button)
    # is taken for a run still going, and decides nothing.
    row = BulkBatch.objects.get(token=posted["batch"])
    assert row.status == BulkBatch.Status.RUNNING
    meanwhile = client.post(reverse(BULK), posted, follow=True)
    assert "该批次正在处理，未重复执行。" in meanwhile.content.decode()
    assert statuses(chosen) == [S.APPROVED] * 2 + [S.PENDING_BUREAU] * 4
    # The page's button carries the stopped run's claim: it continues the same batch.
    fields = hidden_fields(html)
    assert ("batch", posted["batch"]) in fields
    assert ("claim", row.claim) in fields
    assert [value for name, value in fields if name == "ids"] == [str(pk) for pk in ids(chosen[2:])]
    again = client.post(reverse(BULK), _as_post(fields), follow=True)

    assert "已完成 4 份申请" in again.content.decode()
    assert statuses(chosen) == [S.APPROVED] * 6
    assert SMSMessage.objects.count() == 6
    for application in chosen:
        assert application.history.filter(action="approve").count() == 1
    # The batch is used up now: confirming it again shows its result and decides nothing.
    third = client.post(reverse(BULK), _as_post(fields), follow=True)
    assert "该批次已处理，未重复执行" in third.content.decode()


def _as_post(fields):
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data
