"""The rows 专家库's 专业领域 counts read (experts.models.FacetDiscipline): each application's
picks and the field of each sub-field picked, once each, following every way picks change."""

import importlib
import threading
import time

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from experts.models import ApplicationStatus, Discipline, ExpertApplication, FacetDiscipline
from tests import factories

pytestmark = pytest.mark.django_db
S = ApplicationStatus


def codes(application) -> set[str]:
    """The codes of the disciplines `application` is counted under."""
    ids = FacetDiscipline.objects.filter(application=application).values_list(
        "discipline_id", flat=True
    )
    return set(Discipline.objects.filter(pk__in=list(ids)).values_list("code", flat=True))


def expected(application) -> set[str]:
    """Worked out from the picks in Python: each pick, and its field."""
    picked = application.disciplines.select_related("parent")
    return {d.code for d in picked} | {d.parent.code for d in picked if d.parent_id}


def discipline(code: str) -> Discipline:
    return Discipline.objects.get(code=code)


def test_two_sub_fields_of_one_field_count_the_field_once(unit):
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.set([discipline("0101"), discipline("0104"), discipline("02")])
    assert codes(application) == {"0101", "0104", "01", "02"} == expected(application)
    assert FacetDiscipline.objects.filter(application=application).count() == 4


def test_the_rows_follow_add_remove_set_and_clear(unit):
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.clear()
    assert codes(application) == set()
    application.disciplines.add(discipline("0101"))
    assert codes(application) == {"0101", "01"}
    application.disciplines.add(discipline("0302"))
    assert codes(application) == {"0101", "01", "0302", "03"}
    application.disciplines.remove(discipline("0101"))
    assert codes(application) == {"0302", "03"}
    application.disciplines.set([discipline("01")])
    assert codes(application) == {"01"}
    application.disciplines.clear()
    assert codes(application) == set()


def test_the_rows_follow_picks_changed_from_the_disciplines_side(unit):
    first = factories.make_applicant(unit, S.APPROVED).application
    second = factories.make_applicant(unit, S.APPROVED).application
    for application in (first, second):
        application.disciplines.clear()
    software = discipline("0101")
    software.expertapplication_set.add(first, second)
    assert codes(first) == codes(second) == {"0101", "01"}
    software.expertapplication_set.remove(first)
    assert codes(first) == set() and codes(second) == {"0101", "01"}
    software.expertapplication_set.clear()
    assert codes(second) == set()


def test_an_add_of_picks_already_there_or_a_remove_of_none_rebuilds_nothing(unit):
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.set([discipline("0101")])
    with CaptureQueriesContext(connection) as queries:
        application.disciplines.add(discipline("0101"))
        discipline("0302").expertapplication_set.add()
    assert not any("facetdiscipline" in q["sql"] for q in queries.captured_queries)
    assert codes(application) == {"0101", "01"}


def test_a_clear_from_the_disciplines_side_leaves_nothing_on_the_discipline(unit):
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.set([discipline("0101")])
    software = discipline("0101")
    software.expertapplication_set.clear()
    assert codes(application) == set()
    assert not hasattr(software, "applications_before_clear")


def test_an_approved_change_of_disciplines_moves_the_rows(unit):
    from changes import services
    from changes.forms import ChangeForm
    from tests.changes.helpers import admitted, post_data

    expert = admitted(unit)
    application = expert.application
    application.disciplines.set([discipline("0101")])
    form = ChangeForm(
        post_data(expert, disciplines=["0302", "0303"]), instance=application, user=expert
    )
    assert form.is_valid(), form.errors
    change = services.save_changes(application, expert, form.cleaned_data).request
    assert codes(application) == {"0101", "01"}  # pending: the version in force is counted

    services.confirm_change(change, factories.unit_account(unit))
    services.approve_change(change, factories.make_reviewer())

    assert codes(application) == {"0302", "0303", "03"} == expected(application)


def test_the_applicants_form_keeps_the_rows(client, unit):
    applicant = factories.make_applicant(unit, S.DRAFT)
    client.force_login(applicant)
    data = factories.application_post_data(applicant, "save")
    data["disciplines"] = [str(discipline("0101").pk), str(discipline("0104").pk)]
    client.post(reverse("experts:form"), data)
    application = ExpertApplication.objects.get(user=applicant)
    assert codes(application) == {"0101", "0104", "01"} == expected(application)


def test_a_sub_field_moved_to_another_field_is_counted_under_it(admin_client, unit):
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.set([discipline("0101")])
    software, materials = discipline("0101"), discipline("02")
    response = admin_client.post(
        reverse("admin:experts_discipline_change", args=[software.pk]),
        {"code": "0101", "name": software.name, "parent": str(materials.pk)},
    )
    assert response.status_code == 302
    assert codes(application) == {"0101", "02"} == expected(application)


