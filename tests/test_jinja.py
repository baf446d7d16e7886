"""The Jinja2 environment's helpers (portal/jinja2.py) print what Django's own would."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.urls import reverse, set_script_prefix

from accounts.forms import CommentForm, ReasonForm
from experts.templatetags.portal import url
from portal import jinja2


def test_an_empty_form_prints_as_crispy_forms_prints_it_once_per_class():
    first = jinja2.crispy(ReasonForm())
    assert first == as_crispy_form(ReasonForm())
    assert jinja2.crispy(ReasonForm()) is first  # remembered
    assert jinja2.crispy(CommentForm()) == as_crispy_form(CommentForm())
    assert 'name="reason"' in first and 'name="comment"' not in first


def test_a_bound_form_prints_its_own_data_and_errors():
    jinja2.crispy(ReasonForm())
    refused = jinja2.crispy(ReasonForm(data={"reason": ""}))
    assert "请填写理由，申请人将看到此理由。" in refused
    typed = jinja2.crispy(ReasonForm(data={"reason": "缺<少>材料"}))
    assert "缺&lt;少&gt;材料" in typed
    assert "请填写理由" not in jinja2.crispy(ReasonForm())


def test_a_prefixed_form_is_remembered_apart():
    assert 'name="a-reason"' in jinja2.crispy(ReasonForm(prefix="a"))
    assert 'name="reason"' in jinja2.crispy(ReasonForm())


def test_remembered_urls_follow_the_script_prefix():
    assert url("experts:bureau_detail", 7) == reverse("experts:bureau_detail", args=[7])
    set_script_prefix("/portal/")
    try:
        assert url("experts:bureau_detail", 7).startswith("/portal/")
    finally:
        set_script_prefix("/")
    assert url("experts:bureau_detail", 7) == reverse("experts:bureau_detail", args=[7])


def test_a_person_without_a_unit_does_not_break_the_bureaus_pages(client, reviewer, unit):
    """An operator may clear an applicant's unit (accounts.admin); the pages listing them must
    still open, as Django templates printed nothing for the missing unit."""
    from experts.models import ApplicationStatus, ExpertApplication
    from tests import factories

    pending = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU, name="孤雁")
    approved = factories.make_applicant(unit, ApplicationStatus.APPROVED, name="孤鸿")
    type(pending).objects.filter(pk__in=[pending.pk, approved.pk]).update(unit=None)
    client.force_login(reviewer)
    for page, name in [
        (reverse("experts:bureau_queue"), "孤雁"),
        (reverse("experts:pool"), "孤鸿"),
        (reverse("experts:bureau_detail", args=[pending.application.pk]), "孤雁"),
    ]:
        response = client.get(page)
        assert response.status_code == 200, page
        assert name in response.content.decode()
    assert ExpertApplication.objects.filter(user__unit=None).count() == 2


def test_jinja2_pages_are_named_for_assert_template_used(client, reviewer):
    from django.test import SimpleTestCase

    client.force_login(reviewer)
    response = client.get(reverse("experts:bureau_queue"))
    SimpleTestCase().assertTemplateUsed(response, "experts/bureau_queue.html")


def test_a_list_row_shows_its_columns_and_badges_its_status():
    """List rows are applications with their account's columns annotated (experts.selectors
    .with_columns); a field they do not load would cost a query per row, which
    tests/test_list_queries.py catches."""
    from django.template import engines

    from experts.models import ApplicationStatus, ExpertApplication

    row = ExpertApplication(pk=7, status=ApplicationStatus.APPROVED, title_level="senior")
    row.real_name = "王芳"
    env = engines["jinja2"].env
    shown = env.from_string(
        "{{ a.real_name }} {{ a.get_title_level_display() }} {{ status_badge(a) }}"
    ).render(a=row)
    assert shown.startswith("王芳 正高级 ")
    assert ApplicationStatus.APPROVED.label in shown
    assert ExpertApplication(title_level="retired").get_title_level_display() == "retired"


def test_a_unit_row_labels_its_choices_and_badges_its_status():
    from django.template import engines

    from accounts.choices import UnitNature, UnitStatus
    from accounts.models import Unit

    row = Unit(pk=3, status=UnitStatus.PENDING, nature=UnitNature.UNIVERSITY)
    assert row.get_nature_display() == UnitNature.UNIVERSITY.label
    shown = engines["jinja2"].env.from_string("{{ status_badge(u) }}").render(u=row)
    assert UnitStatus.PENDING.label in shown


def test_static_urls_are_djangos_remembered_until_the_settings_change(settings):
    from django.templatetags.static import static

    assert jinja2.static("css/portal.css") == static("css/portal.css")
    settings.STATIC_URL = "/assets/"
    assert jinja2.static("css/portal.css") == "/assets/css/portal.css"
