"""Normalisers and validators for the identifiers people type, each with a Chinese message.

Each `clean_*` function takes what a person typed and returns the stored form, or raises
ValidationError with a message that says what is wrong.
"""

import datetime
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from accounts.choices import IdType
from portal.words import half_width

# GB/T 2260 province-level prefixes; 81/82 are Hong Kong and Macao, 83 Taiwan (居住证).
_PROVINCES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83"
)
PROVINCE_PREFIXES = frozenset(_PROVINCES.split())


def clean_credit_code(value: str) -> str:
    """统一社会信用代码: 18 characters, GB 32100 check character, stored compact upper-case."""
    number = uscc.compact(half_width(value or ""))
    if len(number) != 18:
        raise ValidationError(
            "统一社会信用代码应为18位，您输入了%(n)d位。", params={"n": len(number)}
        )
    try:
        return uscc.validate(number)
    except StdnumError:
        raise ValidationError(
            "统一社会信用代码校验未通过，请核对营业执照或法人证书上的代码。"
        ) from None


def clean_resident_id(value: str) -> str:
    """居民身份证号码, GB 11643.

    Not `stdnum.cn.ric.validate`: it also checks the county code against the birth year, which
    rejects real numbers of people whose county was renamed after they were born (python-stdnum
    issue #442), and it accepts birth dates in the future.
    """
    # half_width first: ric.compact upper-cases a full-width ｘ to Ｘ, which is no X.
    number = ric.compact(re.sub(r"[\s-]+", "", half_width(value or "")))
    if len(number) != 18:
        raise ValidationError(
            "居民身份证号码应为18位，您输入了%(n)d位。", params={"n": len(number)}
        )
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValidationError("居民身份证号码前17位应为数字，最后一位为数字或X。")
    if number[:2] not in PROVINCE_PREFIXES:
        raise ValidationError("居民身份证号码前两位不是有效的省级行政区代码。")
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise ValidationError("居民身份证号码中的出生日期无效。") from None
    if birth > timezone.localdate() or birth < datetime.date(1900, 1, 1):
        raise ValidationError("居民身份证号码中的出生日期无效。")
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError("居民身份证号码校验位不正确，请核对后重新输入。")
    return number


_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")
_HMT_PERMIT = re.compile(r"^[HM]\d{8}(\d{2})?$")
_TW_PERMIT = re.compile(r"^\d{8}$")
_FOREIGNER = re.compile(r"^([A-Z]{3}\d{12}|9\d{17})$")


def clean_id_number(id_type: str, value: str) -> str:
    """Normalise and check an ID number of the given type."""
    if id_type in (IdType.RESIDENT, IdType.HK_MO_TW_RESIDENCE):
        # 港澳台居民居住证 follow GB 11643 with prefixes 81/82/83.
        number = clean_resident_id(value)
        if id_type == IdType.HK_MO_TW_RESIDENCE and number[:2] not in {"81", "82", "83"}:
            raise ValidationError("港澳台居民居住证号码应以81、82或83开头。")
        return number
    number = half_width(re.sub(r"\s+", "", value or "")).upper()
    patterns = {
        IdType.PASSPORT: (_PASSPORT, "护照号码应为5至17位字母或数字。"),
        IdType.HK_MO_PERMIT: (
            _HMT_PERMIT,
            "港澳居民来往内地通行证号码应为H或M开头加8位或10位数字。",
        ),
        IdType.TW_PERMIT: (_TW_PERMIT, "台湾居民来往大陆通行证号码应为8位数字。"),
        IdType.FOREIGNER_PERMIT: (_FOREIGNER, "外国人永久居留身份证号码格式不正确。"),
    }
    pattern, message = patterns.get(id_type, (None, "请选择证件类型。"))
    if pattern is None or not pattern.match(number):
        raise ValidationError(message)
    return number


def clean_mobile(value: str) -> str:
    """A mainland mobile number, returned in E.164 (+86…) for SMS."""
    raw = half_width(value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError("请输入11位手机号码，例如13812345678。") from None
    if (
        parsed.country_code != 86
        or not phonenumbers.is_valid_number(parsed)
        or phonenumbers.number_type(parsed) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationError("请输入有效的11位中国大陆手机号码，例如13812345678。")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_OFFICE_PHONE = re.compile(r"^(0\d{2,3}-?)?\d{7,8}(-\d{1,6})?$|^1\d{10}$")


def clean_office_phone(value: str) -> str:
    """办公电话: area code, number and extension, e.g. 027-85870766-123."""
    phone = re.sub(r"[\s（）()]", "", half_width(value or "")).replace("—", "-")
    if not _OFFICE_PHONE.match(phone):
        raise ValidationError("请输入有效的电话号码，例如027-85870766或027-85870766-123。")
    return phone


def clean_bank_account(value: str) -> str:
    """银行账号: 12 to 30 digits; a UnionPay card number (16 to 19 digits from 62) must pass Luhn.

    Corporate and passbook account numbers follow each bank's own scheme, so only card numbers
    get a check digit test.
    """
    account = re.sub(r"[\s-]", "", half_width(value or ""))
    if not account.isdigit():
        raise ValidationError("银行账号只能由数字组成，请对照银行卡或开户资料核对。")
    if not re.fullmatch(r"[0-9]{12,30}", account):
        raise ValidationError(
            "银行账号应为12至30位数字，您输入了%(n)d位。", params={"n": len(account)}
        )
    if account.startswith("62") and 16 <= len(account) <= 19 and not luhn.is_valid(account):
        raise ValidationError("银行卡号校验未通过，请对照银行卡核对后重新输入。")
    return account


def mask_id_number(value: str) -> str:
    """4201**********1234: the region and the last digits, never the birth date."""
    return mask(value, 4)


def mask(value: str, keep_start: int, keep_end: int = 4) -> str:
    """138****5678, 6222********1234: enough to recognise a number, not to use it."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def display_mobile(e164: str) -> str:
    """+8613812345678 → 13812345678, as people write it."""
    return e164[3:] if e164.startswith("+86") else e164


def resident_id_facts(number: str) -> tuple[datetime.date, str]:
    """Birth date and sex ("male"/"female") from a valid 居民身份证号码 (17th digit odd: male)."""
    return ric.get_birth_date(number), "male" if int(number[16]) % 2 else "female"
