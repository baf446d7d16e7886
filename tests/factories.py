"""Test data, built through the same models and services the portal uses."""

import contextlib
import datetime
import io
import itertools

import pgtrigger
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from stdnum.cn import ric, uscc

from accounts.models import Unit, UnitStatus, User
from accounts.permissions import BUREAU_GROUP
from experts import counts, search
from experts.choices import (
    DEFAULT_ELIGIBILITY_RULES,
    DEFAULT_REASON_CODES,
    DISCIPLINES,
    SUB_DISCIPLINES,
)
from experts.models import (
    ApplicationStatus,
    Discipline,
    EligibilityRule,
    ExpertApplication,
    ReasonCode,
)
from experts.services import CONSENT_VERSION, open_application
from portal import deadlines, privacy, workdays

PASSWORD = "Test#Pass2026"
_serial = itertools.count(1)


def agreed_to_notice() -> dict:
    """The current 个人信息保护说明, agreed to now: what a registration records, and what every
    account made here has, so that it reaches its pages without the notice asked again first
    (tests of that step make the version stale themselves)."""
    return {"privacy_notice_version": privacy.NOTICE_VERSION, "privacy_notice_at": timezone.now()}


def credit_code(serial: int | None = None) -> str:
    body = f"91420100MA4K{(serial or next(_serial)):05d}"
    return body + uscc.calc_check_digit(body)


def resident_id(serial: int | None = None, birth: str = "19800101", sex: str = "male") -> str:
    """A valid 居民身份证号码 of 武汉 (4201…) for `serial`. The order code holds 500 numbers
    per birth date and sex; the county code's two digits hold the next hundred, so 50,000
    serials give distinct numbers: a number made for a fixed serial meets a factory's own
    running serial only if they agree to 50,000 (with the order code alone, every 500th)."""
    serial = serial or next(_serial)
    order = serial % 500 * 2 + (1 if sex == "male" else 0)
    body = f"4201{serial // 500 % 100:02d}{birth}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def png_bytes(size=(60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


def licence_upload(name="licence.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def make_unit(status=UnitStatus.APPROVED, name=None, with_account=True) -> Unit:
    n = next(_serial)
    unit = Unit.objects.create(
        name=name or f"测试单位{n}",
        credit_code=credit_code(n),
        nature="university",
        district="洪山区",
        address="武汉市洪山区珞喻路1号",
        contact_name="李华",
        contact_mobile="+8613900139000",
        email=f"unit{n}@example.com",
        licence=licence_upload(),
        # 信息更改 done, as the manual asks of an approved unit before it recommends anyone.
        legal_representative="王国强",
        office_phone="027-87654321",
    )
    due = deadlines.registration_due() if status == UnitStatus.PENDING else None
    Unit.objects.filter(pk=unit.pk).update(status=status, due_on=due)
    unit.refresh_from_db()
    if with_account:
        user = User(username=f"unit{n}", kind=User.Kind.UNIT, unit=unit, **agreed_to_notice())
        user.set_password(PASSWORD)
        user.save()
    return unit


def unit_account(unit: Unit) -> User:
    return User.objects.get(unit=unit, kind=User.Kind.UNIT)


def ensure_reference_data() -> None:
    """What the data migration loads, for transactional tests whose flush removed it."""
    # Hundreds of tests call this where the migration's rows are all there, and each
    # transactional test after a flush removed them all: one query per table finds what
    # exists, and one creates what is missing (bulk_create: no post_save receiver forgets a
    # cached list of choices, and none needs to, as each test starts with an empty cache).
    Group.objects.get_or_create(name=BUREAU_GROUP)
    disciplines = set(Discipline.objects.values_list("code", flat=True))
    Discipline.objects.bulk_create(
        [Discipline(code=code, name=name) for code, name in DISCIPLINES if code not in disciplines]
    )
    fields = dict(Discipline.objects.filter(parent=None).values_list("code", "pk"))
    Discipline.objects.bulk_create(
        [
            Discipline(code=code, name=name, parent_id=fields[field_code])
            for code, name, field_code in SUB_DISCIPLINES
            if code not in disciplines
        ]
    )
    reasons = set(ReasonCode.objects.values_list("code", flat=True))
    ReasonCode.objects.bulk_create(
        [
            ReasonCode(code=code, label=label, order=order * 10, requires_text=requires_text)
            for order, (code, label, requires_text) in enumerate(DEFAULT_REASON_CODES, start=1)
            if code not in reasons
        ]
    )
    if not EligibilityRule.objects.exists():
        EligibilityRule.objects.bulk_create(
            [
                EligibilityRule(kind=kind, value=value, title_level=title_level)
                for kind, value, title_level in DEFAULT_ELIGIBILITY_RULES
            ]
        )


def make_reviewer(username=None) -> User:
    user = User(
        username=username or f"reviewer{next(_serial)}",
        kind=User.Kind.BUREAU,
        **agreed_to_notice(),
    )
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=BUREAU_GROUP))
    return user


