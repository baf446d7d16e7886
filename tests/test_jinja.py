"""One template engine for the portal's pages: Jinja2 (portal/jinja2.py, templates in jinja/),
with one layout (jinja/base.html). Django templates print only the admin and the libraries' own
templates (crispy-bootstrap5's, which print the forms, and Django's form widgets)."""

from pathlib import Path

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template import base as django_template
from django.template import engines
from django.template.backends.jinja2 import Template as JinjaTemplate
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix

from accounts.forms import CommentForm, ReasonForm
from portal import jinja2
from portal.templating import url
from tests import factories
from tests.test_access_table import FORBIDDEN, MISSING, OK, ROLES, TABLE, build_world

JINJA = Path(settings.BASE_DIR) / "jinja"
# What Django templates may print inside a portal page: the forms, by crispy-forms.
LIBRARY_TEMPLATES = ("bootstrap5/", "django/forms/")


def test_forms_print_as_crispy_forms_prints_them():
    assert jinja2.crispy(ReasonForm()) == as_crispy_form(ReasonForm())
    assert jinja2.crispy(CommentForm()) == as_crispy_form(CommentForm())
    assert 'name="a-reason"' in jinja2.crispy(ReasonForm(prefix="a"))
    field = ReasonForm()["reason"]
    assert jinja2.crispy_field(field) == as_crispy_field(field)


def test_an_empty_form_is_printed_once_per_class():
    first = jinja2.crispy(ReasonForm())
    assert jinja2.crispy(ReasonForm()) is first  # remembered
    assert jinja2.crispy(ReasonForm(prefix="b")) is not first
    assert 'name="b-reason"' in jinja2.crispy(ReasonForm(prefix="b"))

    from django import forms

    class Pick(forms.Form):
        colour = forms.ChoiceField(choices=[("r", "红")])

    assert jinja2.crispy(Pick()) is not jinja2.crispy(Pick())  # not marked printed_once
    assert jinja2.crispy(Pick()) == as_crispy_form(Pick())


def test_a_form_printed_once_is_printed_again_when_its_choices_change():
    from django import forms
    from django.utils.translation import gettext_lazy

    offered = [("r", "红")]

    class Pick(forms.Form):
        printed_once = True
        colour = forms.ChoiceField(choices=lambda: offered)
        shade = forms.ChoiceField(choices=[("深", [("d", gettext_lazy("深红"))])])

    first = jinja2.crispy(Pick())
    assert jinja2.crispy(Pick()) is first  # lazy labels make the same key
    assert jinja2.crispy_field(Pick()["colour"]) is jinja2.crispy_field(Pick()["colour"])
    offered.append(("g", "绿"))
    again = jinja2.crispy(Pick())
    assert "绿" not in first and "绿" in again
    assert again == as_crispy_form(Pick())
    field = jinja2.crispy_field(Pick()["colour"])
    assert "绿" in field and field == as_crispy_field(Pick()["colour"])
    # One with a value ticked or typed is its own.
    assert "checked" not in jinja2.crispy(Pick())
    assert 'value="g" selected' in jinja2.crispy(Pick(initial={"colour": "g"}))


def test_each_field_of_a_form_printed_once_is_remembered_as_itself():
    """The field's name is part of the key: 批注1 must not print as the 理由说明 box."""
    from experts.forms import ApplicationReasonForm

    form = ApplicationReasonForm(prefix="reject")
    for name in ("reason", "note_1", "note_2", "field_1"):
        printed = jinja2.crispy_field(form[name])
        assert f'name="reject-{name}"' in printed
        assert printed == as_crispy_field(form[name])
        assert jinja2.crispy_field(ApplicationReasonForm(prefix="reject")[name]) is printed


def test_the_printed_forms_are_forgotten_past_their_limit(monkeypatch):
    monkeypatch.setattr(jinja2, "UNBOUND_LIMIT", 2)
    jinja2.UNBOUND_FORMS.clear()
    jinja2.crispy(ReasonForm(prefix="p1"))
    jinja2.crispy(ReasonForm(prefix="p2"))
    assert len(jinja2.UNBOUND_FORMS) == 2
    jinja2.crispy(ReasonForm(prefix="p3"))
    assert len(jinja2.UNBOUND_FORMS) == 1


