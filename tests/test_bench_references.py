"""The benchmark's raw list (bench/) is what it claims to be: the 专家审核 queue's first page,
the same applications in the same order, from one query of its own. Its search mix holds what
the issue asks for."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from experts.models import ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_urls():
    from bench import settings as bench_settings

    with override_settings(ROOT_URLCONF="bench.urls", TEMPLATES=bench_settings.TEMPLATES):
        yield


def test_the_raw_list_is_the_queues_first_page(client, reviewer, unit, bench_urls):
    for n in range(30):
        factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name=f"申请人{n:02d}")
    client.force_login(reviewer)
    queue = client.get(reverse("experts:bureau_queue"))
    expected = [application.pk for application in queue.context["rows"]]
    assert len(expected) == 25

    with CaptureQueriesContext(connection) as queries:
        raw = client.get("/bench/raw/")
    assert raw.status_code == 200
    listed = [int(pk) for pk in re.findall(r"<tr><td>(\d+)</td>", raw.content.decode())]
    assert listed == expected
    # The session, the user and the authenticator, then the one query of the list itself.
    assert sum("experts_expertapplication" in q["sql"] for q in queries.captured_queries) == 1


def test_the_search_mix_has_every_kind_of_term(unit):
    """专家库's search is measured on a mix (bench/search_terms.py): at least 50 terms, of every
    kind the issue names, none of which the search would drop as empty."""
    from bench import search_terms
    from experts.search import normalise

    for n in range(12):
        factories.make_applicant(unit, ApplicationStatus.APPROVED, name=f"专家{n:02d}")
    drawn = search_terms.drawn_names()
    assert len(drawn) == search_terms.DRAWN_NAMES
    assert set(drawn) <= {f"专家{n:02d}" for n in range(12)}

    terms = search_terms.mix(drawn)
    assert len(terms) >= 50
    assert {kind for kind, _ in terms} == set(search_terms.KINDS_OF_TERM)
    assert all(normalise(term) for _, term in terms)
    assert len({term for _, term in terms}) == len(terms)
