"""Two first downloads at the same moment (a double click, two tabs): one certificate, and both
get it. Each thread has its own PostgreSQL connection and starts at one barrier."""

import threading

import pytest
from django.db import connection

from certificates.models import Certificate
from certificates.services import certificate_for
from experts.models import ExpertApplication

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

THREADS = 5
REPETITIONS = 10


def race(application_pk: int) -> tuple[list[int], list[str]]:
    """THREADS first downloads at once: the certificates they got, and any error."""
    barrier = threading.Barrier(THREADS)
    issued, errors = [], []

    def download():
        try:
            application = ExpertApplication.objects.get(pk=application_pk)
            barrier.wait()
            issued.append(certificate_for(application).pk)
        except Exception as error:  # reported by the test, with the others'
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return issued, errors


def test_simultaneous_first_downloads_issue_one_certificate(admitted):
    application_pk = admitted().application.pk
    for _ in range(REPETITIONS):
        Certificate.objects.all().delete()
        issued, errors = race(application_pk)
        assert errors == []
        assert Certificate.objects.count() == 1
        assert issued == [Certificate.objects.get().pk] * THREADS
