"""The bureau's search box finds applications by 姓名, 工作单位, 职称, 现从事专业 and 专业领域,
and goes on finding them after any of these changes (experts.search keeps one column)."""

import pytest
from django.db import connection
from django.urls import reverse

from experts import search
from experts.models import ApplicationStatus, Discipline, ExpertApplication
from tests import factories
from tests.test_admin import admin_form_data

pytestmark = pytest.mark.django_db


def found(client, term, url_name="experts:pool") -> list[str]:
    response = client.get(reverse(url_name), {"q": term, "status": "all"})
    assert response.status_code == 200
    return sorted(row.real_name for row in response.context["rows"])


@pytest.fixture
def pool(client, reviewer):
    """Two approved experts in two units, and a reviewer looking at the pool."""
    first = factories.make_unit(name="华中光电研究院")
    second = factories.make_unit(name="武汉集成科技有限公司")
    zhang = factories.make_applicant(first, ApplicationStatus.APPROVED, name="张伟")
    wang = factories.make_applicant(second, ApplicationStatus.APPROVED, name="王芳")
    ExpertApplication.objects.filter(user=wang).update(title="研究员", current_specialty="成电研究")
    search.refresh(ExpertApplication.objects.filter(user=wang))
    client.force_login(reviewer)
    return {"zhang": zhang, "wang": wang, "first": first, "second": second}


@pytest.fixture
def kept(pool):
    """Searches of the pool made before a change: on PostgreSQL, with statistics in which
    every term of two experts is common (searched along the pool's order: experts.search).
    `kept(term, names)` searches; the change after it must still show."""
    from django.core.cache import cache

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE experts_expertapplication")
    cache.clear()  # the statistics read afresh

    def search_before(client, term, names):
        assert found(client, term) == names

    yield search_before
    cache.clear()


@pytest.mark.parametrize(
    ("term", "names"),
    [
        ("张伟", ["张伟"]),  # 姓名, two characters
        ("张", ["张伟"]),  # one character
        ("光电研究院", ["张伟"]),  # 工作单位
        ("集成科技", ["王芳"]),
        ("研究员", ["王芳"]),  # 职称
        ("教授", ["张伟"]),
        ("成电研究", ["王芳"]),  # 现从事专业
        ("智能制造", ["张伟"]),
        ("电子信息", ["张伟", "王芳"]),  # 专业领域 (both have it)
        ("研究", ["张伟", "王芳"]),
        # 王芳 has every pair of 集成电 (集成 in the unit, 成电 in the specialty) but not the
        # term itself: the index finds her, the LIKE drops her.
        ("集成电", []),
        ("李", []),
        # Several words: each somewhere in the text, in any order.
        ("张 光电", ["张伟"]),  # 姓 and 工作单位
        ("光电 张", ["张伟"]),
        ("研究员 集成", ["王芳"]),  # 职称 and 工作单位
        ("电子信息 研究", ["张伟", "王芳"]),
        ("张伟 王芳", []),  # no one is both
        ("张 集成科技", []),
        ("张伟 张伟", ["张伟"]),
    ],
)
def test_pool_search_finds_by_name_unit_title_specialty_and_discipline(client, pool, term, names):
    assert found(client, term) == names


def test_search_ignores_case_width_and_spaces(client, pool):
    ExpertApplication.objects.filter(user=pool["zhang"]).update(current_specialty="AI 芯片")
    search.refresh(ExpertApplication.objects.filter(user=pool["zhang"]))
    assert found(client, "ai") == ["张伟"]
    assert found(client, "ＡＩ　芯片") == ["张伟"]  # full-width letters and space
    assert found(client, "  张伟  ") == ["张伟"]


def test_bureau_queue_searches_the_same_way(client, pool, unit):
    factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="赵光明")
    assert found(client, "光", "experts:bureau_queue") == ["张伟", "赵光明"]


def user_form(client, url, **changes) -> dict:
    """What the account's admin page posts back, with `changes`."""
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(groups=[], user_permissions=[], **changes)
    return data