def test_a_form_not_marked_printed_once_is_printed_for_each_person():
    """A form whose text depends on who asks is never printed from someone else's page."""
    from django import forms

    class Greeting(forms.Form):
        note = forms.CharField()

        def __init__(self, *args, name, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["note"].label = f"{name}的备注"

    assert "张三的备注" in jinja2.crispy(Greeting(name="张三"))
    assert "李四的备注" in jinja2.crispy(Greeting(name="李四"))


def test_a_bound_form_prints_its_own_data_and_errors_escaped():
    jinja2.crispy(ReasonForm())
    refused = jinja2.crispy(ReasonForm(data={"reason": ""}))
    assert "请填写理由，申请人将看到此理由。" in refused
    typed = jinja2.crispy(ReasonForm(data={"reason": "缺<少>材料"}))
    assert "缺&lt;少&gt;材料" in typed
    assert "请填写理由" not in jinja2.crispy(ReasonForm())
    # Printed into a page, crispy-forms' HTML is kept as HTML, not escaped a second time.
    page = engines["jinja2"].from_string("{{ crispy(form) }}").render({"form": ReasonForm()})
    assert '<textarea name="reason"' in page


def test_remembered_urls_follow_the_script_prefix():
    assert url("experts:bureau_detail", 7) == reverse("experts:bureau_detail", args=[7])
    set_script_prefix("/portal/")
    try:
        assert url("experts:bureau_detail", 7).startswith("/portal/")
    finally:
        set_script_prefix("/")
    assert url("experts:bureau_detail", 7) == reverse("experts:bureau_detail", args=[7])


def test_templates_compare_statuses_through_the_enums():
    from accounts.choices import UnitStatus
    from experts.models import ApplicationStatus

    template = engines["jinja2"].from_string(
        "{{ s == ApplicationStatus.PENDING_BUREAU }} {{ u == UnitStatus.REJECTED }}"
    )
    assert template.render({"s": "pending_bureau", "u": "pending"}) == "True False"
    assert ApplicationStatus.PENDING_BUREAU == "pending_bureau"
    assert UnitStatus.REJECTED == "rejected"


def test_every_template_compiles():
    env = engines["jinja2"].env
    names = env.list_templates()
    assert "base.html" in names and "500.html" in names
    for name in names:
        env.get_template(name)  # a syntax error or an unknown filter raises here


def test_there_is_one_layout_and_every_page_extends_it():
    assert not (JINJA / "layout").exists()
    # E-mails (email/) are documents of their own, read in a mail client: not portal pages.
    pages = [path for path in JINJA.rglob("*.html") if not path.relative_to(JINJA).match("email/*")]
    documents = [
        path.relative_to(JINJA).as_posix() for path in pages if "<html" in path.read_text()
    ]
    assert documents == ["base.html"]
    for path in pages:
        name = path.relative_to(JINJA).as_posix()
        if name in documents or name.startswith("includes/"):
            continue
        assert path.read_text().startswith('{% extends "base.html" %}'), name
    # Django templates are left for the admin's own overrides, and crispy-bootstrap5's errors
    # (a form's non-field errors said as an alert).
    django_dir = Path(settings.BASE_DIR) / "templates"
    folders = {path.relative_to(django_dir).parts[0] for path in django_dir.rglob("*.*")}
    assert folders == {"admin", "bootstrap5"}
    assert [p.name for p in (django_dir / "bootstrap5").iterdir()] == ["errors.html"]
    assert [engine["BACKEND"] for engine in settings.TEMPLATES] == [
        "django.template.backends.jinja2.Jinja2",
        "django.template.backends.django.DjangoTemplates",
    ]


def assert_printed_by_jinja2(response, page) -> str:
    """The page's template is Jinja2's (the one it names); Django's print only its forms."""
    # Django's own widget templates may come from its Jinja2 form renderer (the reason form's).
    pages = [
        t.name
        for t in response.templates
        if isinstance(t, JinjaTemplate) and not t.name.startswith(LIBRARY_TEMPLATES)
    ]
    assert len(pages) == 1, (page, pages)
    for template in response.templates:
        if isinstance(template, django_template.Template):
            assert template.name.startswith(LIBRARY_TEMPLATES), (page, template.name)
    assert "</html>" in response.content.decode()
    return pages[0]


PAGES = [
    (name, role)
    for name, (_, expected) in TABLE.items()
    for role in ROLES
    if expected[role] in (OK, FORBIDDEN, MISSING)
    # Plain text and JSON; and Django admin's own login page (a Django template).
    and name not in {"healthz", "accounts:unit_search", "admin_login"}
]


@pytest.mark.django_db
@pytest.mark.slow
def test_every_portal_page_is_printed_by_jinja2_for_every_role(client):
    """Every page of the access table, as each role sees it (its error pages included)."""
    world = build_world()
    seen = set()
    for name, role in PAGES:
        builder = TABLE[name][0]
        page = reverse(name, kwargs=builder(world) if builder else None)
        client.logout()
        if world["users"][role] is not None:
            client.force_login(world["users"][role])
        response = client.get(page)
        if response.get("Content-Type", "").startswith("text/html"):
            seen.add(assert_printed_by_jinja2(response, (page, role)))
    assert {"403.html", "404.html", "home.html", "accounts/login.html"} <= seen
    assert {"experts/application_form.html", "accounts/bureau_unit_detail.html"} <= seen


@pytest.mark.django_db
def test_the_pages_no_table_cell_reaches_are_jinja2_too(client):
    from accounts.choices import UnitStatus

    rejected = factories.make_unit(UnitStatus.REJECTED)
    client.force_login(factories.unit_account(rejected))
    for page in ["accounts:unit_home", "accounts:unit_resubmit"]:
        response = client.get(reverse(page))
        assert response.status_code == 200, page
        assert_printed_by_jinja2(response, page)
    client.logout()
    response = client.get(reverse("accounts:register_unit"))
    assert_printed_by_jinja2(response, "register_unit")


@pytest.mark.django_db
def test_the_locked_out_page_is_jinja2():
    from accounts.views import locked_out

    request = RequestFactory().get("/login/")
    request.user = AnonymousUser()
    response = locked_out(request)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_the_500_page_prints_with_no_request_and_no_context():
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "系统暂时无法处理您的请求" in page and settings.HELP_LINE in page
    assert settings.PORTAL_NAME in page and "css/portal.css" in page  # the layout's
    assert "退出" not in page and "navbar-nav" not in page  # nobody is known: no navigation


@pytest.mark.django_db
def test_the_password_reset_mail_is_plain_text(unit):
    applicant = factories.make_applicant(unit)
    context = {
        "user": applicant,
        "protocol": "https",
        "domain": "portal.example?a=1&b=<2>",
        "uid": "MQ",
        "token": "abc-123",
    }
    body = render_to_string("accounts/password_reset_email.txt", context)
    assert "https://portal.example?a=1&b=<2>/password/reset/MQ/abc-123/" in body
    assert "&amp;" not in body and applicant.username in body
    subject = render_to_string("accounts/password_reset_subject.txt", {})
    assert subject.strip() == f"{settings.PORTAL_NAME}：重设密码"


def test_a_person_without_a_unit_does_not_break_the_bureaus_pages(client, reviewer, unit):
    """An operator may clear an applicant's unit (accounts.admin); the pages listing them must
    still open, as Django templates printed nothing for the missing unit."""
    from experts.models import ApplicationStatus, ExpertApplication

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


def test_a_form_printed_once_is_printed_afresh_when_an_instance_changes_a_field():
    """The mark says the form is the same for everyone; if a later change makes one field
    differ per person (a label, a help text, an initial value, a widget attribute), the key
    sees it and nobody is shown another person's form."""
    from django import forms

    class Note(forms.Form):
        printed_once = True
        note = forms.CharField(label="备注")

        def __init__(self, *args, name="", **kwargs):
            super().__init__(*args, **kwargs)
            if name:
                self.fields["note"].label = f"{name}的备注"
                self.fields["note"].help_text = f"{name}的说明"
                self.fields["note"].initial = f"{name}的初值"
                self.fields["note"].widget.attrs["placeholder"] = f"{name}的提示"

    plain = jinja2.crispy(Note())
    assert jinja2.crispy(Note()) is plain  # still remembered when nothing differs
    for name in ("张三", "李四"):
        printed = jinja2.crispy(Note(name=name))
        assert printed == as_crispy_form(Note(name=name))
        for said in ("的备注", "的说明", "的初值", "的提示"):
            assert f"{name}{said}" in printed
        field = jinja2.crispy_field(Note(name=name)["note"])
        assert f"{name}的备注" in field and field == as_crispy_field(Note(name=name)["note"])


def test_a_form_printed_once_is_printed_afresh_when_a_widget_is_swapped_or_initial_is_callable():
    from django import forms

    moment = ["早"]

    class Note(forms.Form):
        printed_once = True
        note = forms.CharField(label="备注")
        when = forms.CharField(label="时间", initial=lambda: moment[0])

        def __init__(self, *args, hidden=False, **kwargs):
            super().__init__(*args, **kwargs)
            if hidden:
                self.fields["note"].widget = forms.HiddenInput()

    shown = jinja2.crispy(Note())
    assert 'type="hidden"' not in shown
    assert 'type="hidden"' in jinja2.crispy(Note(hidden=True))
    moment[0] = "晚"
    assert 'value="晚"' in jinja2.crispy(Note())
