"""Fill the database with a city's worth of realistic data, by bulk inserts.

`python manage.py seed_scale --units 1000 --experts 100000`: approved, pending and rejected
units with valid 统一社会信用代码; applicants with Chinese names, valid ID numbers and every
专家状态 in realistic proportions, with their review history as a bureau's years leave it:
forms returned (退回) with reason codes and field comments and submitted again, each 提交 with
its snapshot (experts.snapshots), drafts still returned, 年度确认 at every stage, 信息变更
requests in every state, an audit row for every step and an SMS for every decision (one in
60 failed), and 专家抽取 over those years (DrawHistory): draws with their answers, 递补, 补抽,
作废, SMS and audit rows, each round drawn by draws.fairness from the eligible set the rules left
at its moment, so that every one passes 复核. The waiting items are dated so that a minority is
past its due date on the day the command runs. One unit has 5,000 people, as a large university
would. Everyone's password is the one printed at the end.
"""

import bisect
import collections
import copy
import dataclasses
import datetime
import heapq
import io
import itertools
import random
import time

import pgtrigger
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from PIL import Image
from stdnum import luhn
from stdnum.cn import ric, uscc

from accounts.choices import DISTRICT_CHOICES, IdType, UnitNature, UnitStatus, UserKind
from accounts.models import Unit, User
from accounts.permissions import BUREAU_GROUP, SYSTEM_ROLE
from audit.log import fitted
from audit.models import AuditEvent
from changes import counts as change_counts
from changes import fields as change_fields
from changes.models import ChangeKind, ChangeRequest, ChangeStatus, ChangeTransition
from draws import fairness, rules
from draws.models import Draw, Event, Pick, Quota, Round, Void
from draws.services import review_params
from experts import counts, eligibility, periods, search, snapshots
from experts.choices import (
    EDUCATION_CHOICES,
    ETHNICITY_CHOICES,
    POLITICAL_CHOICES,
    TitleLevel,
    levels_at_least,
)
from experts.lifecycle import COMMAND as CONFIRMATIONS_COMMAND
from experts.lifecycle import reminder_sms
from experts.models import (
    ApplicationStatus,
    ApplicationTransition,
    Discipline,
    ExpertApplication,
    FacetDiscipline,
    ReasonCode,
)
from experts.services import CONSENT_VERSION, STEP_STARTS, approval_sms
from portal import deadlines, privacy
from portal.words import mask_numbers
from portal.workdays import add_workdays, is_workday
from portal.workflow import action_label, reasons_said
from sms import templates as sms_templates
from sms.backends.twilio import failure_reason
from sms.models import SMSMessage
from sms.outbox import shorten

PASSWORD = "Scale#2026pass"
BATCH = 5000
# The histories' UPDATE triggers, ignored while the rows just inserted are dated.
HISTORY_NO_UPDATE = "experts.ApplicationTransition:application_history_no_update"
CHANGE_HISTORY_NO_UPDATE = "changes.ChangeTransition:change_history_no_update"
# Every 20th applicant belongs to the first approved unit: 5,000 people at 100,000.
BIG_UNIT_SHARE = 20
# Each run's decisions are made by a reviewer account of its own: `--once` looks for one.
REVIEWER_PREFIX = "scale_reviewer_"

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


def started_work(born: datetime.date, rng, today: datetime.date) -> datetime.date | None:
    """A seeded 参加工作时间: 22 to 27 years after birth (never after `today`, the seed's),
    left empty one time in ten."""
    if rng.random() < 0.1:
        return None
    started = born + datetime.timedelta(days=365 * 22 + rng.randrange(365 * 5))
    return min(started, today)


class Command(BaseCommand):
    help = "批量生成测试数据：单位、个人账号、各状态的专家申请及审核记录（用于性能测试）。"

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=1000, help="生成的单位数（默认1000）")
        parser.add_argument(
            "--experts", type=int, default=100_000, help="生成的个人账号及专家申请数（默认100000）"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="随机种子：种子相同，生成的数据相同（默认2026）"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="DEBUG 关闭时也生成（仅用于性能测试的数据库，切勿用于正式环境）",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="本命令已生成过数据时不再生成（scripts/serve 使用）",
        )

    def handle(self, *args, units, experts, seed, force=False, once=False, **options):
        if not (settings.DEBUG or force):
            # 100,000 made-up people must never land in the bureau's real database.
            raise CommandError("测试数据只能在开发环境（DEBUG=true）或加 --force 时生成。")
        if once and User.objects.filter(username__startswith=REVIEWER_PREFIX).exists():
            self.stdout.write("已有示例数据，未再生成。")
            return
        if connection.settings_dict["OPTIONS"].get("server_side_binding"):
            # Dating the history and audit rows it inserts is an UPDATE their triggers refuse,
            # done under pgtrigger.ignore, whose set_config in front of each statement PostgreSQL
            # refuses once values are bound on the server. Said before anything is written.
            raise CommandError(
                "设置了 DATABASE_PREPARE_THRESHOLD 时不能生成测试数据：请不设该变量运行本命令。"
            )
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
def seed_scale(
    *, units: int, experts: int, seed: int = 2026, now: datetime.datetime | None = None
) -> dict[str, int]:
    """Insert `units` units and `experts` applicants in bulk; returns what was made. The same
    `seed` and `now` make the same rows: the draws' moments fall on office hours of the
    calendar while every other date is counted back from `now`, so a run a few seconds later
    can admit an expert on the other side of a draw."""
    rng = random.Random(seed)
    now = now or timezone.now()
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
                # Registered, so agreed to the 个人信息保护说明 (accounts.services).
                privacy_notice_version=privacy.NOTICE_VERSION,
                privacy_notice_at=now,
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
        username=f"{REVIEWER_PREFIX}{seed}_{start}", kind=UserKind.BUREAU, password=password
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
    # A year's returns, confirmations and changes, and the waiting items' dates, each from a
    # generator of its own: the draws above stay in their order, so the names, units and
    # statuses (which bench/search_terms.py and the benchmark's reference rows depend on) are
    # the same at any size.
    year = Year(
        timing=random.Random(f"{seed}:timing"),
        life=random.Random(f"{seed}:life"),
        now=now,
        approved=approved,
        reasons={code.code: code for code in ReasonCode.objects.filter(active=True)},
        account_of=account_of,
        reviewer=reviewer,
        unit_names=dict(Unit.objects.values_list("pk", "name")),
        unit_mobiles=dict(Unit.objects.values_list("pk", "contact_mobile")),
        unit_accounts=dict(
            User.objects.filter(kind=UserKind.UNIT).values_list("pk", "username").iterator()
        ),
    )
    made = {
        "单位": len(made_units),
        "申请人": 0,
        "审核记录": 0,
        "退回后再次提交": 0,
        "信息变更申请": 0,
        "审计记录": 0,
        "短信": 0,
    }
    for batch_start in range(0, experts, BATCH):
        size = min(BATCH, experts - batch_start)
        made_batch, plans = _applicants(
            rng,
            first + batch_start,
            size,
            approved,
            big_unit,
            password,
            now,
            (disciplines, sub_fields, refine),
            year,
        )
        made["申请人"] += len(made_batch)
        for name, n in _history(made_batch, plans, year).items():
            made[name] += n
    # The draws of those years, once every expert is in: each draws from all admitted then.
    for name, n in _seed_draws(year, seed).items():
        made[name] = made.get(name, 0) + n
    counts.recount()
    change_counts.recount()  # 信息变更's waiting counts, as after any bulk load
    eligibility.recompute()  # 资格提示 of the waiting applications, as submission would set them
    _decided_flags()
    return made


def _decided_flags() -> None:
    """资格提示 of the applications decided since: set at their last 提交 and kept through the
    decision, the record of what the reviewer saw (recompute() leaves them as they were)."""
    rules = eligibility.active_rules()
    decided = (
        ExpertApplication.objects.exclude(pk__in=eligibility.waiting())
        .filter(submitted_at__isnull=False)
        .only(*eligibility.FIELDS, *eligibility.FLAG_FIELDS)
    )
    flagged = []
    for application in decided.iterator(chunk_size=BATCH):
        eligibility.apply(application, rules)
        if application.eligibility_flags:
            flagged.append(application)
    ExpertApplication.objects.bulk_update(flagged, eligibility.FLAG_FIELDS, batch_size=BATCH)


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


def _applicants(rng, first, size, approved, big_unit, password, now, classification, year):
    disciplines, sub_fields, refine = classification
    users, applications, plans = [], [], {}
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
                privacy_notice_version=privacy.NOTICE_VERSION,
                privacy_notice_at=now,
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
            work_started_on=started_work(ric.get_birth_date(user.id_number), rng, year.today),
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
            consent_bureau=settings.BUREAU_NAME if submitted else "",
            submitted_at=submitted,
            recommended_at=submitted + datetime.timedelta(days=3, seconds=rng.randrange(DAY))
            if status in (ApplicationStatus.PENDING_BUREAU, *DECIDED)
            else None,
            decided_at=submitted + datetime.timedelta(days=10, seconds=rng.randrange(DAY))
            if status in DECIDED
            else None,
            status=status,
        )
        plan = _reshape(year, application, status)
        if status == ApplicationStatus.FROZEN:
            # Frozen: admitted, and last confirming, 24 months ago or more. The dates move back
            # together, so that none comes before the one it follows.
            back = application.decided_at - (now - datetime.timedelta(days=760))
            if back > datetime.timedelta(0):
                for name in ("consent_at", "submitted_at", "recommended_at", "decided_at"):
                    setattr(application, name, getattr(application, name) - back)
                if plan.returned is not None:  # the 退回 before the last 提交 moves with it
                    returned = plan.returned
                    plan.returned = dataclasses.replace(
                        returned, first=returned.first - back, at=returned.at - back
                    )
        if status in DECIDED and status != ApplicationStatus.REJECTED:
            # 年度确认: admission confirms (for the frozen, long ago).
            application.confirmed_at = application.decided_at
        if status == ApplicationStatus.APPROVED:
            _after_admission(year, application, plan)
        plans[user.pk] = plan
        if status == ApplicationStatus.PENDING_UNIT:
            application.due_on = deadlines.recommendation_due(application.submitted_at)
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
    return applications, plans


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


