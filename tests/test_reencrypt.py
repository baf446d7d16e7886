"""Ops walk G3: after a new first key is put in FIELD_ENCRYPTION_KEYS, `reencrypt_personal_data`
rewrites every encrypted value under it (the two columns and the copies inside JSON), so the old
key can be dropped; a second run writes nothing, a dry run nothing at all, and each run is
audited by count."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from accounts.models import Authenticator, User
from audit.models import AuditEvent
from changes import fields
from changes.models import ChangeKind, ChangeRequest
from experts import services
from experts.models import ApplicationStatus, ApplicationTransition, ExpertApplication
from experts.snapshots import compare
from tests import factories

pytestmark = pytest.mark.django_db

NEW_KEY = Fernet.generate_key().decode()
NEW_BANK = "6217000010009876543"
# What `submitted` leaves to rewrite, and a second run's counts.
WRITTEN = "证件号码2条，银行账号2条，身份验证器密钥1条，提交记录1条，变更申请1条"
NOTHING = "证件号码0条，银行账号0条，身份验证器密钥0条，提交记录0条，变更申请0条"


def stored_tokens() -> list[str]:
    """Every encrypted value as the database holds it, JSON copies included."""
    tokens = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM accounts_user WHERE id_number <> ''")
        tokens += [token for (token,) in cursor.fetchall()]
        cursor.execute(
            "SELECT bank_account FROM experts_expertapplication WHERE bank_account <> ''"
        )
        tokens += [token for (token,) in cursor.fetchall()]
    # The authenticators' keys as stored: cast to text, not decrypted by the field.
    tokens += Authenticator.objects.annotate(
        token=Cast("key", output_field=TextField())
    ).values_list("token", flat=True)
    for snapshot in ApplicationTransition.objects.exclude(snapshot=None).values_list(
        "snapshot", flat=True
    ):
        tokens += [value for _, _, value, secret in snapshot["rows"] if secret]
    for values, before, after in ChangeRequest.objects.values_list("values", "before", "after"):
        tokens += [values[name] for name in fields.SECRET if values.get(name)]
        for copy in (before, after):
            tokens += [value for _, _, value, secret in copy["rows"] if secret]
    return tokens


def under(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(**options) -> str:
    out = io.StringIO()
    call_command("reencrypt_personal_data", stdout=out, **options)
    return out.getvalue().strip()


@pytest.fixture
def submitted(unit) -> User:
    """Under the key the tests start with: an applicant who has submitted (a snapshot) and
    bound an authenticator, and an expert with a 变更申请 of the bank account; returns the
    applicant."""
    applicant = factories.make_applicant(unit)
    Authenticator.objects.create(user=applicant, name="手机", confirmed=True)
    services.submit_application(applicant.application, applicant)
    expert = factories.make_applicant(unit, ApplicationStatus.APPROVED)
    application = ExpertApplication.objects.select_related("user").get(user=expert)
    in_force = fields.current(application)
    ChangeRequest.objects.create(
        application=application,
        kind=ChangeKind.KEY,
        requested_by=expert,
        old_unit_id=application.unit_id,
        confirming_unit_id=application.unit_id,
        values=fields.encode({"bank_account": NEW_BANK}),
        before=fields.snapshot({"bank_account": in_force["bank_account"]}),
        after=fields.snapshot({"bank_account": NEW_BANK}),
        changed_labels="银行账号",
    )
    return applicant


def rotate(settings) -> None:
    """The operator's step 1: a new key first, the former ones after it."""
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, *settings.FIELD_ENCRYPTION_KEYS]


def audited() -> list[tuple[str, str, str]]:
    events = AuditEvent.objects.filter(action=AuditEvent.Action.REENCRYPT).order_by("pk")
    return [(event.username, event.role, event.detail) for event in events]


def test_every_copy_is_rewritten_under_the_new_key_and_the_old_key_can_go(submitted, settings):
    tokens = stored_tokens()
    # Two accounts' ID numbers and bank accounts, an authenticator's key, the 提交's two
    # numbers, the request's three.
    assert len(tokens) == 10
    assert not any(under(NEW_KEY, token) for token in tokens)
    people = {user.pk: user.id_number for user in User.objects.exclude(id_number="")}
    banks = dict(ExpertApplication.objects.values_list("pk", "bank_account"))
    code = factories.totp_code(Authenticator.objects.get())

    rotate(settings)
    output = reencrypt(batch=1)

    assert output == f"已重新加密：{WRITTEN}。"
    assert all(under(NEW_KEY, token) for token in stored_tokens())
    assert reencrypt() == f"已重新加密：{NOTHING}。"
    # The old key dropped: everything still reads as before.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert {user.pk: user.id_number for user in User.objects.exclude(id_number="")} == people
    assert dict(ExpertApplication.objects.values_list("pk", "bank_account")) == banks
    # The authenticator app, which holds the key as it was bound, still signs in.
    assert Authenticator.objects.get().verify_token(code)
    snapshot = ApplicationTransition.objects.exclude(snapshot=None).get().snapshot
    shown = {
        change.label: change.new
        for change in compare(snapshot, snapshot, frozenset({"证件号码", "银行账号"}))
    }
    assert shown["证件号码"] == submitted.id_number
    request = ChangeRequest.objects.get()
    assert fields.decode(request.values) == {"bank_account": NEW_BANK}


def test_a_value_under_no_key_stops_the_run_with_the_reason(unit, settings):
    factories.make_applicant(unit)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(Exception, match="FIELD_ENCRYPTION_KEYS lacks its key"):
        reencrypt()


def test_a_dry_run_counts_and_changes_nothing(submitted, settings):
    rotate(settings)
    tokens = sorted(stored_tokens())

    output = reencrypt(dry_run=True)

    assert output == (f"试运行：将重新加密{WRITTEN}；未做任何更改。")
    assert sorted(stored_tokens()) == tokens
    assert audited() == []


def test_a_run_that_writes_is_audited_with_its_counts_a_run_that_writes_nothing_is_not(
    submitted, settings
):
    """Ops walk, item 7: security.md says "each run that writes is recorded", and a second run,
    which writes nothing, wrote a row of zeros."""
    rotate(settings)

    reencrypt()
    first = audited()
    assert reencrypt() == f"已重新加密：{NOTHING}。"

    assert first == [
        ("reencrypt_personal_data", "系统", WRITTEN),
    ]
    assert audited() == first
