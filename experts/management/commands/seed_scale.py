"""Fill the database with a city's worth of realistic data, by bulk inserts.

`python manage.py seed_scale --units 1000 --experts 100000`: approved, pending and rejected
units with valid 统一社会信用代码; applicants with Chinese names, valid ID numbers and every
专家状态 in realistic proportions, with their review history. One unit has 5,000 people, as a
large university would. Everyone's password is the one printed at the end.
"""

import datetime
import io
import random
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from PIL import Image
from stdnum import luhn
from stdnum.cn import ric, uscc

from accounts.choices import DISTRICT_CHOICES, IdType, UnitNature, UnitStatus, UserKind
from accounts.models import Unit, User
from accounts.permissions import BUREAU_GROUP
from experts import counts, eligibility, search
from experts.choices import EDUCATION_CHOICES, ETHNICITY_CHOICES, POLITICAL_CHOICES, TitleLevel
from experts.models import (
    ApplicationStatus,
    ApplicationTransition,
    Discipline,
    ExpertApplication,
    FacetDiscipline,
)
from experts.services import CONSENT_VERSION, STEP_STARTS
from portal import deadlines

PASSWORD = "Scale#2026pass"
BATCH = 5000
# Every 20th applicant belongs to the first approved unit: 5,000 people at 100,000.
BIG_UNIT_SHARE = 20

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红文辉力斌宇浩凯健俊帆欣"
    "佳怡晨阳雪琳婷思远博鹏飞鑫宁波东海峰亮志新光"
)
PLACES = "江城楚天光谷长江汉江东湖黄鹤琴台晴川江汉珞珈南湖沙湖墨水龟山月湖"
KINDS = [
    (UnitNature.UNIVERSITY, "大学"),
    (UnitNature.INSTITUTE, "研究院"),
    (UnitNature.ENTERPRISE, "科技有限公司"),
    (UnitNature.MEDICAL, "医院"),
    (UnitNature.SOCIAL, "科技协会"),
]
TITLES = [
    ("教授", TitleLevel.SENIOR),
    ("研究员", TitleLevel.SENIOR),
    ("正高级工程师", TitleLevel.SENIOR),
    ("主任医师", TitleLevel.SENIOR),
    ("副教授", TitleLevel.ASSOCIATE),
    ("高级工程师", TitleLevel.ASSOCIATE),
    ("副研究员", TitleLevel.ASSOCIATE),
    ("工程师", TitleLevel.INTERMEDIATE),
    ("讲师", TitleLevel.INTERMEDIATE),
]
_SPECIALTIES = (
    "光电子 集成电路 生物医药 人工智能 新能源汽车 智能制造 新材料 环境工程 数字经济 现代农业"
)
SPECIALTIES = _SPECIALTIES.split()
# 专家状态 in the proportions a working database shows.
STATUS_WEIGHTS = [
    (ApplicationStatus.DRAFT, 20),
    (ApplicationStatus.PENDING_UNIT, 8),
    (ApplicationStatus.PENDING_BUREAU, 7),
    (ApplicationStatus.APPROVED, 52),
    (ApplicationStatus.REJECTED, 10),
    # After admission (experts.lifecycle): a few frozen, leaving and gone.
    (ApplicationStatus.FROZEN, 1),
    (ApplicationStatus.EXIT_PENDING, 1),
    (ApplicationStatus.EXITED, 1),
]
# The same proportions spread evenly (smooth weighted round robin), so that even a handful of
# applicants has every status.
STATUS_CYCLE = [
    status
    for _, status in sorted(
        ((k + 0.5) / weight, status) for status, weight in STATUS_WEIGHTS for k in range(weight)
    )
]
# Wuhan's county codes: ID numbers carry them.
COUNTIES = ["420102", "420103", "420104", "420105", "420106", "420107", "420111", "420112",
            "420113", "420114", "420115", "420116", "420117"]  # fmt: skip


def credit_code(n: int) -> str:
    body = f"91420100MA{n:07d}"
    return body + uscc.calc_check_digit(body)


