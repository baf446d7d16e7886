"""Fixed lists the manual's forms offer, in the bureau's own words."""

from django.db import models


class UserKind(models.TextChoices):
    APPLICANT = "applicant", "个人"
    UNIT = "unit", "单位"
    BUREAU = "bureau", "科技局"


class UnitStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"


class UnitNature(models.TextChoices):
    UNIVERSITY = "university", "高等院校"
    INSTITUTE = "institute", "科研院所"
    ENTERPRISE = "enterprise", "企业"
    MEDICAL = "medical", "医疗卫生机构"
    GOVERNMENT = "government", "党政机关"
    SOCIAL = "social", "社会组织"
    OTHER = "other", "其他"


class IdType(models.TextChoices):
    RESIDENT = "resident", "居民身份证"
    PASSPORT = "passport", "护照"
    HK_MO_TW_RESIDENCE = "hmt_residence", "港澳台居民居住证"
    HK_MO_PERMIT = "hk_mo_permit", "港澳居民来往内地通行证"
    TW_PERMIT = "tw_permit", "台湾居民来往大陆通行证"
    FOREIGNER_PERMIT = "foreigner_permit", "外国人永久居留身份证"


# Wuhan's districts and functional zones, as the bureau lists them.
DISTRICT_CHOICES = [
    (name, name)
    for name in [
        "江岸区",
        "江汉区",
        "硚口区",
        "汉阳区",
        "武昌区",
        "青山区",
        "洪山区",
        "东西湖区",
        "汉南区",
        "蔡甸区",
        "江夏区",
        "黄陂区",
        "新洲区",
        "东湖新技术开发区",
        "武汉经济技术开发区",
        "东湖生态旅游风景区",
        "其他",
    ]
]
