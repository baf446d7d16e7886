"""The licence scan: checked on upload, stored under a random name, shown only to its unit and
to bureau reviewers."""

import stat
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from experts.models import ApplicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_unit_and_reviewer_can_download_the_licence(client, unit, reviewer):
    url = reverse("accounts:licence", args=[unit.pk])
    for user in (factories.unit_account(unit), reviewer):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"


def test_other_people_get_404_for_the_licence(client, unit, other_unit):
    url = reverse("accounts:licence", args=[unit.pk])
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    for user in (factories.unit_account(other_unit), applicant):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_login_for_the_licence(client, unit):
    response = client.get(reverse("accounts:licence", args=[unit.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_licence_file_missing_from_disk_is_a_404_not_a_500(client, unit, reviewer, caplog):
    unit.licence.storage.delete(unit.licence.name)
    client.force_login(reviewer)
    assert client.get(reverse("accounts:licence", args=[unit.pk])).status_code == 404
    # The operator hears which file is gone.
    assert [r.getMessage() for r in caplog.records if r.name == "portal.uploads"] == [
        f"stored scan is missing: {unit.licence.name}"
    ]


def test_pdf_licence_is_a_download_and_images_are_sandboxed(client, reviewer):
    unit = factories.make_unit()
    unit.licence.save("scan.pdf", SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n"))
    client.force_login(reviewer)
    response = client.get(reverse("accounts:licence", args=[unit.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_admin_upload_of_a_licence_is_checked_too():
    from django.core.exceptions import ValidationError

    unit = factories.make_unit()
    unit.licence = SimpleUploadedFile("evil.svg", b"<svg onload=alert(1)></svg>")
    with pytest.raises(ValidationError) as error:
        unit.full_clean(exclude=["status"])  # a protected FSM field cannot be re-assigned
    assert "仅支持jpg、png或pdf格式" in str(error.value)


def test_a_stored_scan_is_readable_by_the_portals_user_and_group_only(unit):
    """Ops walk G2: scans were written -rw-r--r--, readable by every account on the host."""
    path = Path(unit.licence.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
