"""Fixed lists on the expert form (专家信息管理-新增)."""

from django.db import models


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class TitleLevel(models.TextChoices):
    SENIOR = "senior", "正高级"
    ASSOCIATE = "associate", "副高级"
    INTERMEDIATE = "intermediate", "中级"
    OTHER = "other", "其他"


def _same(names: str) -> list[tuple[str, str]]:
    return [(name, name) for name in names.split()]


ETHNICITY_CHOICES = _same(
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 其他"
)
POLITICAL_CHOICES = _same(
    "中共党员 中共预备党员 共青团员 民革党员 民盟盟员 民建会员 民进会员 农工党党员 致公党党员 "
    "九三学社社员 台盟盟员 无党派人士 群众"
)
EDUCATION_CHOICES = _same("博士研究生 硕士研究生 大学本科 大学专科 中专及以下")
DEGREE_CHOICES = _same("博士 硕士 学士 无")

# The eight fields of 国家重点支持的高新技术领域, plus the bureau's own additions.
DISCIPLINES = [
    ("01", "电子信息"),
    ("02", "生物与新医药"),
    ("03", "航空航天"),
    ("04", "新材料"),
    ("05", "高技术服务"),
    ("06", "新能源与节能"),
    ("07", "资源与环境"),
    ("08", "先进制造与自动化"),
    ("09", "现代农业"),
    ("10", "社会发展与公共安全"),
    ("11", "科技管理与软科学"),
    ("12", "财务与知识产权"),
]

# The 退回 / 审核不通过 reasons loaded by the data migration, operators edit them in admin
# afterwards: (code, 中文说明, whether the reviewer must also write the reason out).
DEFAULT_REASON_CODES = [
    ("incomplete", "信息不完整", False),
    ("title", "职称不符合要求", False),
    ("evidence", "证明材料不清晰", False),
    ("discipline", "专业领域不符", False),
    ("other", "其他", True),
]

# The 资格提示 rules loaded by the data migration, operators edit them in admin afterwards:
# (kind, years, 职称级别). Their texts are generated (EligibilityRule.flag_text).
DEFAULT_ELIGIBILITY_RULES = [
    ("max_age", 65, ""),
    ("min_title_level", None, TitleLevel.ASSOCIATE.value),
    ("min_years", 5, ""),
]

# 出库（清退）: why the bureau removes an admitted expert (code, 中文说明); "other" needs a text.
REMOVAL_REASONS = [
    ("conduct", "评审中有不良行为"),
    ("false_info", "提供虚假信息"),
    ("avoidance", "违反回避规定"),
    ("unreachable", "长期无法联系"),
    ("other", "其他"),
]
# 禁入 with a removal: how long the ID number may not register or apply again.
BAN_FOR_GOOD = "forever"
BAN_CHOICES = [("", "不禁入"), ("1", "1年"), ("3", "3年"), ("5", "5年"), (BAN_FOR_GOOD, "永久")]
