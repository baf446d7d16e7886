"""专家库's search mix: what reviewers type, in the words of the seeded data (seed_scale).

Each request of the mix draws one term, every term alike, so a kind's share of the mix is its
share of the list: full names a third, unit names and common 专业 a fifth each, surnames and
rare 专业 the rest. Every term matches at 100,000 applicants; at a small size some rare ones
may match no one, as searches do.

- 姓名: two-character full names (seed_scale gives one name in 57 two characters; each of
  these begins about 18 names at 100,000), and names of approved experts drawn from the
  database itself (`drawn_names`), one person each.
- 姓: a surname alone, one applicant in a hundred; 黄 and 江 are also places in unit names.
- 单位: whole unit names, as seed_scale makes them (units 1 to 50 are the same at any size, as
  seed_scale draws them before the applicants), and two kinds of unit (医院, 研究院), each a
  fifth of the units.
- 常见专业: every 现从事专业 (one applicant in ten each) and two 专业领域 (one in eight).
- 少见专业: a 现从事专业 followed by a 专业领域, as the search text joins them: the experts of
  one 专业 within one 领域, one applicant in 80 to 200.
"""

from experts.management.commands.seed_scale import KINDS, PLACES, SPECIALTIES
from experts.models import ApplicationStatus, ExpertApplication

NAME, SURNAME, UNIT, COMMON, RARE = "姓名", "姓", "单位", "常见专业", "少见专业"
KINDS_OF_TERM = (NAME, SURNAME, UNIT, COMMON, RARE)

TWO_CHARACTER_NAMES = [
    *("张伟", "王芳", "李娜", "刘洋", "陈静"),
    *("杨磊", "赵敏", "周杰", "吴勇", "黄丽"),
]
SURNAMES = list("王李张刘陈赵黄江")
UNIT_NUMBERS = [1, 2, 3, 5, 8, 13, 21, 34, 42, 50]
UNIT_KINDS = ["医院", "研究院"]
COMMON_DISCIPLINES = ["电子信息", "先进制造与自动化"]
RARE_PAIRS = [
    ("光电子", "电子信息"),
    ("集成电路", "电子信息"),
    ("生物医药", "生物与新医药"),
    ("人工智能", "电子信息"),
    ("新能源汽车", "新能源与节能"),
    ("智能制造", "先进制造与自动化"),
    ("环境工程", "资源与环境"),
    ("数字经济", "科技管理与软科学"),
]
DRAWN_NAMES = 10


def unit_name(number: int) -> str:
    """The name seed_scale gives its `number`-th unit."""
    return f"武汉{PLACES[number % len(PLACES)]}{number}号{KINDS[number % len(KINDS)][1]}"


def drawn_names(count: int = DRAWN_NAMES) -> list[str]:
    """The names of `count` approved experts, evenly spread over 专家库 (by primary key)."""
    pool = ExpertApplication.objects.filter(status=ApplicationStatus.APPROVED).order_by("pk")
    names = pool.values_list("user__real_name", flat=True)
    total = pool.count()
    step = max(total // count, 1)
    return [names[i] for i in range(0, min(total, step * count), step)]


def mix(names: list[str]) -> list[tuple[str, str]]:
    """(kind, term) for every term of the mix; `names` are those `drawn_names` found."""
    terms = [
        *((NAME, name) for name in [*TWO_CHARACTER_NAMES, *names]),
        *((SURNAME, surname) for surname in SURNAMES),
        *((UNIT, unit_name(number)) for number in UNIT_NUMBERS),
        *((UNIT, kind) for kind in UNIT_KINDS),
        *((COMMON, specialty) for specialty in SPECIALTIES),
        *((COMMON, discipline) for discipline in COMMON_DISCIPLINES),
        *((RARE, f"{specialty} {discipline}") for specialty, discipline in RARE_PAIRS),
    ]
    # A term listed twice (a drawn name that is also a two-character one) would be drawn twice
    # as often.
    seen = set()
    return [(kind, term) for kind, term in terms if not (term in seen or seen.add(term))]