# What a bureau's year leaves beside the statuses, in these proportions (drawn from the
# generators of Year, never from the one that draws names, units and statuses):
# - one submitted application in RESUBMIT_EVERY was returned (退回) once by its unit, with
#   reason codes, a note and a comment on a field or two, and submitted again corrected: units
#   send back a form that lacks evidence or misstates a title, rarely twice;
RESUBMIT_EVERY = 8
# - one draft in RETURNED_DRAFT_EVERY is such a form not yet submitted again (已退回（待修改）);
#   the other drafts were never submitted;
RETURNED_DRAFT_EVERY = 8
# - one waiting item (待单位推荐, 待科技局审核) in OVERDUE_EVERY is past its due date (已超期), up
#   to LATE_DAYS days late; the rest are within their working days, as most are handled in time;
OVERDUE_EVERY = 7
LATE_DAYS = 15
# - admissions (and rejections) spread over ADMISSION_SPREAD_DAYS more than the submissions'
#   own two years, so that experts were admitted over the past four years;
ADMISSION_SPREAD_DAYS = 2 * 365
# - 年度确认: most experts admitted more than a year ago confirmed within the last 11 months; a
#   few are reminded and due this month, fewer overdue (reminded, not yet frozen), and one in
#   a few hundred is lapsed, for the daily job (experts.lifecycle) to freeze a handful;
CONFIRMATION_WEIGHTS = [("confirmed", 880), ("reminded", 70), ("overdue", 47), ("lapsed", 3)]
CONFIRMATION_AGE_DAYS = {
    "confirmed": (0, 336),
    "reminded": (336, 364),
    "overdue": (367, 725),
    "lapsed": (731, 745),
}
# - one admitted expert in KEY_CHANGE_EVERY asked for a 信息变更 of their key fields (a new title,
#   or, one request in MOVE_EVERY, a new unit), in the states of CHANGE_CYCLE: most were
#   approved, some returned by the unit, refused by the bureau or withdrawn, and the open ones
#   are the queue of a busy month; one in CONTACT_CHANGE_EVERY changed their 通讯地址 (已生效,
#   applied at once).
KEY_CHANGE_EVERY = 3
MOVE_EVERY = 5
CONTACT_CHANGE_EVERY = 10
CHANGE_CYCLE = [
    *["approved"] * 6,
    "pending_unit",
    *["approved"] * 5,
    "returned",
    "withdrawn",
    "pending_bureau",
    "approved",
    "refused",
    "approved",
    "withdrawn",
]
# The 提交 that carry their snapshot (experts.snapshots): every 提交 of an application that was
# returned, and the 提交 of those waiting for a review, which the reviewers open. The single 提交
# of an application decided and never returned carries none, as one submitted before the
# portal kept snapshots: only a later 提交 would compare it, and a snapshot costs a query.
IN_REVIEW = (ApplicationStatus.PENDING_UNIT, ApplicationStatus.PENDING_BUREAU)
# The fields a unit comments on when it returns a form: (field, reason code, comment).
FIXES = [
    ("title", "title", "职称与职称证书不一致，请按证书填写。"),
    ("achievements", "evidence", "请写明代表性项目的名称、本人排名和年份。"),
    ("research_direction", "discipline", "研究方向请与所选专业领域对应。"),
    ("work_started_on", "incomplete", "请填写参加工作时间。"),
]
RETURN_NOTE = "请按批注修改后重新提交。"
REJECT_NOTE = "材料不全，请补充。"
EARLIER_ACHIEVEMENTS = "主持项目多项。"
EARLIER_ADDRESS = "武汉市武昌区中北路1号"
CHANGE_RETURNED = "职称证书与申请变更的职称不一致，请核实后重新提交。"
CHANGE_REFUSED = "未提供新职称的证明材料。"


@dataclasses.dataclass
class Year:
    """What the history of the bureau's years needs besides the applicants: generators of its
    own, the moment it is seeded at (the day of the benchmark), and the people who act."""

    timing: random.Random
    life: random.Random
    now: datetime.datetime
    approved: list
    reasons: dict
    account_of: dict
    reviewer: User
    unit_names: dict
    unit_mobiles: dict
    unit_accounts: dict  # the unit accounts' usernames by their key
    counters: dict = dataclasses.field(default_factory=dict)

    def every(self, name: str, n: int) -> bool:
        """True on every `n`th call for `name`: a share that even a handful of rows has."""
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name] % n == 0

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)


@dataclasses.dataclass
class Returned:
    """A 退回 before the last 提交: when, why, and the fields as they were first submitted."""

    first: datetime.datetime
    at: datetime.datetime
    reasons: list
    comment: str
    field_comments: list
    earlier: dict


@dataclasses.dataclass
class Change:
    """A 信息变更 of an admitted expert: its state, its values and the moments of its steps."""

    state: str
    before: dict
    after: dict
    old_unit_id: int
    new_unit_id: int | None
    steps: list  # [(action, moment)]


@dataclasses.dataclass
class Plan:
    returned: Returned | None = None
    confirmed_again: bool = False  # 年度确认 after the admission
    change: Change | None = None
    contact_changed: datetime.datetime | None = None


def _moment(rng, start: datetime.datetime, days: tuple[int, int], now) -> datetime.datetime:
    """A moment `days` (low, high) whole days and some hours after `start`, never after now."""
    moment = start + datetime.timedelta(days=rng.randint(*days), seconds=rng.randrange(DAY))
    return min(moment, now - datetime.timedelta(minutes=1))


def _start_days(today: datetime.date, working_days: int, late: bool) -> list[datetime.date]:
    """The days a wait of `working_days` may have begun on: in time (due today or later), or
    late, the LATE_DAYS most recent days whose due date has passed."""
    days = [today - datetime.timedelta(days=n) for n in range(0, 120)]
    if late:
        return [day for day in days if add_workdays(day, working_days) < today][:LATE_DAYS]
    return [day for day in days if add_workdays(day, working_days) >= today]


_START_DAYS: dict = {}


def _waiting_since(year: Year, working_days: int) -> datetime.datetime:
    """When a wait of `working_days` began: one in OVERDUE_EVERY late, the rest in time."""
    late = year.every("waiting", OVERDUE_EVERY)
    key = (year.today, working_days, late)
    if key not in _START_DAYS:
        _START_DAYS[key] = _start_days(*key)
    day = year.timing.choice(_START_DAYS[key])
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    # Any time of that day, but not later today than now.
    span = DAY if day < year.today else max(int((year.now - start).total_seconds()), 1)
    return start + datetime.timedelta(seconds=year.timing.randrange(span))


def _reshape(year: Year, application: ExpertApplication, status: str) -> Plan:
    """The dates of a year (waiting items mostly in time, admissions over years) and the 退回
    before the last 提交, on an application made by _applicants; returns its plan."""
    plan = Plan()
    timing, life = year.timing, year.life
    if status == ApplicationStatus.PENDING_UNIT:
        application.submitted_at = _waiting_since(year, settings.UNIT_REVIEW_WORKING_DAYS)
    elif status == ApplicationStatus.PENDING_BUREAU:
        application.recommended_at = _waiting_since(year, settings.BUREAU_REVIEW_WORKING_DAYS)
        application.submitted_at = application.recommended_at - datetime.timedelta(
            days=timing.randint(1, 4), seconds=timing.randrange(DAY)
        )
    elif status in DECIDED:
        back = datetime.timedelta(days=timing.randrange(ADMISSION_SPREAD_DAYS))
        for name in ("submitted_at", "recommended_at", "decided_at"):
            setattr(application, name, getattr(application, name) - back)
    application.consent_at = application.submitted_at
    if status == ApplicationStatus.DRAFT:
        if year.every("draft", RETURNED_DRAFT_EVERY):
            first = year.now - datetime.timedelta(
                days=life.randint(4, 40), seconds=life.randrange(DAY)
            )
            plan.returned = _returned(
                year, application, first, _moment(life, first, (1, 3), year.now)
            )
            application.submitted_at = application.consent_at = first
            application.consent_version = CONSENT_VERSION
            application.consent_bureau = settings.BUREAU_NAME
            application.returned_at = plan.returned.at
    elif year.every("submitted", RESUBMIT_EVERY):
        # Returned a few days after the first 提交, and submitted again a few days later.
        fixed = datetime.timedelta(days=life.randint(1, 10), seconds=life.randrange(DAY))
        at = application.submitted_at - fixed
        first = at - datetime.timedelta(days=life.randint(1, 4), seconds=life.randrange(DAY))
        plan.returned = _returned(year, application, first, at)
    return plan