def past_notice(application) -> None:
    """Date an admission a month back, its 公示期 over (a certificate waits for that)."""
    application.__class__.objects.filter(pk=application.pk).update(
        decided_at=timezone.now() - datetime.timedelta(days=30)
    )
    application.refresh_from_db()


def make_applicant(unit: Unit, status=ApplicationStatus.DRAFT, complete=True, name=None) -> User:
    """An applicant whose application is already in `status`: tests of one step start here."""
    n = next(_serial)
    user = User(
        username=f"person{n}",
        kind=User.Kind.APPLICANT,
        real_name=name or f"申请人{n}",
        id_type="resident",
        id_number=resident_id(n),
        mobile=f"+86138{n:08d}",
        email=f"person{n}@example.com",
        unit=unit,
        **agreed_to_notice(),
    )
    user.set_password(PASSWORD)
    user.save()
    application = open_application(user)
    if complete:
        for name_, value in complete_values().items():
            setattr(application, name_, value)
        application.consent_version, application.consent_at = CONSENT_VERSION, timezone.now()
        application.consent_bureau = settings.BUREAU_NAME
        application.save()
        application.disciplines.set(Discipline.objects.filter(code__in=["01", "08"]))
        search.refresh(ExpertApplication.objects.filter(pk=application.pk))
    submitted = None if status == ApplicationStatus.DRAFT else timezone.now()
    due = {
        ApplicationStatus.PENDING_UNIT: deadlines.recommendation_due,
        ApplicationStatus.PENDING_BUREAU: deadlines.decision_due,
    }.get(status)
    decided = (
        submitted if status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED) else None
    )
    due_on = due() if due else None
    ExpertApplication.objects.filter(pk=application.pk).update(
        status=status, submitted_at=submitted, due_on=due_on, decided_at=decided
    )
    # As the transitions on the way would have.
    counts.shift(ApplicationStatus.DRAFT, status, unit_id=application.unit_id, to_due=due_on)
    return user


def complete_values() -> dict:
    return {
        "ethnicity": "汉族",
        "political_status": "群众",
        "education": "博士研究生",
        "degree": "博士",
        "graduated_from": "华中科技大学",
        "major": "机械工程",
        "current_specialty": "智能制造",
        "title": "教授",
        "title_level": "senior",
        "department": "机械学院",
        "address": "武汉市洪山区珞喻路1037号",
        "research_direction": "工业机器人",
        "resume": "2005年至今在华中科技大学任教。",
        "achievements": "主持国家重点研发计划项目2项。",
        "bank_name": "中国工商银行武汉珞喻路支行",
        "bank_account": "6222020200112233446",
        "integrity_pledge": True,
    }


