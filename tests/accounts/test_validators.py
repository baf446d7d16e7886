"""The identifiers people type: accepted in the forms people really type them, refused with a
message that says what is wrong."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from accounts import validators
from tests import factories


def with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def test_credit_code_is_stored_compact_and_upper_case():
    code = factories.credit_code(4242)
    assert validators.clean_credit_code(f" {code.lower()} ") == code
    assert validators.clean_credit_code(code[:6] + " " + code[6:]) == code
    # Typed in a Chinese input method's full-width mode, in either case.
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    assert validators.clean_credit_code(full_width) == code


def test_credit_code_of_wrong_length_is_refused():
    with pytest.raises(ValidationError) as error:
        validators.clean_credit_code(factories.credit_code(7)[:17])
    assert "应为18位，您输入了17位" in error.value.messages[0]


def test_credit_code_with_wrong_check_character_is_refused():
    code = factories.credit_code(7)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        validators.clean_credit_code(wrong)
    assert "校验未通过" in error.value.messages[0]


def test_wuhan_id_of_someone_born_before_the_district_existed_is_accepted():
    # 黄陂区 (420116) is dated from 1998 in python-stdnum's data; people born in 1960 hold it.
    number = with_check("42011619600101001")
    assert validators.clean_resident_id(number) == number


@pytest.mark.parametrize(
    "typed_from",
    [
        lambda n: n.lower(),
        lambda n: " ".join([n[:6], n[6:14], n[14:]]),
        lambda n: n.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}),
        lambda n: n[:-1] + "ｘ",
        lambda n: n[:-1] + "Ｘ",
    ],
    ids=["lower-case x", "spaces", "full-width digits", "full-width x", "full-width X"],
)
def test_resident_id_as_people_type_it_is_normalised(typed_from):
    number = next(
        with_check(f"4201021975031200{i}")
        for i in range(10)
        if with_check(f"4201021975031200{i}").endswith("X")
    )
    assert validators.clean_resident_id(typed_from(number)) == number


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("42010219750230001", "出生日期无效"),  # 30 February
        (f"420102{datetime.date.today().year + 1}0101001", "出生日期无效"),
        ("99010219750312001", "省级行政区代码"),
    ],
)
def test_resident_id_with_impossible_facts_is_refused(body, message):
    with pytest.raises(ValidationError) as error:
        validators.clean_resident_id(with_check(body))
    assert message in error.value.messages[0]


@pytest.mark.parametrize("length", [15, 17, 19])
def test_resident_id_of_wrong_length_is_refused(length):
    number = with_check("42010219750312001")
    typed = (number * 2)[:length]
    with pytest.raises(ValidationError) as error:
        validators.clean_resident_id(typed)
    assert f"您输入了{length}位" in error.value.messages[0]


def test_resident_id_with_wrong_check_digit_is_refused():
    number = with_check("42010219750312001")
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    with pytest.raises(ValidationError) as error:
        validators.clean_resident_id(wrong)
    assert "校验位不正确" in error.value.messages[0]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
    ],
)
def test_mobile_numbers_are_stored_in_e164(typed, stored):
    assert validators.clean_mobile(typed) == stored
    assert validators.display_mobile(stored) == "13812345678"


@pytest.mark.parametrize("typed", ["12345", "027-85870766", "2381234567", "+1 650 253 0000"])
def test_non_mainland_mobiles_are_refused(typed):
    with pytest.raises(ValidationError) as error:
        validators.clean_mobile(typed)
    assert "手机号码" in error.value.messages[0]


@pytest.mark.parametrize("typed", ["027-85870766", "02785870766", "027-85870766-123", "85870766"])
def test_office_phones_with_area_code_and_extension_are_accepted(typed):
    assert validators.clean_office_phone(typed)


@pytest.mark.parametrize(
    ("id_type", "typed", "stored"),
    [
        ("passport", "e 1234 5678", "E12345678"),
        ("hk_mo_permit", "h12345678", "H12345678"),
        ("tw_permit", "１２３４５６７８", "12345678"),
        ("foreigner_permit", "usa420102750312", "USA420102750312"),
    ],
)
def test_other_id_types_are_normalised(id_type, typed, stored):
    assert validators.clean_id_number(id_type, typed) == stored


@pytest.mark.parametrize(
    ("id_type", "typed", "message"),
    [
        ("passport", "E1", "护照号码应为5至17位字母或数字"),
        ("hk_mo_permit", "X12345678", "港澳居民来往内地通行证号码"),
        ("tw_permit", "1234567", "台湾居民来往大陆通行证号码应为8位数字"),
        ("foreigner_permit", "US420102", "外国人永久居留身份证号码格式不正确"),
        ("hmt_residence", with_check("42010219750312001"), "应以81、82或83开头"),
        ("nonsense", "E12345678", "请选择证件类型"),
    ],
)
def test_other_id_types_refuse_what_does_not_fit(id_type, typed, message):
    with pytest.raises(ValidationError) as error:
        validators.clean_id_number(id_type, typed)
    assert message in error.value.messages[0]


def test_hong_kong_residence_permit_number_follows_gb_11643():
    number = with_check("81000019800101001")
    assert validators.clean_id_number("hmt_residence", number) == number


@pytest.mark.parametrize(
    ("typed", "result"),
    [
        ("6222 0202 0011 2233 446", "6222020200112233446"),
        ("110060149018000012345", "110060149018000012345"),  # a corporate account: no Luhn
    ],
)
def test_bank_accounts_are_normalised(typed, result):
    assert validators.clean_bank_account(typed) == result


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("6222020200112233445", "银行卡号校验未通过"),
        ("12345", "12至30位数字，您输入了5位"),
        # Letters are not counted as digits ("您输入了8位" for 62178abc was wrong).
        ("6222-abcd", "银行账号只能由数字组成"),
        ("62178abc", "银行账号只能由数字组成"),
    ],
)
def test_bad_bank_accounts_are_refused(typed, message):
    with pytest.raises(ValidationError) as error:
        validators.clean_bank_account(typed)
    assert message in error.value.messages[0]