def _returned(year: Year, application, first, at) -> Returned:
    life = year.life
    fixes = [fix for fix in FIXES if fix[0] != "work_started_on" or application.work_started_on]
    picked = sorted(life.sample(fixes, life.randint(1, 2)), key=FIXES.index)
    earlier = {}
    for name, _, _ in picked:
        if name == "title":
            title, level = life.choice([t for t in TITLES if t[0] != application.title])
            earlier.update(title=title, title_level=level)
        elif name == "achievements":
            earlier[name] = EARLIER_ACHIEVEMENTS
        elif name == "research_direction":
            earlier[name] = life.choice(
                [s for s in SPECIALTIES if s != application.research_direction]
            )
        else:
            earlier[name] = None
    codes = [
        year.reasons[code]
        for code in dict.fromkeys(c for _, c, _ in picked)
        if code in year.reasons
    ]
    # A note besides the codes half the time; always when no code is left to tick.
    comment = RETURN_NOTE if not codes or life.random() < 0.5 else ""
    return Returned(
        first=first,
        at=at,
        reasons=[{"code": code.code, "label": code.label} for code in codes],
        comment=comment,
        field_comments=[
            {
                "field": name,
                "label": str(ExpertApplication._meta.get_field(name).verbose_name),
                "comment": text,
            }
            for name, _, text in picked
        ],
        earlier=earlier,
    )


def _after_admission(year: Year, application: ExpertApplication, plan: Plan) -> None:
    """An admitted expert's 年度确认 (confirmed_at, confirm_reminded_at) and changes since."""
    timing, life, now = year.timing, year.life, year.now
    bucket = timing.choices(*zip(*CONFIRMATION_WEIGHTS, strict=True))[0]
    low, high = CONFIRMATION_AGE_DAYS[bucket]
    confirmed = now - datetime.timedelta(
        days=timing.randint(low, high), seconds=timing.randrange(DAY)
    )
    if confirmed > application.decided_at:
        application.confirmed_at = confirmed
        plan.confirmed_again = True
    if year.every("key change", KEY_CHANGE_EVERY):
        plan.change = _change(year, application)
        if plan.change.state == "approved":
            _confirmed(application, plan.change.steps[-1][1], plan)
    if year.every("contact change", CONTACT_CHANGE_EVERY):
        plan.contact_changed = _moment(life, application.decided_at, (5, 700), now)
        _confirmed(application, plan.contact_changed, plan)
    if application.confirmed_at < periods.remind_before(year.today - datetime.timedelta(days=1)):
        # Reminded by the daily job on the day the 11 months came, up to yesterday's run: those
        # whose day is today are today's to remind.
        reminded = application.confirmed_at + datetime.timedelta(days=336, hours=2)
        application.confirm_reminded_at = min(reminded, now - datetime.timedelta(hours=1))


def _confirmed(application, moment, plan) -> None:
    """A change applied at `moment` counts as the 年度确认 (experts.change_transitions)."""
    if moment > application.confirmed_at:
        application.confirmed_at = moment
        plan.confirmed_again = False  # the later step is the confirmation on record