# Births spread over 40 years from 1955: consecutive applicants are BIRTH_STRIDE days apart
# (modulo the 40 years), so that even a small seed has every 年龄段. The stride shares no
# factor with the 14,600 days, so each of them is taken once before any repeats.
BIRTH_DAYS, BIRTH_STRIDE = 40 * 365, 7919


def resident_id(n: int) -> str:
    """A valid, unique ID number for the n-th applicant (county, birth date and order from n)."""
    serial, order = n // len(COUNTIES), n // (len(COUNTIES) * BIRTH_DAYS)
    birth = datetime.date(1955, 1, 1) + datetime.timedelta(days=serial * BIRTH_STRIDE % BIRTH_DAYS)
    body = f"{COUNTIES[n % len(COUNTIES)]}{birth:%Y%m%d}{order % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def bank_card(n: int) -> str:
    body = f"621700{n:012d}"
    return body + luhn.calc_check_digit(body)


def started_work(born: datetime.date, rng) -> datetime.date | None:
    """A seeded 参加工作时间: 22 to 27 years after birth (never after today), left empty one
    time in ten."""
    if rng.random() < 0.1:
        return None
    started = born + datetime.timedelta(days=365 * 22 + rng.randrange(365 * 5))
    return min(started, timezone.localdate())


class Command(BaseCommand):
    help = "批量生成测试数据：单位、个人账号、各状态的专家申请及审核记录（用于性能测试）。"

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=1000)
        parser.add_argument("--experts", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same data twice)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="seed even with DEBUG off (a benchmark database; never in production)",
        )

    def handle(self, *args, units, experts, seed, force=False, **options):
        if not (settings.DEBUG or force):
            # 100,000 made-up people must never land in the bureau's real database.
            raise CommandError("测试数据只能在开发环境（DEBUG=true）或加 --force 时生成。")
        started = time.monotonic()
        counts = seed_scale(units=units, experts=experts, seed=seed)
        analyse()
        took = time.monotonic() - started
        summary = "，".join(f"{name}{n}条" for name, n in counts.items())
        self.stdout.write(f"已生成：{summary}；用时{took:.1f}秒。所有账号密码：{PASSWORD}")


