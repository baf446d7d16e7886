"""ID and bank numbers are encrypted at rest: a dump of the database holds neither."""

import os
import subprocess

import pytest
from django.db import connection

from accounts.models import User
from experts.models import ExpertApplication
from tests import factories


@pytest.mark.django_db
def test_numbers_are_stored_encrypted_and_read_back_in_clear(unit):
    applicant = factories.make_applicant(unit)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, id_number_index FROM accounts_user WHERE id = %s", [applicant.pk]
        )
        stored_id, index = cursor.fetchone()
        cursor.execute(
            "SELECT bank_account FROM experts_expertapplication WHERE user_id = %s", [applicant.pk]
        )
        (stored_bank,) = cursor.fetchone()
    assert applicant.id_number not in stored_id and stored_id.startswith("gAAAA")
    assert "6222020200112233446" not in stored_bank and stored_bank.startswith("gAAAA")
    assert len(index) == 64 and applicant.id_number not in index
    fresh = User.objects.get(pk=applicant.pk)
    assert fresh.id_number == applicant.id_number
    assert ExpertApplication.objects.get(user=fresh).bank_account == "6222020200112233446"


@pytest.mark.django_db
def test_the_same_number_encrypts_differently_but_indexes_the_same(unit):
    first = factories.make_applicant(unit)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM accounts_user WHERE id = %s", [first.pk])
        (token,) = cursor.fetchone()
    assert User.id_index("resident", first.id_number) == first.id_number_index
    assert token != User._meta.get_field("id_number").get_prep_value(first.id_number)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_plaintext_id_or_bank_number(reference_data, unit):
    applicants = [factories.make_applicant(unit) for _ in range(3)]
    numbers = [a.id_number for a in applicants] + ["6222020200112233446", "622202020011223344"]
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            db["NAME"],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert applicants[0].real_name in dump  # the dump did include the rows
    leaked = [number for number in numbers if number in dump]
    assert leaked == []


@pytest.mark.django_db
def test_healthz_details_say_whether_the_stored_numbers_decrypt_with_the_keys(
    client, unit, settings, django_assert_num_queries
):
    """Ops walk, item 5: a restore under other FIELD_ENCRYPTION_KEYS passed migrate --check,
    check and /healthz?details ("ok"); only a page that read a number answered 500."""
    from cryptography.fernet import Fernet

    def details():
        response = client.get("/healthz", {"details": "1"})
        return response.status_code, response.content.decode().splitlines()

    status, lines = details()
    assert (status, lines[0]) == (200, "ok")
    assert "encryption: 尚无加密存储的证件号码" in lines  # no row yet: nothing to test

    applicant = factories.make_applicant(unit)
    status, lines = details()
    assert (status, lines[0]) == (200, "ok")
    assert "encryption: 已存储的证件号码可用 FIELD_ENCRYPTION_KEYS 解密" in lines
    from portal.views import encryption_status

    with django_assert_num_queries(1):
        encryption_status()

    # The database restored where .env holds another key.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    status, lines = details()
    assert status == 503
    assert lines[0] == "stored personal numbers cannot be decrypted with FIELD_ENCRYPTION_KEYS"
    assert (
        "encryption: 已存储的证件号码无法用 FIELD_ENCRYPTION_KEYS 解密：密钥与数据库不符"
        "（恢复时用了别的密钥，或轮换后过早删去了旧密钥）"
    ) in lines
    assert applicant.id_number not in "\n".join(lines)
    assert client.get("/healthz").status_code == 200  # the balancer's probe reads no table


@pytest.mark.django_db
def test_healthz_details_say_whether_the_stored_hashes_are_field_hmac_keys(
    client, unit, settings, django_assert_num_queries
):
    """Ops walk: a restore under another FIELD_HMAC_KEY passed /healthz?details ("ok") while
    no ban matched, every 入库证明 read 已失效 and an ID number could register twice."""
    from portal.views import blind_index_status

    def details():
        response = client.get("/healthz", {"details": "1"})
        return response.status_code, response.content.decode().splitlines()

    status, lines = details()
    assert (status, lines[0]) == (200, "ok")
    assert "blind-index: 尚无证件号码索引" in lines

    applicant = factories.make_applicant(unit)
    status, lines = details()
    assert (status, lines[0]) == (200, "ok")
    assert "blind-index: 已存储的证件号码索引与 FIELD_HMAC_KEY 相符" in lines
    with django_assert_num_queries(2):  # the oldest account and the newest
        blind_index_status()

    # A rotation under way: the former key in FIELD_HMAC_OLD_KEYS still matches.
    former = settings.FIELD_HMAC_KEY
    settings.FIELD_HMAC_KEY, settings.FIELD_HMAC_OLD_KEYS = "a-new-key-" + "n" * 40, [former]
    status, lines = details()
    assert (status, lines[0]) == (200, "ok")
    assert (
        "blind-index: 已存储的证件号码索引与 FIELD_HMAC_OLD_KEYS 中的旧密钥相符"
        "（密钥轮换未完成：运行 reindex_personal_data）"
    ) in lines

    # A rotation stopped halfway (reindex_personal_data goes in key order): the oldest on
    # the new key, the newest still on the old one, and still 未完成.
    newest = factories.make_applicant(unit)
    User.objects.filter(pk=applicant.pk).update(
        id_number_index=User.id_indexes(applicant.id_type, applicant.id_number)[0]
    )
    User.objects.filter(pk=newest.pk).update(
        id_number_index=User.id_indexes(newest.id_type, newest.id_number)[1]
    )
    status, lines = details()
    assert (status, lines[0]) == (200, "ok")
    assert any("FIELD_HMAC_OLD_KEYS 中的旧密钥相符" in line for line in lines)
    User.objects.filter(pk=applicant.pk).update(
        id_number_index=User.id_indexes(applicant.id_type, applicant.id_number)[1]
    )

    # The database restored where .env holds another FIELD_HMAC_KEY.
    settings.FIELD_HMAC_OLD_KEYS = []
    status, lines = details()
    assert status == 503
    assert lines[0] == "stored blind indexes do not match FIELD_HMAC_KEY"
    assert any(
        line.startswith("blind-index: 已存储的证件号码索引与 FIELD_HMAC_KEY 不符") for line in lines
    )
    stored = User.objects.values_list("id_number_index", flat=True).get(pk=applicant.pk)
    assert applicant.id_number not in "\n".join(lines) and stored not in "\n".join(lines)
    assert client.get("/healthz").status_code == 200  # the balancer's probe reads no table