def test_renamed_applicant_moved_to_another_unit_is_found_by_new_name_and_unit(
    client, pool, admin_user
):
    """Operators rename people and move them between units in admin (not an admitted expert:
    that is a reviewed 信息变更); the searches and the units' lists follow."""
    from experts import counts

    zhang = pool["zhang"]
    ExpertApplication.objects.filter(user=zhang).update(status=ApplicationStatus.REJECTED)
    counts.recount()
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[zhang.pk])
    data = user_form(client, url, real_name="张卫国", unit=pool["second"].pk)
    assert client.post(url, data).status_code == 302

    client.force_login(factories.make_reviewer())
    queue = "experts:bureau_queue"
    assert found(client, "张伟", queue) == []
    assert found(client, "集成科技", queue) == ["张卫国", "王芳"]
    assert found(client, "张卫国", queue) == ["张卫国"]
    # …and the new unit lists them among its people; the old one no longer does.
    client.force_login(factories.unit_account(pool["second"]))
    page = client.get(reverse("experts:unit_people")).context
    assert sorted(row.real_name for row in page["rows"]) == ["张卫国", "王芳"]
    assert page["tabs"][0][2] == 2  # 全部: the kept counts moved with the person
    client.force_login(factories.unit_account(pool["first"]))
    page = client.get(reverse("experts:unit_people")).context
    assert list(page["rows"]) == []
    assert page["tabs"][0][2] == 0


@pytest.mark.parametrize("change", [{"real_name": "张卫国"}, {"unit": "second"}])
def test_an_admitted_experts_name_and_unit_are_not_changed_in_admin(
    client, pool, admin_user, change
):
    """姓名 and 工作单位 are key fields: once admitted (or frozen and asking for 解冻), they
    change through a 信息变更 the unit and the bureau review, never by an operator."""
    zhang = pool["zhang"]
    if "unit" in change:
        change = {"unit": pool["second"].pk}
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[zhang.pk])

    response = client.post(url, user_form(client, url, **change))

    assert response.status_code == 200
    assert "该专家已入库，姓名、证件和工作单位须由专家本人通过“修改专家信息”提交信息变更" in (
        response.content.decode()
    )
    zhang.refresh_from_db()
    assert (zhang.real_name, zhang.unit_id) == ("张伟", pool["first"].pk)


def test_an_unfreezing_experts_key_fields_are_read_only_in_admin(client, pool, admin_user):
    application = pool["zhang"].application
    ExpertApplication.objects.filter(pk=application.pk).update(
        status=ApplicationStatus.PENDING_BUREAU, unfreezing=True
    )
    client.force_login(admin_user)
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    form = client.get(url).context["adminform"].form
    assert not {"title", "title_level", "disciplines"} & set(form.fields)


def test_application_changed_in_admin_is_found_by_what_it_now_says(
    client, pool, admin_user, kept, unit
):
    """An admitted expert's 现从事专业 (editable in admin; 职称 and 专业领域 are not, they change
    through a 信息变更), and a returned application's 职称 and 专业领域 (one under review
    keeps what was submitted)."""
    from django.utils import timezone

    application = pool["zhang"].application
    waiting = factories.make_applicant(unit, ApplicationStatus.DRAFT, name="李强")
    ExpertApplication.objects.filter(pk=waiting.application.pk).update(returned_at=timezone.now())
    kept(client, "临床医学", [])
    client.force_login(admin_user)
    url = reverse("admin:experts_expertapplication_change", args=[application.pk])
    data = admin_form_data(client, url, application)
    data.update(current_specialty="临床医学")
    assert client.post(url, data).status_code == 302
    url = reverse("admin:experts_expertapplication_change", args=[waiting.application.pk])
    data = admin_form_data(client, url, waiting.application)
    data.update(title="主任医师", disciplines=[Discipline.objects.get(code="05").pk])
    assert client.post(url, data).status_code == 302

    client.force_login(factories.make_reviewer())
    assert found(client, "临床医学") == ["张伟"]
    queue = "experts:bureau_queue"
    assert found(client, "主任医师", queue) == ["李强"]
    assert found(client, Discipline.objects.get(code="05").name, queue) == ["李强"]


def test_renamed_discipline_is_found_by_its_new_name(client, pool, admin_user, kept):
    discipline = Discipline.objects.get(code="01")  # 电子信息, which both have
    kept(client, "电子信息", ["张伟", "王芳"])
    kept(client, "新一代信息技术", [])
    client.force_login(admin_user)
    url = reverse("admin:experts_discipline_change", args=[discipline.pk])
    response = client.post(url, {"code": "01", "name": "新一代信息技术"})
    assert response.status_code == 302

    client.force_login(factories.make_reviewer())
    assert found(client, "新一代信息技术") == ["张伟", "王芳"]
    assert found(client, "电子信息") == []


