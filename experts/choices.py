"""Fixed lists on the expert form (专家信息管理-新增)."""

from collections.abc import Iterable

from django.db import models


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class TitleLevel(models.TextChoices):
    """From the highest: levels_at_least reads the order."""

    SENIOR = "senior", "正高级"
    ASSOCIATE = "associate", "副高级"
    INTERMEDIATE = "intermediate", "中级"
    OTHER = "other", "其他"


def levels_at_least(level: str) -> list[str]:
    """职称级别 `level` and those above it: "at least 副高级" is 正高级 and 副高级 (the draw's
    criterion, the 资格提示 rule)."""
    values = TitleLevel.values
    return values[: values.index(level) + 1]


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

# 子领域: the second level under each field of DISCIPLINES, (code, name, the field's code),
# loaded by migration experts 0019. Under the eight fields of 国家重点支持的高新技术领域 (2016)
# they are its sub-fields (shortened where it lists several in one line); under the bureau's
# own four, the areas its review panels are drawn for. A code is its field's and two digits.
SUB_DISCIPLINES = [
    ("0101", "软件", "01"),
    ("0102", "微电子技术", "01"),
    ("0103", "计算机及网络技术", "01"),
    ("0104", "通信技术", "01"),
    ("0105", "新型电子元器件", "01"),
    ("0106", "信息安全技术", "01"),
    ("0201", "医药生物技术", "02"),
    ("0202", "中药与天然药物", "02"),
    ("0203", "化学药研发技术", "02"),
    ("0204", "药物新剂型与制剂创制技术", "02"),
    ("0205", "医疗仪器与设备", "02"),
    ("0206", "农业生物技术", "02"),
    ("0301", "航空技术", "03"),
    ("0302", "航天技术", "03"),
    ("0303", "卫星应用技术", "03"),
    ("0401", "金属材料", "04"),
    ("0402", "无机非金属材料", "04"),
    ("0403", "高分子材料", "04"),
    ("0404", "生物医用材料", "04"),
    ("0405", "精细和专用化学品", "04"),
    ("0501", "研发与设计服务", "05"),
    ("0502", "检验检测认证与标准服务", "05"),
    ("0503", "信息技术服务", "05"),
    ("0504", "知识产权与成果转化服务", "05"),
    ("0505", "电子商务与现代物流技术", "05"),
    ("0601", "可再生清洁能源", "06"),
    ("0602", "核能及氢能", "06"),
    ("0603", "新型高效能量转换与储存技术", "06"),
    ("0604", "高效节能技术", "06"),
    ("0701", "水污染控制与水资源利用技术", "07"),
    ("0702", "大气污染控制技术", "07"),
    ("0703", "固体废弃物处置与综合利用技术", "07"),
    ("0704", "环境监测及环境事故应急处理技术", "07"),
    ("0705", "生态环境建设与保护技术", "07"),
    ("0706", "资源勘查、高效开采与综合利用技术", "07"),
    ("0801", "工业生产过程控制系统", "08"),
    ("0802", "高性能、智能化仪器仪表", "08"),
    ("0803", "先进制造工艺与装备", "08"),
    ("0804", "电力系统与设备", "08"),
    ("0805", "汽车及轨道车辆相关技术", "08"),
    ("0806", "高技术船舶与海洋工程装备", "08"),
    ("0901", "作物育种与栽培", "09"),
    ("0902", "畜牧兽医", "09"),
    ("0903", "水产养殖", "09"),
    ("0904", "农产品加工与食品安全", "09"),
    ("0905", "智慧农业与农业机械", "09"),
    ("1001", "医疗卫生与健康", "10"),
    ("1002", "公共安全与应急管理", "10"),
    ("1003", "城市规划与建设", "10"),
    ("1004", "交通运输", "10"),
    ("1005", "教育与文化", "10"),
    ("1101", "科技政策与发展战略", "11"),
    ("1102", "科技项目管理与评估", "11"),
    ("1103", "技术经济与产业研究", "11"),
    ("1104", "科技成果转化与技术转移", "11"),
    ("1201", "财务与审计", "12"),
    ("1202", "资产评估", "12"),
    ("1203", "专利与知识产权保护", "12"),
    ("1204", "法律与合规", "12"),
]

# Between an expert's 专业领域 wherever they are listed (pages, the 入库证明, the public 公示,
# the exports): two names of the classification hold a 、 of their own (资源勘查、高效开采与
# 综合利用技术, 高性能、智能化仪器仪表), so a 、-joined list does not say where one field ends.
# No name may hold this one (Discipline.clean).
DISCIPLINE_SEPARATOR = "；"


def join_disciplines(names: Iterable[str]) -> str:
    """An expert's 专业领域 as one text: 软件（电子信息）；高性能、智能化仪器仪表（先进制造与
    自动化）."""
    return DISCIPLINE_SEPARATOR.join(names)


# The 退回 / 审核不通过 reasons loaded by the data migration, operators edit them in admin
# afterwards: (code, 中文说明, whether the reviewer must also write the reason out).
DEFAULT_REASON_CODES = [
    ("incomplete", "信息不完整", False),
    ("title", "职称不符合要求", False),
    ("evidence", "证明材料不清晰", False),
    ("discipline", "专业领域不符", False),
    ("other", "其他", True),
]

# The 资格提示 rules a new database starts with (migration experts 0016 loads its own frozen
# copy of these; operators edit them in admin afterwards): (kind, years, 职称级别). Their
# texts are generated (EligibilityRule.flag_text).
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