def application_post_data(user: User, action="save", **overrides) -> dict:
    """What the browser posts from 专家信息管理-新增 when every field is filled."""
    birth, gender = user.application.birth_date, user.application.gender
    data = {
        **complete_values(),
        "gender": gender,
        "birth_date": birth.isoformat(),
        "mobile": "13812345678",
        "email": user.email,
        "office_phone": "027-87541234",
        "admin_position": "",
        "integrity_pledge": "on",
        "sensitive_consent": "on",
        "disciplines": [
            str(pk) for pk in Discipline.objects.filter(code="01").values_list("pk", flat=True)
        ],
        "action": action,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def totp_code(device, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or `offset_steps` steps away) for a person's
    authenticator (accounts.Authenticator)."""
    import time

    totp = device.totp(time.time() + offset_steps * device.STEP)
    return f"{totp.token():0{device.DIGITS}d}"


def seed_that_changes(drawn) -> str:
    """A seed other than the round's own under which its eligible list gives other names: a
    tampered seed the 复核 must catch. (In a small pool some other seeds pick the same names in
    the same order; such a seed would reproduce the draw, and prove nothing.)"""
    from draws import fairness

    n = len(drawn.picked_ids)
    for number in itertools.count():
        seed = f"{number:064x}"
        if seed != drawn.seed and fairness.select(seed, drawn.eligible_ids, n) != drawn.picked_ids:
            return seed
    raise AssertionError("unreachable")


def admitted_expert(unit, reviewer, confirmed_months_ago=0, days_more=0) -> ExpertApplication:
    """An expert approved through the service (its SMS dropped), in 专业领域 01, last confirmed
    `confirmed_months_ago` calendar months and `days_more` days ago (年度确认)."""
    from experts import services
    from portal.dates import months_before
    from sms.models import SMSMessage

    applicant = make_applicant(unit, ApplicationStatus.PENDING_BUREAU)
    application = services.approve_application(applicant.application, reviewer)
    application.disciplines.set(Discipline.objects.filter(code="01"))
    when = months_before(timezone.localdate(), confirmed_months_ago) - datetime.timedelta(
        days=days_more
    )
    moment = timezone.make_aware(datetime.datetime.combine(when, datetime.time(10)))
    ExpertApplication.objects.filter(pk=application.pk).update(confirmed_at=moment)
    SMSMessage.objects.all().delete()  # the approval's
    return ExpertApplication.objects.select_related("user").get(pk=application.pk)


# Two comments a unit left on a returned form: a text field, and a group of boxes.
FIELD_COMMENTS = [
    {"field": "title", "label": "专业技术职称", "comment": "职称与证书不一致"},
    {"field": "disciplines", "label": "专业领域", "comment": "请补选子领域"},
]


def returned_with_comments(unit) -> User:
    """An applicant whose unit returned the form with FIELD_COMMENTS."""
    from experts import services

    applicant = make_applicant(unit, ApplicationStatus.PENDING_UNIT)
    services.return_application(
        applicant.application,
        unit_account(unit),
        reason="请按批注修改。",
        field_comments=FIELD_COMMENTS,
    )
    return applicant


# The review histories' UPDATE and DELETE triggers (portal.triggers): rows are never changed.
HISTORY_REWRITES = [
    "experts.ApplicationTransition:application_history_no_update",
    "experts.ApplicationTransition:application_history_no_delete",
    "changes.ChangeTransition:change_history_no_update",
    "changes.ChangeTransition:change_history_no_delete",
    "accounts.UnitTransition:unit_history_no_update",
    "accounts.UnitTransition:unit_history_no_delete",
]


def rewriting_history():
    """A block in which the review histories' rows may be changed or deleted (pgtrigger.ignore;
    SQLite has no triggers to ignore): for a test that arranges rows as an earlier day, or an
    older version of the portal and its migrations, wrote them."""
    return pgtrigger.ignore(*HISTORY_REWRITES)


@contextlib.contextmanager
def known_until(year: int):
    """The installed working-day calendar as if it knew the years up to `year` only (the
    fallback beyond, portal.workdays), inside the `with` block: what a due date set before the
    calendar learnt the next year was counted on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workdays, "known_years", lambda: range(2004, year + 1))
        yield


_review_days = itertools.count(3)


def review_day():
    """A review time on a day of its own (3, 4, 5 … days from now): draws made with it never
    share a day, so the one-review-a-day rule (draws.rules.busy_on) leaves their pools whole."""
    return timezone.now() + datetime.timedelta(days=next(_review_days))