def analyse():
    """Renew PostgreSQL's statistics after the bulk insert: until then the planner, and 专家库's
    choice of how to search a term (experts.search.statistics), see the tables as they were
    before it, whether or not autovacuum runs soon. A running web process that kept "no
    statistics" in its own cache reads them again within STATISTICS_SECONDS."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # raw SQL: the ORM has no ANALYZE
    search.forget_statistics(connection.alias)


@transaction.atomic
def seed_scale(*, units: int, experts: int, seed: int = 2026) -> dict[str, int]:
    """Insert `units` units and `experts` applicants in bulk; returns what was made."""
    rng = random.Random(seed)
    now = timezone.now()
    password = make_password(PASSWORD)  # hashed once: hashing 100,000 times would take hours
    start = (Unit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    licence = _licence_file()

    unit_rows = []
    for i in range(start, start + units):
        nature, suffix = KINDS[i % len(KINDS)]
        status = rng.choices(
            [UnitStatus.APPROVED, UnitStatus.PENDING, UnitStatus.REJECTED], [92, 5, 3]
        )[0]
        unit = Unit(
            name=f"武汉{PLACES[i % len(PLACES)]}{i}号{suffix}",
            credit_code=credit_code(i),
            nature=nature,
            district=rng.choice(DISTRICT_CHOICES)[0],
            address=f"武汉市某区某路{i}号",
            contact_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            contact_mobile=f"+86139{i:08d}",
            email=f"unit{i}@example.com",
            licence=licence,
            legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN),
            office_phone="027-87654321",
            status=status,  # a protected FSM field may be given when the object is made
            due_on=deadlines.registration_due(now) if status == UnitStatus.PENDING else None,
        )
        unit_rows.append(unit)
    made_units = Unit.objects.bulk_create(unit_rows, batch_size=BATCH)
    User.objects.bulk_create(
        [
            User(
                username=f"unit{unit.pk}",
                kind=UserKind.UNIT,
                unit=unit,
                password=password,
                email=unit.email,
            )
            for unit in made_units
        ],
        batch_size=BATCH,
    )
    # Applicants join any approved unit, those made before included (the command adds up).
    approved = list(Unit.objects.filter(status=UnitStatus.APPROVED).order_by("pk"))
    account_of = dict(
        User.objects.filter(kind=UserKind.UNIT).values_list("unit_id", "pk").iterator()
    )
    reviewer = User.objects.create(
        username=f"scale_reviewer_{seed}_{start}", kind=UserKind.BUREAU, password=password
    )
    reviewer.groups.add(Group.objects.get(name=BUREAU_GROUP))

    # Each applicant's 1 or 2 fields are drawn as before (the rest of the data stays the
    # same); each field then becomes 1 or 2 of its sub-fields, or stays the whole field
    # (pick_disciplines), from a generator of its own.
    disciplines = list(Discipline.objects.filter(parent=None).values_list("code", "pk", "name"))
    sub_fields: dict[int, list[tuple[str, int, str]]] = {}
    for code, pk, name, parent_id, field in Discipline.objects.filter(
        parent__isnull=False
    ).values_list("code", "pk", "name", "parent_id", "parent__name"):
        # As the search text writes a sub-field: its field before it (experts.search).
        sub_fields.setdefault(parent_id, []).append((code, pk, f"{field} {name}"))
    refine = random.Random(f"{seed}:disciplines")
    big_unit = approved[0] if approved else None
    first = User.objects.filter(kind=UserKind.APPLICANT).count() + 1
    made = {"单位": len(made_units), "申请人": 0, "审核记录": 0}
    for batch_start in range(0, experts, BATCH):
        size = min(BATCH, experts - batch_start)
        made_batch = _applicants(
            rng,
            first + batch_start,
            size,
            approved,
            big_unit,
            password,
            now,
            (disciplines, sub_fields, refine),
        )
        made["申请人"] += len(made_batch)
        made["审核记录"] += _history(made_batch, account_of, reviewer, now)
    counts.recount()
    eligibility.recompute()  # 资格提示 of the waiting applications, as submission would set them
    return made


def _licence_file() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    return default_storage.save("licences/seed-scale.png", ContentFile(buffer.getvalue()))


# The share of a field's experts who pick the whole field rather than sub-fields of it.
WHOLE_FIELD_SHARE = 0.3


def pick_disciplines(rng, fields, sub_fields) -> list[tuple[str, int, str]]:
    """专业领域 for one applicant from the (code, pk, name) `fields` drawn: each one itself, or
    1 or 2 of its `sub_fields` (field pk → [(code, pk, name)]), in the order of their codes, as
    the search text lists them."""
    picked = []
    for field in fields:
        subs = sub_fields.get(field[1], [])
        if not subs or rng.random() < WHOLE_FIELD_SHARE:
            picked.append(field)
        else:
            picked.extend(rng.sample(subs, rng.randint(1, min(2, len(subs)))))
    return sorted(picked)


def _applicants(rng, first, size, approved, big_unit, password, now, classification):
    disciplines, sub_fields, refine = classification
    users, applications = [], []
    for n in range(first, first + size):
        unit = big_unit if (n - 1) % BIG_UNIT_SHARE == 0 else rng.choice(approved)
        number = resident_id(n)
        users.append(
            User(
                username=f"expert{n:06d}",
                kind=UserKind.APPLICANT,
                real_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
                id_type=IdType.RESIDENT,
                id_number=number,
                id_number_index=User.id_index(IdType.RESIDENT, number),
                mobile=f"+86138{n:08d}",
                email=f"expert{n}@example.com",
                unit=unit,
                password=password,
            )
        )
    users = User.objects.bulk_create(users, batch_size=BATCH)
    chosen = {}
    for n, user in enumerate(users, start=first):
        # Shifted by n // BIG_UNIT_SHARE: the big unit's every 20th applicant would otherwise
        # always land on the same few places of the cycle (3 in 5 of them drafts).
        status = STATUS_CYCLE[(n + n // BIG_UNIT_SHARE) % len(STATUS_CYCLE)]
        # At any time of day, as real people submit and reviewers decide: with whole days
        # only, every 75 experts shared one decision time, ties real data does not have.
        submitted = (
            None
            if status == ApplicationStatus.DRAFT
            else now - datetime.timedelta(days=rng.randrange(30, 700), seconds=rng.randrange(DAY))
        )
        title, level = rng.choice(TITLES)
        specialty = rng.choice(SPECIALTIES)
        fields = sorted(rng.sample(disciplines, rng.randint(1, 2)))
        chosen[user.pk] = pick_disciplines(refine, fields, sub_fields)  # as search does
        searched = [user.real_name, user.unit.name, title, specialty]
        application = ExpertApplication(
            user=user,
            unit_id=user.unit_id,
            search_text=search.normalise(" ".join(searched + [n for _, _, n in chosen[user.pk]])),
            gender="male" if int(user.id_number[16]) % 2 else "female",
            birth_date=ric.get_birth_date(user.id_number),
            # 参加工作时间 is optional: nine in ten fill it in, at 22 to 27.
            work_started_on=started_work(ric.get_birth_date(user.id_number), rng),
            ethnicity=rng.choice(ETHNICITY_CHOICES[:5])[0],
            political_status=rng.choice(POLITICAL_CHOICES)[0],
            education=rng.choice(EDUCATION_CHOICES[:3])[0],
            degree="博士",
            graduated_from="华中科技大学",
            major=rng.choice(SPECIALTIES),
            current_specialty=specialty,
            title=title,
            title_level=level,
            mobile=user.mobile,
            email=user.email,
            address="武汉市洪山区珞喻路1037号",
            research_direction=rng.choice(SPECIALTIES),
            resume="长期从事相关领域的研究与工程实践。",
            achievements="主持省部级以上项目多项。",
            bank_name="中国银行武汉分行",
            bank_account=bank_card(user.pk),
            integrity_pledge=True,
            consent_version=CONSENT_VERSION if submitted else "",
            consent_at=submitted,
            submitted_at=submitted,
            recommended_at=submitted + datetime.timedelta(days=3, seconds=rng.randrange(DAY))
            if status in (ApplicationStatus.PENDING_BUREAU, *DECIDED)
            else None,
            decided_at=submitted + datetime.timedelta(days=10, seconds=rng.randrange(DAY))
            if status in DECIDED
            else None,
            status=status,
        )
        if status == ApplicationStatus.FROZEN:
            # Frozen: admitted, and last confirming, 24 months ago or more. The dates move back
            # together, so that none comes before the one it follows.
            back = application.decided_at - (now - datetime.timedelta(days=760))
            if back > datetime.timedelta(0):
                for name in ("consent_at", "submitted_at", "recommended_at", "decided_at"):
                    setattr(application, name, getattr(application, name) - back)
        if status in DECIDED and status != ApplicationStatus.REJECTED:
            # 年度确认: admission confirms (for the frozen, long ago).
            application.confirmed_at = application.decided_at
        if status == ApplicationStatus.PENDING_UNIT:
            application.due_on = deadlines.recommendation_due(submitted)
        elif status == ApplicationStatus.PENDING_BUREAU:
            application.due_on = deadlines.decision_due(application.recommended_at)
        applications.append(application)
    applications = ExpertApplication.objects.bulk_create(applications, batch_size=BATCH)
    through = ExpertApplication.disciplines.through
    through.objects.bulk_create(
        [
            through(expertapplication_id=application.pk, discipline_id=pk)
            for application in applications
            for _, pk, _ in chosen[application.user_id]
        ],
        batch_size=BATCH,
    )
    # Bulk-created picks send no m2m_changed: their facet rows are written here.
    FacetDiscipline.objects.rebuild(application.pk for application in applications)
    return applications


# Each of these was decided (审核通过 or 审核不通过) once.
DECIDED = (
    ApplicationStatus.APPROVED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.FROZEN,
    ApplicationStatus.EXIT_PENDING,
    ApplicationStatus.EXITED,
)
DAY = 24 * 60 * 60
PATHS = {
    ApplicationStatus.DRAFT: [],
    ApplicationStatus.PENDING_UNIT: [("submit", "draft", "pending_unit")],
    ApplicationStatus.PENDING_BUREAU: [
        ("submit", "draft", "pending_unit"),
        ("recommend", "pending_unit", "pending_bureau"),
    ],
    ApplicationStatus.APPROVED: [
        ("submit", "draft", "pending_unit"),
        ("recommend", "pending_unit", "pending_bureau"),
        ("approve", "pending_bureau", "approved"),
    ],
    ApplicationStatus.REJECTED: [
        ("submit", "draft", "pending_unit"),
        ("recommend", "pending_unit", "pending_bureau"),
        ("reject", "pending_bureau", "rejected"),
    ],
    ApplicationStatus.FROZEN: [
        ("submit", "draft", "pending_unit"),
        ("recommend", "pending_unit", "pending_bureau"),
        ("approve", "pending_bureau", "approved"),
        ("freeze", "approved", "frozen"),
    ],
    ApplicationStatus.EXIT_PENDING: [
        ("submit", "draft", "pending_unit"),
        ("recommend", "pending_unit", "pending_bureau"),
        ("approve", "pending_bureau", "approved"),
        ("request_exit", "approved", "exit_pending"),
    ],
    ApplicationStatus.EXITED: [
        ("submit", "draft", "pending_unit"),
        ("recommend", "pending_unit", "pending_bureau"),
        ("approve", "pending_bureau", "approved"),
        ("request_exit", "approved", "exit_pending"),
        ("confirm_exit", "exit_pending", "exited"),
    ],
}
ROLES = {
    "submit": "申请人",
    "recommend": "单位账号",
    "approve": "科技局审核员",
    "reject": "科技局审核员",
    "freeze": "系统",
    "request_exit": "申请人",
    "confirm_exit": "科技局审核员",
}


# The application's date of each step of its history.
STEP_DATES = {
    "submit": "submitted_at",
    "recommend": "recommended_at",
    "approve": "decided_at",
    "reject": "decided_at",
}


def _history(applications, account_of, reviewer, now) -> int:
    rows = []
    for application in applications:
        for action, source, target in PATHS[application.status]:
            actor_id = {
                "submit": application.user_id,
                "request_exit": application.user_id,
                "recommend": account_of[application.user.unit_id],
                "freeze": None,  # the daily command (experts.lifecycle)
            }.get(action, reviewer.pk)
            rows.append(
                ApplicationTransition(
                    application=application,
                    actor_id=actor_id,
                    actor_role=ROLES[action],
                    action=action,
                    from_status=source,
                    to_status=target,
                    comment="材料不全，请补充。" if action == "reject" else "",
                    step_started_at=getattr(application, STEP_STARTS[action], None)
                    if action in STEP_STARTS
                    else None,
                )
            )
    ApplicationTransition.objects.bulk_create(rows, batch_size=BATCH)
    if rows:
        # Each step dated when the application says it was taken (bulk_create dates every row
        # now): 统计分析's months count the history. Later steps stay dated now.
        made = ApplicationTransition.objects.filter(pk__gte=rows[0].pk, pk__lte=rows[-1].pk)
        for action, field in STEP_DATES.items():
            taken = ExpertApplication.objects.filter(pk=OuterRef("application_id")).values(field)
            made.filter(action=action).update(
                created_at=Coalesce(Subquery(taken[:1]), F("created_at"))
            )
    return len(rows)