def _change(year: Year, application: ExpertApplication) -> Change:
    life, now = year.life, year.now
    state = CHANGE_CYCLE[year.counters["key change"] // KEY_CHANGE_EVERY % len(CHANGE_CYCLE)]
    unit_id = application.unit_id
    if year.every("move", MOVE_EVERY) and len(year.approved) > 1:
        other = life.choice([unit for unit in year.approved if unit.pk != unit_id]).pk
        # An approved move brought the expert to the unit they are in now.
        old, new = (other, unit_id) if state == "approved" else (unit_id, other)
        before, after = {"unit": old}, {"unit": new}
    else:
        old, new = unit_id, None
        current = {"title": application.title, "title_level": application.title_level}
        title, level = life.choice([t for t in TITLES if t[0] != application.title])
        other = {"title": title, "title_level": level}
        # Only what differs, as changes.fields.changed keeps it: a new title of the same
        # level changes no 职称级别 (found by a walk: 变更内容 named it, 副高级 → 副高级).
        current = {name: value for name, value in current.items() if other[name] != value}
        other = {name: other[name] for name in current}
        # An approved change gave the title in force now.
        before, after = (other, current) if state == "approved" else (current, other)
    if state in ("pending_unit", "pending_bureau"):
        created = now - datetime.timedelta(days=life.randint(1, 20), seconds=life.randrange(DAY))
    else:
        created = _moment(life, application.decided_at, (7, 600), now - datetime.timedelta(days=3))
    steps = [("submit", created)]
    moment = created
    for action in {
        "pending_unit": [],
        "pending_bureau": ["confirm"],
        "approved": ["confirm", "approve"],
        "returned": ["send_back"],
        "refused": ["confirm", "reject"],
        "withdrawn": ["withdraw"],
    }[state]:
        moment = _moment(life, moment, (0, 4), now)
        steps.append((action, moment))
    return Change(state, before, after, old, new, steps)


STATUS_LABELS = dict(ApplicationStatus.choices)
CHANGE_STATUS_LABELS = dict(ChangeStatus.choices)
CHANGE_PATH = {
    "submit": ("", ChangeStatus.PENDING_UNIT),
    "confirm": (ChangeStatus.PENDING_UNIT, ChangeStatus.PENDING_BUREAU),
    "approve": (ChangeStatus.PENDING_BUREAU, ChangeStatus.APPROVED),
    "send_back": (ChangeStatus.PENDING_UNIT, ChangeStatus.REJECTED),
    "reject": (ChangeStatus.PENDING_BUREAU, ChangeStatus.REJECTED),
    "withdraw": (ChangeStatus.PENDING_UNIT, ChangeStatus.WITHDRAWN),
}
CHANGE_STATE = {
    "pending_unit": ChangeStatus.PENDING_UNIT,
    "pending_bureau": ChangeStatus.PENDING_BUREAU,
    "approved": ChangeStatus.APPROVED,
    "returned": ChangeStatus.REJECTED,
    "refused": ChangeStatus.REJECTED,
    "withdrawn": ChangeStatus.WITHDRAWN,
}
_LABELS: dict = {}


def _label(model, action: str) -> str:
    if (model, action) not in _LABELS:
        _LABELS[(model, action)] = action_label(model, action)
    return _LABELS[(model, action)]


class Records:
    """The rows one batch writes beside its history: audit events and SMS. Each is dated
    after its insert (auto_now_add dates it now) from a row that holds its moment: see
    _date_history, _align and the SMS's sent_at."""

    SENT_AFTER = datetime.timedelta(seconds=3)
    FAILED_EVERY = 60

    def __init__(self, year: Year, usernames: dict):
        self.year = year
        self.usernames = usernames
        self.application_type = ContentType.objects.get_for_model(ExpertApplication)
        self.unit_type = ContentType.objects.get_for_model(Unit)
        self.rows: list[ApplicationTransition] = []
        # The moments of the rows no column of the application holds (a 退回 and the 提交
        # before it, when another 提交 followed; a change applied): dated one by one.
        self.explicit: list[tuple[int, datetime.datetime]] = []
        self.row_events: list[AuditEvent] = []  # one per row of self.rows, in its order
        self.change_events_made = 0  # one per 信息变更 history row
        self.reminder_events: list[AuditEvent] = []
        self.messages: list[SMSMessage] = []

    def actor(self, actor_id) -> tuple[str, str]:
        return self.usernames.get(actor_id, ("system", SYSTEM_ROLE))

    def step(self, application, action, source, target, actor_id, explicit=None, **fields):
        """One history row of `application`, and its audit event, as portal.workflow.fire
        writes them; `explicit`: its moment, where no column of the application holds it."""
        if explicit is not None:
            self.explicit.append((len(self.rows), explicit))
        self.rows.append(
            ApplicationTransition(
                application=application,
                actor_id=actor_id,
                actor_role=self.actor(actor_id)[1],
                action=action,
                from_status=source,
                to_status=target,
                **fields,
            )
        )
        label = _label(ExpertApplication, action)
        row = self.rows[-1]  # its states as the history words them, as portal.workflow.fire
        detail = f"{label}：{row.get_from_status_display()} → {row.get_to_status_display()}"
        if action in ("send_back", "reject"):
            # Why, as experts.services has fire add it (reasons_said).
            why = reasons_said(
                [reason["label"] for reason in fields.get("reasons", [])],
                [comment["label"] for comment in fields.get("field_comments", [])],
                fields.get("comment", ""),
                text_as="理由说明",
            )
            detail = "；".join(part for part in (detail, why) if part)
        self.row_events.append(
            self.event(
                "experts.expertapplication",
                application.pk,
                f"{application.user.real_name}（{STATUS_LABELS[target]}）",
                actor_id,
                detail,
            )
        )

    def event(self, obj_type, obj_id, obj_repr, actor_id, detail, **kwargs) -> AuditEvent:
        username, role = kwargs.pop("who", None) or self.actor(actor_id)
        return AuditEvent(
            actor_id=actor_id,
            username=username,
            role=role,
            action=kwargs.pop("action", AuditEvent.Action.TRANSITION),
            object_type=obj_type,
            object_id=str(obj_id),
            object_repr=obj_repr[:200],
            result=AuditEvent.Result.SUCCESS,
            # As the portal's reverse proxy passes on an office's address.
            ip=f"10.8.{actor_id // 256 % 256}.{actor_id % 256}" if actor_id else None,
            detail=fitted(detail),
        )

    def about(self, application, template, params, moment) -> None:
        """An SMS to the applicant about their application, as experts.services sends it."""
        params = {"name": application.user.real_name, **params}
        self.sms(
            application.mobile, template, params, self.application_type, application.pk, moment
        )

    def sms(self, to, template, params, about_type, about_id, moment) -> None:
        """A sent SMS of `moment` (None: now), sent SENT_AFTER later: its sent_at dates it.
        One in FAILED_EVERY the provider refused, as Twilio refuses a number that takes no
        SMS, so that the outbox's 发送失败 and its 重新发送 have rows to show; it is dated
        the same way, and its sent_at cleared after (_history)."""
        params = template.checked(params)
        message = SMSMessage(
            to=to,
            body=template.render(params),
            template=template.key,
            params=params,
            status=SMSMessage.Status.SENT,
            attempts=1,
            sent_at=(moment or self.year.now) + self.SENT_AFTER,
            provider_id=f"seed-{len(self.messages)}-{about_id}",
            content_type=about_type,
            object_id=about_id,
        )
        if self.year.every("failed_sms", self.FAILED_EVERY):
            message.status = SMSMessage.Status.FAILED
            message.provider_id = ""
            message.failure_reason = failure_reason(400, 21614)
            # Masked as the outbox masks a real provider's error (sms.outbox._record_failure):
            # admin's 最近错误 never shows a whole number.
            message.last_error = mask_numbers(f"Twilio 400 21614: '{to}' is not a mobile number")
        self.messages.append(message)


# The history rows each of whose moment is a column of the application.
MOMENT_OF_STEP = {
    "submit": "submitted_at",
    "recommend": "recommended_at",
    "approve": "decided_at",
    "reject": "decided_at",
    "send_back": "returned_at",  # of the drafts still returned
    "confirm_info": "confirmed_at",
}


def _span(model, rows):
    return model.objects.filter(pk__gte=rows[0].pk, pk__lte=rows[-1].pk)


def _date_messages(messages) -> None:
    """Queued a moment before they were sent; a failed one never was."""
    sent = F("sent_at") - Records.SENT_AFTER
    _span(SMSMessage, messages).update(created_at=sent, next_attempt_at=sent)
    _span(SMSMessage, messages).filter(status=SMSMessage.Status.FAILED).update(sent_at=None)


def _date_history(made, records: Records) -> None:
    """Date the bulk-created history rows `made` as their steps were taken: from the
    application's column of each step, then the few no column holds, one by one. Later steps
    (冻结, 退出) stay dated now. Whole ranges at once: bulk_update's CASE costs about half a
    millisecond a row."""
    if not made:
        return
    span = _span(ApplicationTransition, made)
    rows = []
    for index, moment in records.explicit:
        made[index].created_at = moment
        rows.append(made[index])
    # The history refuses updates (portal.triggers): dating the rows just inserted is the one
    # update let through, in this transaction, as for the audit rows below.
    with pgtrigger.ignore(HISTORY_NO_UPDATE):
        for action, name in MOMENT_OF_STEP.items():
            taken = ExpertApplication.objects.filter(pk=OuterRef("application_id")).values(name)
            span.filter(action=action).update(
                created_at=Coalesce(Subquery(taken[:1]), F("created_at"))
            )
        ApplicationTransition.objects.bulk_update(rows, ["created_at"], batch_size=1000)


def _align(rows, sources, source_field: str, target_field: str) -> None:
    """Give each of the bulk-created `rows` the `source_field` of the row at its place in
    `sources` (made just before, one for one). Both bulk inserts into tables nobody else
    writes to during the seed, their keys run on without gaps: one UPDATE pairs them by the
    keys' distance. Were either interrupted (another writer), the moments are read and
    written row by row."""
    if not rows:
        return
    model, source = type(rows[0]), type(sources[0])
    keys, source_keys = [row.pk for row in rows], [row.pk for row in sources]
    if keys == list(range(keys[0], keys[0] + len(keys))) and source_keys == list(
        range(source_keys[0], source_keys[0] + len(source_keys))
    ):
        moment = source.objects.filter(pk=OuterRef("pk") + (source_keys[0] - keys[0]))
        _span(model, rows).update(**{target_field: Subquery(moment.values(source_field)[:1])})
        return
    moments = dict(source.objects.filter(pk__in=source_keys).values_list("pk", source_field))
    for row, source_key in zip(rows, source_keys, strict=True):
        setattr(row, target_field, moments[source_key])
    model.objects.bulk_update(rows, [target_field], batch_size=1000)


def _history(applications, plans, year: Year) -> dict[str, int]:
    """Each application's history, its audit events and SMS, and its 信息变更 requests."""
    reviewer = year.reviewer
    records = Records(
        year,
        {
            **{a.user_id: (a.user.username, "申请人") for a in applications},
            **{pk: (username, "单位账号") for pk, username in year.unit_accounts.items()},
            reviewer.pk: (reviewer.username, "科技局审核员"),
        },
    )
    resubmitted = 0
    for application in applications:
        resubmitted += _steps(application, plans[application.user_id], records)
    made = ApplicationTransition.objects.bulk_create(records.rows, batch_size=BATCH)
    _date_history(made, records)
    changes = _change_requests(applications, plans, records)
    events = AuditEvent.objects.bulk_create(records.row_events, batch_size=BATCH)
    reminders = AuditEvent.objects.bulk_create(records.reminder_events, batch_size=BATCH)
    messages = SMSMessage.objects.bulk_create(records.messages, batch_size=BATCH)
    # The audit table refuses updates (pgtrigger.Protect): dating the rows just inserted is
    # the one update let through, in this transaction.
    with pgtrigger.ignore("audit.AuditEvent:audit_no_update"):
        _align(events, made, "created_at", "at")
        if reminders:
            reminded = ExpertApplication.objects.filter(
                pk=Cast(OuterRef("object_id"), IntegerField())
            ).values("confirm_reminded_at")
            _span(AuditEvent, reminders).update(at=Subquery(reminded[:1]))
    if messages:
        _date_messages(messages)
    return {
        "审核记录": len(made),
        "退回后再次提交": resubmitted,
        "信息变更申请": changes,
        "审计记录": len(events) + len(reminders) + records.change_events_made,
        "短信": len(messages),
    }


def _steps(application, plan: Plan, records: Records) -> bool:
    """The history rows, audit events and SMS of one application; True if it was returned
    and submitted again."""
    year, reviewer = records.year, records.year.reviewer
    unit_account = year.account_of[application.unit_id]
    returned = plan.returned
    again = returned is not None and application.status != ApplicationStatus.DRAFT
    if returned is not None:
        earlier = copy.copy(application)
        for name, value in returned.earlier.items():
            setattr(earlier, name, value)
        records.step(
            application,
            "submit",
            "draft",
            "pending_unit",
            application.user_id,
            explicit=returned.first if again else None,
            snapshot=snapshots.take(earlier, attachments=[]),
        )
        records.step(
            application,
            "send_back",
            "pending_unit",
            "draft",
            unit_account,
            explicit=returned.at if again else None,
            comment=returned.comment,
            reasons=returned.reasons,
            field_comments=returned.field_comments,
        )
        why = _why(returned.reasons, returned.comment)
        records.about(
            application, sms_templates.APPLICATION_RETURNED, {"reason": shorten(why)}, returned.at
        )
    for action, source, target in PATHS[application.status]:
        actor_id = {
            "submit": application.user_id,
            "request_exit": application.user_id,
            "recommend": unit_account,
            "freeze": None,  # the daily command (experts.lifecycle)
        }.get(action, reviewer.pk)
        # Later steps (冻结, 退出) are dated now.
        moment = getattr(application, STEP_DATES[action]) if action in STEP_DATES else None
        fields = {}
        if action in STEP_STARTS:
            fields["step_started_at"] = getattr(application, STEP_STARTS[action])
        if action == "submit" and (returned is not None or application.status in IN_REVIEW):
            fields["snapshot"] = snapshots.take(application, attachments=[])
        if action == "submit" and returned is not None:
            fields["from_returned"] = True  # the 提交 that answers the 退回 (experts.services)
        if action == "reject":
            code = year.reasons.get("incomplete")
            fields["comment"] = REJECT_NOTE
            fields["reasons"] = [{"code": code.code, "label": code.label}] if code else []
        records.step(application, action, source, target, actor_id, **fields)
        if action == "approve":
            records.about(application, *_approval_sms(application.decided_at), moment)
        elif action == "reject":
            why = shorten(_why(fields["reasons"], REJECT_NOTE))
            records.about(application, sms_templates.APPLICATION_REJECTED, {"reason": why}, moment)
        elif action == "freeze":
            records.about(
                application,
                sms_templates.FROZEN,
                {"months": str(periods.FREEZE_AFTER_MONTHS)},
                moment,
            )
        elif action == "confirm_exit":
            records.about(application, sms_templates.EXIT_CONFIRMED, {}, moment)
    if plan.confirmed_again:
        records.step(application, "confirm_info", "approved", "approved", application.user_id)
    if plan.contact_changed:
        records.step(
            application,
            "update_contact",
            "approved",
            "approved",
            application.user_id,
            explicit=plan.contact_changed,
            comment=change_fields.label("address"),
        )
    change = plan.change
    if change is not None and change.state == "approved":
        labels = "、".join(change_fields.labels(change.after))
        records.step(
            application,
            "apply_change",
            "approved",
            "approved",
            reviewer.pk,
            explicit=change.steps[-1][1],
            comment=labels,
        )
    if application.confirm_reminded_at is not None:
        reminded = application.confirm_reminded_at
        on = timezone.localdate(reminded)
        template, params = reminder_sms(application, on)
        records.sms(
            application.mobile, template, params, records.application_type, application.pk, reminded
        )
        records.reminder_events.append(
            records.event(
                "experts.expertapplication",
                application.pk,
                f"{application.user.real_name}（{STATUS_LABELS[application.status]}）",
                None,
                f"年度确认提醒（满{periods.full_months_since(application.confirmed_at, on)}个月）",
                action=AuditEvent.Action.REMINDED,
                who=(CONFIRMATIONS_COMMAND, SYSTEM_ROLE),
            )
        )
    return again


def _why(reasons, comment) -> str:
    """As ApplicationTransition.reasons_text words a decision's reasons."""
    labels = "、".join(reason["label"] for reason in reasons)
    return "；".join(part for part in (labels, comment) if part)


def _approval_sms(decided_at) -> tuple:
    """The approval's SMS as experts.services.approval_sms worded it on the day of the
    decision, its 公示期 running then."""
    return approval_sms(decided_at, timezone.localdate(decided_at))


def _change_requests(applications, plans, records: Records) -> int:
    """The 信息变更 requests the plans hold, with their history, audit events and SMS, as
    changes.services writes them; and the 已生效 records of changed contact details.

    Dated without a correlated subquery over a column other than a key: inside the seed's
    transaction PostgreSQL's statistics still say the tables are empty, and such a subquery
    would read the whole table once per row."""
    year = records.year
    keys, planned, applied = [], [], []
    for application in applications:
        plan = plans[application.user_id]
        if plan.change is not None:
            keys.append(_key_request(application, plan.change, records))
            planned.append((keys[-1], plan.change, application))
        if plan.contact_changed:
            before, after = {"address": EARLIER_ADDRESS}, {"address": application.address}
            applied.append(
                ChangeRequest(
                    application=application,
                    kind=ChangeKind.CONTACT,
                    status=ChangeStatus.APPLIED,
                    requested_by_id=application.user_id,
                    old_unit_id=application.unit_id,
                    confirming_unit_id=application.unit_id,
                    values=change_fields.encode(after),
                    before=change_fields.snapshot(before),
                    after=change_fields.snapshot(after),
                    changed_labels="、".join(change_fields.labels(after)),
                    decided_at=plan.contact_changed,
                )
            )
    keys = ChangeRequest.objects.bulk_create(keys, batch_size=BATCH)
    applied = ChangeRequest.objects.bulk_create(applied, batch_size=BATCH)
    if applied:
        # Applied when saved: made, and last changed, then.
        _span(ChangeRequest, applied).update(created_at=F("decided_at"), updated_at=F("decided_at"))
    if not keys:
        return len(applied)

    # Each request's 提交 first, one for one with the requests (their moment dates the
    # request), then its later steps.
    submitted, later = ([], [], []), ([], [], [])
    for request, change, application in planned:
        name = application.user.real_name
        for action, moment in change.steps:
            source, target = CHANGE_PATH[action]
            actor_id = {
                "submit": application.user_id,
                "withdraw": application.user_id,
                "confirm": year.account_of[request.confirming_unit_id],
                "send_back": year.account_of[request.confirming_unit_id],
            }.get(action, year.reviewer.pk)
            rows, moments, events = submitted if action == "submit" else later
            rows.append(
                ChangeTransition(
                    change_request=request,
                    actor_id=actor_id,
                    actor_role=records.actor(actor_id)[1],
                    action=action,
                    from_status=source,
                    to_status=target,
                    comment={
                        "submit": request.changed_labels,
                        "send_back": CHANGE_RETURNED,
                        "reject": CHANGE_REFUSED,
                    }.get(action, ""),
                )
            )
            moments.append(moment)
            label = _label(ChangeRequest, action)
            events.append(
                records.event(
                    "changes.changerequest",
                    request.pk,
                    f"{request.get_kind_display()}（{CHANGE_STATUS_LABELS[target]}）",
                    actor_id,
                    f"{label}变更申请：{request.changed_labels}"
                    if action == "submit"
                    else f"{label}：{CHANGE_STATUS_LABELS[source]} → "
                    f"{CHANGE_STATUS_LABELS[target]}",
                )
            )
            _change_sms(records, request, application, name, action, moment)
    made_events = 0
    for rows, moments, events in (submitted, later):
        made = ChangeTransition.objects.bulk_create(rows, batch_size=BATCH)
        if not made:
            continue
        # A decision when the request says it was decided; the steps before it, whose
        # moments the request keeps nowhere, one by one.
        decided = ChangeRequest.objects.filter(pk=OuterRef("change_request_id"))
        before = []
        for row, moment in zip(made, moments, strict=True):
            if row.action not in DECISIONS:
                row.created_at = moment
                before.append(row)
        # As for the applications' history (_date_history).
        with pgtrigger.ignore(CHANGE_HISTORY_NO_UPDATE):
            _span(ChangeTransition, made).filter(action__in=DECISIONS).update(
                created_at=Subquery(decided.values("decided_at")[:1])
            )
            ChangeTransition.objects.bulk_update(before, ["created_at"], batch_size=1000)
        made_events += len(events)
        events = AuditEvent.objects.bulk_create(events, batch_size=BATCH)
        with pgtrigger.ignore("audit.AuditEvent:audit_no_update"):
            _align(events, made, "created_at", "at")
        if rows is submitted[0]:
            _align(keys, made, "created_at", "created_at")
    # Last changed at its decision, or (still open) at its last step.
    _span(ChangeRequest, keys).filter(decided_at__isnull=False).update(updated_at=F("decided_at"))
    still_open = []
    for request, change, _ in planned:
        if request.decided_at is None:
            request.updated_at = change.steps[-1][1]
            still_open.append(request)
    ChangeRequest.objects.bulk_update(still_open, ["updated_at"], batch_size=1000)
    records.change_events_made = made_events
    return len(keys) + len(applied)


DECISIONS = ["approve", "reject", "send_back", "withdraw"]


def _key_request(application, change: Change, records: Records) -> ChangeRequest:
    year = records.year
    decided = change.steps[-1] if change.state not in ("pending_unit", "pending_bureau") else None
    decider = None
    if decided:
        decider = {
            "approve": year.reviewer.pk,
            "reject": year.reviewer.pk,
            "send_back": year.account_of[change.new_unit_id or change.old_unit_id],
            "withdraw": application.user_id,
        }[decided[0]]
    return ChangeRequest(
        application=application,
        kind=ChangeKind.KEY,
        status=CHANGE_STATE[change.state],  # a protected FSM field may be given when made
        requested_by_id=application.user_id,
        old_unit_id=change.old_unit_id,
        new_unit_id=change.new_unit_id,
        confirming_unit_id=change.new_unit_id or change.old_unit_id,
        values=change_fields.encode(change.after),
        before=change_fields.snapshot(change.before),
        after=change_fields.snapshot(change.after),
        changed_labels="、".join(change_fields.labels(change.after)),
        decided_at=decided[1] if decided else None,
        # The unit's 确认, as changes.services sets it: the bureau's wait counts from it.
        confirmed_at=next((moment for action, moment in change.steps if action == "confirm"), None),
        decided_by_id=decider,
        decided_role=records.actor(decider)[1] if decider else "",
        reason={"send_back": CHANGE_RETURNED, "reject": CHANGE_REFUSED}.get(
            decided[0] if decided else "", ""
        ),
        # As the transitions set it (changes.models): due from the step that began the wait.
        due_on=_change_due(change),
    )


# The rule of each waiting state of a 信息变更, as its transitions apply it (changes.models).
CHANGE_DUE = {
    ChangeStatus.PENDING_UNIT: deadlines.recommendation_due,
    ChangeStatus.PENDING_BUREAU: deadlines.decision_due,
}


def _change_due(change: Change):
    rule = CHANGE_DUE.get(CHANGE_STATE[change.state])
    return rule(change.steps[-1][1]) if rule else None


def _change_sms(records: Records, request, application, name, action, moment) -> None:
    """The SMS of a 信息变更's step, as changes.services sends them (the 入库证明 left aside)."""
    year = records.year
    unit = year.unit_names[request.confirming_unit_id]
    template, params = {
        "approve": (sms_templates.CHANGE_APPROVED, {"fields": request.changed_labels}),
        "send_back": (
            sms_templates.CHANGE_RETURNED,
            {"unit": unit, "reason": shorten(CHANGE_RETURNED)},
        ),
        "reject": (sms_templates.CHANGE_REJECTED, {"reason": shorten(CHANGE_REFUSED)}),
    }.get(action, (None, None))
    if template:
        # About the application, as changes.services sends it: the person's home lists it.
        records.sms(
            application.mobile,
            template,
            {"name": name, **params},
            records.application_type,
            application.pk,
            moment,
        )
    old_mobile = year.unit_mobiles.get(request.old_unit_id)
    if action == "approve" and request.new_unit_id and old_mobile:
        # The old unit's contact hears of the move.
        records.sms(
            old_mobile,
            sms_templates.UNIT_EXPERT_MOVED,
            {"unit": year.unit_names[request.old_unit_id], "name": name},
            records.unit_type,
            request.old_unit_id,
            moment,
        )


# 专家抽取's history over the same years (draws.services), from a generator of its own, so that
# everything seeded before it stays the same:
# - about one draw a year per DRAW_EXPERTS_A_YEAR approved experts (a few hundred a year at
#   100,000 applicants), and in a small pool at least DRAWS_A_MONTH_LEAST a month once it holds
#   DRAW_POOL_LEAST experts a draw (the demo's months are not empty);
DRAW_EXPERTS_A_YEAR = 150
DRAWS_A_MONTH_LEAST = 3
DRAW_POOL_LEAST = 60
DRAW_PERIOD = datetime.timedelta(days=30)
# - on working days (portal.workdays), from OPENS for eight hours;
OPENS = datetime.time(9)
# - each for 1 to 3 专业领域 of 3 to 7 experts and 1 or 2 备选, under the rules reviewers state:
#   the applicant units to avoid, now and then a named expert, a cool-down, a yearly cap and a
#   lowest 职称级别 (draws.rules.Criteria);
DRAW_COOLDOWNS = [(0, 3), (90, 3), (180, 2), (365, 1)]
DRAW_CAPS = [(0, 2), (3, 2), (5, 1)]
DRAW_TITLES = [("", 5), (TitleLevel.ASSOCIATE, 4), (TitleLevel.SENIOR, 1)]
AVOID_EXPERT_EVERY = 5
# - one draw in VOID_EVERY is 作废 within the hour, before anyone was texted, and the project
#   drawn again;
VOID_EVERY = 40
# - each member is texted (短信通知) within two hours and answers within ANSWER_DAYS: one in
#   DECLINE_EVERY 不参加, with a reason of DECLINE_REASONS; those whose answer would come after
#   the seed's moment have none yet (待确认). A declined place is filled by 递补 (the next 备选
#   the rules allow, those they refuse passed over with why) or, one time in REDRAW_EVERY or
#   when the 备选 are used up, by 补抽 (a fresh round under the draw's rules).
DECLINE_EVERY = 7
ANSWER_DAYS = 10
REDRAW_EVERY = 3
PROJECTS = [
    "市科技计划项目立项评审",
    "科技成果转化项目验收",
    "高新技术企业认定评审",
    "科技型中小企业技术创新项目评审",
    "重点研发计划项目中期检查",
    "科学技术奖初评",
    "新型研发机构绩效评价",
]
PLACES_OF_REVIEW = [
    "市科技局三楼第一会议室",
    "市科技局五楼评审室",
    "市民之家B区第二会议室",
    "光谷科技会展中心二楼会议室",
]
VOID_REASONS = ["项目名称填写错误，重新抽取", "评审时间变更，重新抽取", "回避单位漏填，重新抽取"]
DECLINE_REASONS = [
    "评审当天出差",
    "身体原因",
    "与申报单位存在合作关系，主动回避",
    "已有教学安排",
    "评审当天另有会议",
]
DRAW_NO_UPDATE = [
    "draws.Draw:draw_no_update",
    "draws.Round:draw_round_no_update",
    "draws.Pick:draw_pick_no_update",
    "draws.Event:draw_event_no_update",
    "draws.Void:draw_void_no_update",
]


def draws_a_period(pool: int) -> float:
    """How many draws a DRAW_PERIOD of a pool of `pool` approved experts sees."""
    at_least = min(DRAWS_A_MONTH_LEAST, pool / DRAW_POOL_LEAST)
    return max(pool / DRAW_EXPERTS_A_YEAR * DRAW_PERIOD.days / 365, at_least)


@dataclasses.dataclass
class DrawnExpert:
    """An approved expert as a draw sees them (one row of pool_for, with its 专业领域)."""

    pk: int
    decided_at: datetime.datetime
    unit_id: int
    title_level: str
    name: str
    unit_name: str
    title: str
    mobile: str


@dataclasses.dataclass
class SeededDraw:
    """One draw as it is played out in memory, then written (_write_draws)."""

    at: datetime.datetime
    review_at: datetime.datetime
    project_name: str
    review_place: str
    criteria: object  # draws.rules.Criteria
    quotas: list = dataclasses.field(default_factory=list)  # [[field pk, name, count, reserves]]
    rounds: list = dataclasses.field(default_factory=list)  # SeededRound
    # (moment, action, expert pk, reason, quota index) of each Event, in the order taken.
    events: list = dataclasses.field(default_factory=list)
    # (moment, audit detail, source) of each audit row: source is "draw", "round", "void" or
    # "event" (one for one with `events`, in their order).
    audits: list = dataclasses.field(default_factory=list)
    called: list = dataclasses.field(default_factory=list)  # (moment, round, position, pk)
    voided: tuple | None = None  # (moment, reason)
    notified: set = dataclasses.field(default_factory=set)
    declined: dict = dataclasses.field(default_factory=dict)  # expert pk → moment


@dataclasses.dataclass
class SeededRound:
    quota: int  # index in SeededDraw.quotas
    number: int
    at: datetime.datetime
    seed: str
    eligible: list
    wanted: int
    picked: list
    first: int = 1  # the 顺序 of its first member in the quota


class DrawBook:
    """What the rules read of the draws made so far (draws.rules), in memory: each member row
    with its moment, the declines and the voids with theirs, so that every draw, 递补 and 补抽
    sees the record as it stood at its own moment."""

    def __init__(self):
        # Every member row as (draw, expert pk), in the order of their moments (`moments`):
        # the steps are played in that order (DrawHistory.play), so each is appended last.
        self.timeline: list[tuple[SeededDraw, int]] = []
        self.moments: list[datetime.datetime] = []
        self.by_day: dict[datetime.date, list] = {}  # review day → [(moment, draw, expert pk)]

    def add(self, draw: SeededDraw, pk: int, moment) -> None:
        self.timeline.append((draw, pk))
        self.moments.append(moment)
        self.by_day.setdefault(timezone.localdate(draw.review_at), []).append((moment, draw, pk))

    @staticmethod
    def live(draw: SeededDraw, moment) -> bool:
        return draw.voided is None or draw.voided[0] > moment

    def drawn_since(self, since, moment) -> collections.Counter:
        """How many member rows each expert has from `since` to `moment`, in draws not void
        then (counted_picks): what the cool-down and the yearly cap read."""
        first = bisect.bisect_left(self.moments, since)
        last = bisect.bisect_right(self.moments, moment)
        return collections.Counter(
            pk for draw, pk in self.timeline[first:last] if self.live(draw, moment)
        )

    def busy(self, day, moment, draw: SeededDraw) -> set[int]:
        """busy_on: members of other live draws reviewing on `day`, not declined there."""
        return {
            pk
            for at, other, pk in self.by_day.get(day, ())
            if other is not draw
            and at <= moment
            and self.live(other, moment)
            and not (pk in other.declined and other.declined[pk] <= moment)
        }

    def refusals(self, draw: SeededDraw, expert: DrawnExpert, moment) -> list[str]:
        """Why the draw's rules refuse `expert` at `moment` (draws.rules.refusals' words)."""
        criteria, said = draw.criteria, []
        if expert.pk in self.busy(timezone.localdate(draw.review_at), moment, draw):
            said.append(rules.BUSY)
        since = moment - datetime.timedelta(days=criteria.cooldown_days)
        if criteria.cooldown_days and self.drawn_since(since, moment)[expert.pk]:
            said.append(rules.COOLING_DOWN)
        drawn = self.drawn_since(_year_start(moment), moment)[expert.pk]
        if criteria.yearly_cap and drawn >= criteria.yearly_cap:
            said.append(rules.CAPPED)
        return said


def _year_start(moment) -> datetime.datetime:
    return timezone.localtime(moment).replace(
        month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


class DrawHistory:
    """The draws of the seeded years, played out in the order of their moments."""

    def __init__(self, year: Year, seed: int):
        self.year = year
        self.rng = random.Random(f"{seed}:draws")
        self.book = DrawBook()
        self.counters: dict[str, int] = {}
        self.fields = list(
            Discipline.objects.filter(parent=None).order_by("code").values_list("pk", "name")
        )
        self.experts: dict[int, DrawnExpert] = {
            pk: DrawnExpert(pk, decided, unit, level, name, unit_name or "", title, mobile)
            for pk, decided, unit, level, name, unit_name, title, mobile in (
                ExpertApplication.objects.filter(
                    status=ApplicationStatus.APPROVED, decided_at__isnull=False
                )
                .order_by("decided_at", "pk")
                .values_list(
                    "pk",
                    "decided_at",
                    "unit_id",
                    "title_level",
                    "user__real_name",
                    "unit__name",
                    "title",
                    "mobile",
                )
                .iterator()
            )
        }
        field_pks = {pk for pk, _ in self.fields}
        # A field's experts, as in_discipline finds them (FacetDiscipline), by admission.
        self.in_field: dict[int, list[DrawnExpert]] = {pk: [] for pk in field_pks}
        for application_id, field in FacetDiscipline.objects.filter(
            discipline_id__in=field_pks, application_id__in=list(self.experts)
        ).values_list("application_id", "discipline_id"):
            self.in_field[field].append(self.experts[application_id])
        for experts in self.in_field.values():
            experts.sort(key=lambda expert: (expert.decided_at, expert.pk))
        self.field_admitted = {
            field: [expert.decided_at for expert in experts]
            for field, experts in self.in_field.items()
        }
        self.ordered = list(self.experts.values())
        self.admitted = [expert.decided_at for expert in self.ordered]
        self.draws: list[SeededDraw] = []
        self.queue: list = []  # (moment, order, step, arguments)
        self.order = itertools.count()
        self.batches: dict[tuple[int, str], int] = {}

    def every(self, name: str, n: int) -> bool:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name] % n == 0

    def later(self, moment, step, *arguments) -> None:
        if moment < self.year.now:  # what would come after the seed's moment has not happened
            # In the order of the moments; two at one moment in the order they were planned.
            heapq.heappush(self.queue, (moment, next(self.order), step, arguments))

    def play(self) -> list[SeededDraw]:
        now, rng = self.year.now, self.rng
        admitted = self.admitted
        if not admitted:
            return []
        start, owed = admitted[0], 0.0
        while start < now:
            owed += draws_a_period(bisect.bisect_left(admitted, start))
            end = min(start + DRAW_PERIOD, now - datetime.timedelta(hours=1))
            for _ in range(int(owed)):
                span = max(int((end - start).total_seconds()), 1)
                moment = start + datetime.timedelta(seconds=rng.randrange(span))
                self.later(self.in_office_hours(moment, end), self.draw, None)
            owed -= int(owed)
            start += DRAW_PERIOD
        # And one in the last days, whose answers are not all in yet (待确认).
        latest = now - datetime.timedelta(seconds=rng.randrange(3600, 3 * DAY))
        latest = self.in_office_hours(latest, now - datetime.timedelta(hours=1))
        self.later(latest, self.draw, None)
        while self.queue:
            moment, _, step, arguments = heapq.heappop(self.queue)
            step(*arguments, moment)
        return self.draws

    def in_office_hours(self, moment, end):
        """A time from 9:00 to 17:00 of `moment`'s day or, where that is no working day or
        the time would come after `end`, of the last working day before it that is not."""
        day = timezone.localdate(moment)
        after_opening = datetime.timedelta(seconds=self.rng.randrange(8 * 3600))
        while True:
            at = timezone.make_aware(datetime.datetime.combine(day, OPENS)) + after_opening
            if at <= end and is_workday(day):
                return at
            day -= datetime.timedelta(days=1)

    def eligible(self, draw: SeededDraw, field: int, moment, taken) -> list[int]:
        """draws.rules.eligible at `moment`: the field's approved experts under the rules."""
        criteria = draw.criteria
        lowest = criteria.min_title_level
        levels = set(levels_at_least(lowest)) if lowest else None
        left_out = self.book.busy(timezone.localdate(draw.review_at), moment, draw)
        left_out |= set(taken) | set(criteria.avoid_expert_ids)
        if criteria.cooldown_days:
            since = moment - datetime.timedelta(days=criteria.cooldown_days)
            left_out |= self.book.drawn_since(since, moment).keys()
        if criteria.yearly_cap:
            drawn = self.book.drawn_since(_year_start(moment), moment)
            left_out |= {pk for pk, n in drawn.items() if n >= criteria.yearly_cap}
        avoid_units = set(criteria.avoid_unit_ids)
        experts = self.in_field[field]
        admitted = experts[: bisect.bisect_left(self.field_admitted[field], moment)]
        return sorted(
            expert.pk
            for expert in admitted
            if (levels is None or expert.title_level in levels)
            and expert.unit_id not in avoid_units
            and expert.pk not in left_out
        )

    def round(self, draw, quota, number, moment, ids, wanted, reserves, first=1):
        """One round: a seed of the draw's generator, the picks fairness.select makes."""
        seed = f"{self.rng.getrandbits(256):064x}"
        picked = fairness.select(seed, ids, wanted + reserves)
        drawn = SeededRound(quota, number, moment, seed, ids, wanted, picked, first)
        draw.rounds.append(drawn)
        for pk in picked[:wanted]:
            self.book.add(draw, pk, moment)
        return drawn

    def draw(self, project: str | None, moment) -> None:
        """A draw at `moment`: of a new project (numbered 第N批 within its year, so that no
        two projects share a name), or of `project` again after its draw was 作废."""
        rng, year = self.rng, self.year
        local = timezone.localtime(moment)
        if project is None:
            kind = rng.choice(PROJECTS)
            self.batches[(local.year, kind)] = self.batches.get((local.year, kind), 0) + 1
            project = f"{local.year}年{kind}（第{self.batches[(local.year, kind)]}批）"
        review_day = local.date() + datetime.timedelta(days=rng.randint(5, 30))
        review_at = timezone.make_aware(
            datetime.datetime.combine(review_day, datetime.time(rng.choice([9, 14]), 30))
        )
        avoid_units = rng.sample(year.approved, min(len(year.approved), rng.randint(1, 2)))
        avoid_experts = []
        if self.every("avoid expert", AVOID_EXPERT_EVERY):
            # One admitted by then (self.experts runs in the order of admission).
            known = bisect.bisect_left(self.admitted, moment)
            avoid_experts = [self.ordered[rng.randrange(known)]] if known else []
        criteria = rules.Criteria(
            avoid_unit_ids=tuple(unit.pk for unit in avoid_units),
            avoid_unit_names=tuple(unit.name for unit in avoid_units),
            avoid_expert_ids=tuple(expert.pk for expert in avoid_experts),
            avoid_expert_names=tuple(expert.name for expert in avoid_experts),
            cooldown_days=_weighted(rng, DRAW_COOLDOWNS),
            yearly_cap=_weighted(rng, DRAW_CAPS),
            min_title_level=_weighted(rng, DRAW_TITLES),
        )
        draw = SeededDraw(
            at=moment,
            review_at=review_at,
            project_name=project,
            review_place=rng.choice(PLACES_OF_REVIEW),
            criteria=criteria,
        )
        taken: set[int] = set()
        asked = rng.sample(self.fields, min(len(self.fields), rng.randint(1, 3)))
        said = []
        for field, name in sorted(asked):
            count, reserves = rng.randint(3, 7), rng.randint(1, 2)
            ids = self.eligible(draw, field, moment, taken)
            # As a reviewer does when told 符合条件的专家只有N人: fewer, or the field left out.
            reserves = max(0, min(reserves, len(ids) - count))
            count = min(count, len(ids) - reserves)
            if count < 3:
                continue
            draw.quotas.append([field, name, count, reserves])
            drawn = self.round(draw, len(draw.quotas) - 1, 1, moment, ids, count, reserves)
            taken.update(drawn.picked)
            said.append(f"{name}抽中{count}人、备选{reserves}人（符合条件{len(ids)}人）")
        if not draw.quotas:
            return  # nothing drawable: the reviewer made no draw
        self.draws.append(draw)
        draw.audits.append((moment, "抽取：" + "；".join(said), "draw"))
        if self.every("void", VOID_EVERY):
            self.later(moment + datetime.timedelta(minutes=rng.randint(20, 60)), self.void, draw)
        else:
            self.later(moment + datetime.timedelta(minutes=rng.randint(10, 120)), self.notify, draw)

    def void(self, draw: SeededDraw, moment) -> None:
        reason = self.rng.choice(VOID_REASONS)
        draw.voided = (moment, reason)
        draw.audits.append((moment, f"作废：理由：{reason}；短信通知取消0人", "void"))
        # Drawn again, under the rules as they should have been.
        again = moment + datetime.timedelta(minutes=self.rng.randint(10, 60))
        self.later(again, self.draw, draw.project_name)

    def event(self, draw, moment, action, pk, reason="", quota=None) -> None:
        draw.events.append((moment, action, pk, reason, quota))
        expert = self.experts[pk]
        said = f"{Event.Action(action).label}：{expert.name}（专家编号 {pk}）"
        if action in (Event.Action.CONFIRM, Event.Action.DECLINE, Event.Action.SKIP) and reason:
            said += f"；理由：{reason}"
        if action == Event.Action.CALL:
            said = f"递补：{expert.name}（专家编号 {pk}），{draw.quotas[quota][1]}第{reason}位"
        draw.audits.append((moment, said, "event"))

    def members(self, draw: SeededDraw):
        """(quota, expert pk) of each member, drawn or called up, in the order they came."""
        for drawn in draw.rounds:
            for pk in drawn.picked[: drawn.wanted]:
                yield drawn.quota, pk
        for _, drawn, _, pk in draw.called:
            yield drawn.quota, pk

    def notify(self, draw: SeededDraw, moment) -> None:
        """短信通知 of each member not told yet, and, in the days after, their answer."""
        rng = self.rng
        for quota, pk in list(self.members(draw)):
            if pk in draw.notified or pk in draw.declined:
                continue
            draw.notified.add(pk)
            self.event(draw, moment, Event.Action.NOTIFY, pk)
            # Within ANSWER_DAYS, and before the review: the latest draws' are not all in yet.
            before = min(ANSWER_DAYS * DAY, int((draw.review_at - moment).total_seconds()) - DAY)
            answered = moment + datetime.timedelta(
                seconds=rng.randrange(2 * 3600, max(before, 3 * 3600))
            )
            self.later(answered, self.answer, draw, quota, pk)

    def answer(self, draw: SeededDraw, quota: int, pk: int, moment) -> None:
        if not self.every("decline", DECLINE_EVERY):
            self.event(draw, moment, Event.Action.CONFIRM, pk)
            return
        self.event(draw, moment, Event.Action.DECLINE, pk, self.rng.choice(DECLINE_REASONS))
        draw.declined[pk] = moment
        filled = moment + datetime.timedelta(seconds=self.rng.randrange(3600, DAY))
        if filled < draw.review_at:
            self.later(filled, self.fill, draw, quota)

    def fill(self, draw: SeededDraw, quota: int, moment) -> None:
        """递补, or 补抽 one time in REDRAW_EVERY or when no 备选 is left to call."""
        members = {pk for q, pk in self.members(draw) if q == quota}
        if draw.quotas[quota][2] - len(members - set(draw.declined)) <= 0:
            return
        called = {pk for _, _, _, pk in draw.called}
        reserves = [
            (drawn, pk)
            for drawn in draw.rounds
            if drawn.quota == quota
            for pk in drawn.picked[drawn.wanted :]
            if pk not in called
        ]
        if reserves and not self.every("redraw", REDRAW_EVERY):
            passed_over = []
            for drawn, pk in reserves:
                refused = self.book.refusals(draw, self.experts[pk], moment)
                if not refused:
                    for skipped, why in passed_over:
                        self.event(draw, moment, Event.Action.SKIP, skipped, why)
                    position = self.next_position(draw, quota)
                    draw.called.append((moment, drawn, position, pk))
                    self.event(draw, moment, Event.Action.CALL, pk, str(position), quota)
                    self.book.add(draw, pk, moment)
                    self.told_soon(draw, moment)
                    return
                passed_over.append((pk, "、".join(refused)))
        self.redraw(draw, quota, moment)

    def next_position(self, draw: SeededDraw, quota: int) -> int:
        """The next member's 顺序 in the quota: members are numbered 1, 2… in the order they
        came (services._next_member_position)."""
        return 1 + sum(1 for q, _ in self.members(draw) if q == quota)

    def redraw(self, draw: SeededDraw, quota: int, moment) -> None:
        members = [pk for q, pk in self.members(draw) if q == quota]
        places = draw.quotas[quota][2] - len(set(members) - set(draw.declined))
        taken = {pk for drawn in draw.rounds for pk in drawn.picked}
        ids = self.eligible(draw, draw.quotas[quota][0], moment, taken)
        if len(ids) < places:
            return  # 不足以补足: the reviewer leaves the place open
        number = 1 + max(drawn.number for drawn in draw.rounds if drawn.quota == quota)
        first = len(members) + 1
        drawn = self.round(draw, quota, number, moment, ids, places, 0, first)
        names = "、".join(f"{self.experts[pk].name}（专家编号 {pk}）" for pk in drawn.picked)
        draw.audits.append(
            (
                moment,
                f"补抽：{draw.quotas[quota][1]}第{number}轮（符合条件{len(ids)}人），抽中{names}",
                "round",
            )
        )
        self.told_soon(draw, moment)

    def told_soon(self, draw: SeededDraw, moment) -> None:
        self.later(moment + datetime.timedelta(minutes=self.rng.randint(5, 60)), self.notify, draw)


def _weighted(rng, choices):
    return rng.choices(*zip(*choices, strict=True))[0]


def _seed_draws(year: Year, seed: int) -> dict[str, int]:
    """The draws of the seeded years (DrawHistory), written as draws.services writes each
    step: the record's rows, an audit row (抽取记录) per step and an SMS per 短信通知, each
    dated when its step was taken."""
    played = DrawHistory(year, seed).play()
    if not played:
        return {"专家抽取": 0}
    reviewer = year.reviewer
    records = Records(year, {reviewer.pk: (reviewer.username, "科技局审核员")})
    experts = ExpertApplication.objects.select_related("user", "unit").in_bulk(
        {pk for draw in played for drawn in draw.rounds for pk in drawn.picked}
    )
    draws = Draw.objects.bulk_create(
        [
            Draw(
                project_name=draw.project_name,
                review_at=draw.review_at,
                review_place=draw.review_place,
                criteria=draw.criteria.as_json(),
                created_by=reviewer,
            )
            for draw in played
        ],
        batch_size=BATCH,
    )
    for row, draw in zip(draws, played, strict=True):
        row.created_at = draw.at  # its name in the audit rows (str) carries the day
    quotas = Quota.objects.bulk_create(
        [
            Quota(
                draw=row,
                number=number,
                discipline_id=field,
                discipline_name=name,
                count=count,
                reserves=reserves,
            )
            for row, draw in zip(draws, played, strict=True)
            for number, (field, name, count, reserves) in enumerate(draw.quotas, 1)
        ],
        batch_size=BATCH,
    )
    quota_of = iter(quotas)
    quota_rows = [[next(quota_of) for _ in draw.quotas] for draw in played]
    rounds, round_of = [], {}
    for index, draw in enumerate(played):
        for drawn in draw.rounds:
            rounds.append(
                Round(
                    quota=quota_rows[index][drawn.quota],
                    number=drawn.number,
                    seed=drawn.seed,
                    eligible_ids=drawn.eligible,
                    eligible_hash=fairness.eligible_hash(drawn.eligible),
                    eligible_count=len(drawn.eligible),
                    wanted=drawn.wanted,
                    picked_ids=drawn.picked,
                    created_by=reviewer,
                )
            )
            round_of[id(drawn)] = rounds[-1]
    Round.objects.bulk_create(rounds, batch_size=BATCH)
    picks, called = [], []
    for row, draw in zip(draws, played, strict=True):
        for drawn in draw.rounds:
            for place, pk in enumerate(drawn.picked, 1):
                member = place <= drawn.wanted
                picks.append(
                    Pick.as_drawn(
                        experts[pk],
                        draw=row,
                        round=round_of[id(drawn)],
                        role=Pick.Role.MEMBER if member else Pick.Role.RESERVE,
                        position=drawn.first - 1 + place if member else place - drawn.wanted,
                    )
                )
        for _, drawn, position, pk in draw.called:
            called.append(
                Pick.as_drawn(
                    experts[pk],
                    draw=row,
                    round=round_of[id(drawn)],
                    role=Pick.Role.MEMBER,
                    position=position,
                )
            )
    picks = Pick.objects.bulk_create(picks + called, batch_size=BATCH)
    events, event_audits = [], []
    audits, audit_moments, voids, messages_before = [], [], [], len(records.messages)
    for row, draw in zip(draws, played, strict=True):
        name = str(row)
        for moment, action, pk, reason, _ in draw.events:
            kept = reason if action in (Event.Action.DECLINE, Event.Action.SKIP) else ""
            events.append(
                Event(
                    draw=row,
                    application_id=pk,
                    action=action,
                    reason=kept,
                    actor=reviewer,
                )
            )
            if action == Event.Action.NOTIFY:
                expert = experts[pk]
                records.sms(
                    expert.mobile,
                    sms_templates.DRAW_NOTICE,
                    {"name": expert.user.real_name, **review_params(row)},
                    records.application_type,
                    pk,
                    moment,
                )
        for moment, detail, source in draw.audits:
            audit = records.event(
                "draws.draw", row.pk, name, reviewer.pk, detail, action=AuditEvent.Action.DRAW
            )
            if source == "event":
                event_audits.append(audit)
            else:
                audits.append(audit)
                audit_moments.append(moment)
        if draw.voided is not None:
            voids.append(Void(draw=row, reason=draw.voided[1], actor=reviewer))
    # auto_now_add dates each row now as it is inserted: each is given its moment after.
    events = Event.objects.bulk_create(events, batch_size=BATCH)
    voids = Void.objects.bulk_create(voids, batch_size=BATCH)
    moments = [moment for draw in played for moment, *_ in draw.events]
    for row, moment in zip(events, moments, strict=True):
        row.created_at = moment
    for row, draw in zip(voids, [draw for draw in played if draw.voided], strict=True):
        row.created_at = draw.voided[0]
    for row, drawn in zip(rounds, [d for draw in played for d in draw.rounds], strict=True):
        row.created_at = drawn.at
    moments = [moment for draw in played for moment, *_ in draw.called]
    for row, moment in zip(picks[len(picks) - len(called) :], moments, strict=True):
        row.created_at = moment
    # The record refuses updates (portal.triggers.append_only): dating the rows just inserted is
    # the one update let through, in this transaction, as for the history and audit rows.
    with pgtrigger.ignore(*DRAW_NO_UPDATE):
        Draw.objects.bulk_update(draws, ["created_at"], batch_size=1000)
        Round.objects.bulk_update(rounds, ["created_at"], batch_size=1000)
        # A pick is made with its round, but a 备选 called up (递补), made when called.
        made_with = Round.objects.filter(pk=OuterRef("round_id")).values("created_at")
        _span(Pick, picks).update(created_at=Subquery(made_with[:1]))
        Pick.objects.bulk_update(picks[len(picks) - len(called) :], ["created_at"], batch_size=1000)
        Event.objects.bulk_update(events, ["created_at"], batch_size=1000)
        Void.objects.bulk_update(voids, ["created_at"], batch_size=1000)
    event_audits = AuditEvent.objects.bulk_create(event_audits, batch_size=BATCH)
    audits = AuditEvent.objects.bulk_create(audits, batch_size=BATCH)
    with pgtrigger.ignore("audit.AuditEvent:audit_no_update"):
        _align(event_audits, events, "created_at", "at")
        for audit, moment in zip(audits, audit_moments, strict=True):
            audit.at = moment
        AuditEvent.objects.bulk_update(audits, ["at"], batch_size=1000)
    messages = SMSMessage.objects.bulk_create(records.messages[messages_before:], batch_size=BATCH)
    if messages:
        _date_messages(messages)
    return {
        "专家抽取": len(draws),
        "审计记录": len(event_audits) + len(audits),
        "短信": len(messages),
    }