@pytest.mark.parametrize(
    "code, parent, error",
    [
        ("0101", "0302", "上级领域须是一级领域"),  # a field's sub-field as a parent
        ("01", "02", "该领域下有子领域"),  # a field with sub-fields under another field
        ("01", "01", "上级领域不能是该领域本身"),
    ],
)
def test_the_classification_stays_two_levels(admin_client, code, parent, error):
    """A third level would be counted under neither field (the filters, the draw and the
    kept rows take a sub-field's field, not a field's field)."""
    moved = discipline(code)
    url = reverse("admin:experts_discipline_change", args=[moved.pk])
    response = admin_client.post(
        url, {"code": code, "name": moved.name, "parent": str(discipline(parent).pk)}
    )
    assert response.status_code == 200
    # Said in words, with the choice still selected: saving again is refused again, never
    # taken as "no 上级领域" (a sub-field silently made a field).
    form = response.context["adminform"].form
    assert error in " ".join(form.errors["parent"])
    assert form["parent"].value() == str(discipline(parent).pk)
    moved.refresh_from_db()
    assert moved.parent_id == (None if code == "01" else discipline("01").pk)


def test_refresh_search_rebuilds_rows_gone_astray(unit, capsys):
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.set([discipline("0101")])
    FacetDiscipline.objects.all().delete()
    FacetDiscipline.objects.create(application=application, discipline=discipline("05"))

    call_command("refresh_search")

    assert codes(application) == {"0101", "01"}
    assert "专业领域计数已重建" in capsys.readouterr().out


def test_the_migration_fills_the_rows_of_existing_picks(unit):
    migration = importlib.import_module("experts.migrations.0026_facet_disciplines")
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.set([discipline("0101"), discipline("0302")])
    FacetDiscipline.objects.all().delete()  # as before the migration made the table

    migration.fill(apps, None)

    assert codes(application) == {"0101", "01", "0302", "03"} == expected(application)


def test_the_sub_fields_migration_loads_and_unloads_keeping_each_experts_field(unit):
    """experts 0021: undone, an expert who picked sub-fields keeps their field instead, once;
    done again, every sub-field is back under its field."""
    from experts.choices import SUB_DISCIPLINES

    migration = importlib.import_module("experts.migrations.0021_sub_disciplines")
    two_subs = factories.make_applicant(unit, S.APPROVED).application
    two_subs.disciplines.set([discipline("0101"), discipline("0104")])
    field_and_sub = factories.make_applicant(unit, S.APPROVED).application
    field_and_sub.disciplines.set([discipline("03"), discipline("0302")])

    migration.unload(apps, None)

    assert not Discipline.objects.filter(parent__isnull=False).exists()
    assert list(two_subs.disciplines.values_list("code", flat=True)) == ["01"]
    assert list(field_and_sub.disciplines.values_list("code", flat=True)) == ["03"]

    migration.load(apps, None)

    under = dict(
        Discipline.objects.filter(parent__isnull=False).values_list("code", "parent__code")
    )
    assert under == {code: field for code, _, field in SUB_DISCIPLINES}


def test_seeded_experts_have_their_rows():
    from experts.management.commands.seed_scale import seed_scale

    seed_scale(units=3, experts=50)
    applications = ExpertApplication.objects.prefetch_related("disciplines__parent")
    assert all(codes(a) == expected(a) for a in applications)
    assert FacetDiscipline.objects.count() > ExpertApplication.disciplines.through.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_rebuilds_of_one_application_at_once_take_turns(unit):
    """Each in its own transaction and connection, the first holding its transaction open until
    the second waits for it (the application's row lock): the second then rewrites the rows,
    instead of inserting beside them (an IntegrityError without the lock)."""
    from django.db import connection, transaction

    # Its own classification: a transactional test may run after another has emptied the
    # tables the migrations filled.
    field, _ = Discipline.objects.get_or_create(code="T9", defaults={"name": "测试领域"})
    sub, _ = Discipline.objects.get_or_create(
        code="T901", defaults={"name": "测试子领域", "parent": field}
    )
    application = factories.make_applicant(unit, S.APPROVED).application
    application.disciplines.set([sub])
    held = threading.Event()
    errors = []

    def someone_waits_for_a_lock() -> bool:
        # Raw SQL: pg_stat_activity is a system view with no model; read afresh each time (a
        # transaction keeps its first reading otherwise).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] > 0

    def first() -> None:
        """Rebuilds, then keeps its transaction open until the second waits for its lock."""
        try:
            with transaction.atomic():
                FacetDiscipline.objects.rebuild([application.pk])
                held.set()
                deadline = time.monotonic() + 10
                while not someone_waits_for_a_lock():
                    assert time.monotonic() < deadline, "the second rebuild never waited"
                    time.sleep(0.01)
        except Exception as error:  # reported below, with the thread's own error
            errors.append(error)
        finally:
            connection.close()

    def second() -> None:
        try:
            held.wait(10)
            with transaction.atomic():
                FacetDiscipline.objects.rebuild([application.pk])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert codes(application) == {"T901", "T9"}
    assert FacetDiscipline.objects.filter(application=application).count() == 2
