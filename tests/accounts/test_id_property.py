"""居民身份证号码: accepted exactly when its check digit and birth date are right.

The oracle below is written from GB 11643 itself (weights 2^(17-i) mod 11, check 12 - sum mod 11),
not from python-stdnum, so the validator and the test do not share a mistake.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.validators import PROVINCE_PREFIXES, clean_resident_id

WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
CHECK = "10X98765432"


def gb11643_check(body17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


def real_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


numbers = st.builds(
    lambda prefix, county, year, month, day, order, check: (
        f"{prefix}{county:04d}{year:04d}{month:02d}{day:02d}{order:03d}",
        check,
    ),
    prefix=st.sampled_from(sorted(PROVINCE_PREFIXES)),
    county=st.integers(0, 9999),
    year=st.integers(1890, datetime.date.today().year + 2),
    month=st.integers(0, 13),
    day=st.integers(0, 32),
    order=st.integers(0, 999),
    # Half the time the right check character, otherwise any of the eleven.
    check=st.one_of(st.none(), st.sampled_from(CHECK)),
)


@settings(max_examples=10_000, deadline=None)
@given(numbers)
def test_an_id_is_accepted_exactly_when_its_check_digit_and_date_are_right(number):
    body, check = number
    right_check = gb11643_check(body)
    typed = body + (check or right_check)
    birth = real_date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    should_pass = (
        typed[17] == right_check
        and birth is not None
        and datetime.date(1900, 1, 1) <= birth <= timezone.localdate()
    )
    try:
        stored = clean_resident_id(typed)
    except ValidationError:
        assert not should_pass, typed
    else:
        assert should_pass, typed
        assert stored == typed


def test_oracle_agrees_with_the_standards_own_example():
    assert gb11643_check("11010519491231002") == "X"