def test_applicant_saving_the_form_updates_what_search_finds(client, unit, reviewer):
    applicant = factories.make_applicant(unit, ApplicationStatus.DRAFT)
    client.force_login(applicant)
    data = factories.application_post_data(applicant, current_specialty="量子通信")
    assert client.post(reverse("experts:form"), data).status_code == 302
    assert "量子通信" in ExpertApplication.objects.get(user=applicant).search_text


@pytest.mark.postgres
def test_sql_grams_function_is_the_twin_of_the_python_one():
    text = search.normalise("张伟 武汉光谷 ai芯片 教授")
    with connection.cursor() as cursor:
        cursor.execute("SELECT expert_search_grams(%s)", [text])
        in_sql = set(cursor.fetchone()[0])
    pairs = {text[i : i + 2] for i in range(len(text) - 1)}
    assert in_sql == set(text) | pairs
    for term in ["张伟", "张", "光谷 a", "芯片"]:
        assert set(search.grams(term)) <= in_sql


@pytest.mark.postgres
def test_search_query_can_use_the_gram_index(pool):
    """The expression the ORM writes is the indexed one (else every search scans the table).
    With a handful of rows the planner would scan anyway, so scans are priced out here."""
    queryset = search.matching(ExpertApplication.objects.all(), "光电")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()
    assert "experts_application_search_grams" in plan


@pytest.mark.postgres
@pytest.mark.parametrize(
    "status, index",
    [
        # 专家库: the index of approved applications only (migration experts 0006).
        (ApplicationStatus.APPROVED, "experts_application_pool_search_grams"),
        # The queue's other statuses are not in it.
        (ApplicationStatus.PENDING_BUREAU, "experts_application_search_grams"),
    ],
)
def test_a_search_in_the_pool_uses_the_pools_own_gram_index(pool, status, index):
    """With a handful of rows the planner prefers the status indexes: they are dropped for the
    test (its transaction is rolled back, and the rebuilt gram indexes with it), leaving the
    two gram indexes to choose from."""
    queryset = search.matching(ExpertApplication.objects.filter(status=status), "光电")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'experts_expertapplication'"
            " AND indexdef NOT LIKE '%%expert_search_grams%%'"
            " AND indexdef NOT LIKE '%%UNIQUE%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        # Rows the earlier tests inserted and rolled back leave both gram indexes the same
        # size, and the planner's choice then depends on the order the tests ran in: rebuilt,
        # each holds only its own rows of this test.
        for name in ("experts_application_search_grams", "experts_application_pool_search_grams"):
            cursor.execute(f'REINDEX INDEX "{name}"')
    plan = queryset.explain()
    assert f"Bitmap Index Scan on {index} " in plan + " "


def test_refresh_search_rebuilds_text_and_unit_lost_to_an_old_version(client, pool, capsys):
    """Rows an older portal wrote during a rolling deploy have no search text and no unit."""
    from django.core.management import call_command

    ExpertApplication.objects.update(search_text="", unit=None)
    call_command("refresh_search")
    assert "2条" in capsys.readouterr().out
    assert found(client, "光电研究院") == ["张伟"]
    assert ExpertApplication.objects.get(user=pool["wang"]).unit == pool["second"]


def test_disciplines_cannot_be_deleted_in_admin(client, admin_user):
    discipline = Discipline.objects.get(code="01")
    client.force_login(admin_user)
    url = reverse("admin:experts_discipline_delete", args=[discipline.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Discipline.objects.filter(pk=discipline.pk).exists()


def test_a_text_past_what_an_index_entry_holds_is_cut_and_still_saved(pool):
    """An operator may add 专业领域 of up to 50 characters each; the text an application
    carries stops at SEARCH_TEXT_LIMIT characters, which a B-tree entry of 专家库's order index
    holds (PostgreSQL refuses an entry over 2,704 bytes: an applicant could not save)."""
    long = [
        # Characters that do not repeat, so that PostgreSQL cannot compress the entry.
        Discipline.objects.create(
            code=f"9{n:02d}",
            name=f"第{n:02d}个" + "".join(chr(0x4E00 + 45 * n + i) for i in range(45)),
        )
        for n in range(20)
    ]
    application = ExpertApplication.objects.get(user=pool["zhang"])
    application.disciplines.set(long)
    search.refresh(ExpertApplication.objects.filter(pk=application.pk))
    ExpertApplication.objects.filter(pk=application.pk).update(status=ApplicationStatus.APPROVED)
    application.refresh_from_db()
    assert len(application.search_text) == search.SEARCH_TEXT_LIMIT
    assert len(application.search_text.encode()) > 1800  # three bytes a character, near the cut
    assert search.matching(ExpertApplication.objects.all(), "第00个").get() == application
