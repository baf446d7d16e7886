"""The benchmark's people, one per role, on the seeded data: `python -m bench.accounts`.

Prints JSON: for each role its username, password and authenticator key (hex), the
application whose detail page is measured, and the search mix's terms, (kind, term) pairs
(bench/search_terms.py). Run again, it resets the same people."""

import json
import secrets

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.choices import UnitStatus, UserKind  # noqa: E402
from accounts.models import Authenticator, Unit, User  # noqa: E402
from accounts.permissions import BUREAU_GROUP  # noqa: E402
from bench.search_terms import drawn_names, mix  # noqa: E402
from experts.models import ApplicationStatus, Discipline, ExpertApplication  # noqa: E402
from portal import privacy  # noqa: E402

PASSWORD = "Bench#2026pass"


def person(username: str, **fields) -> User:
    user, _ = User.objects.update_or_create(username=username, defaults=fields)
    ready(user)
    return user


def ready(user: User) -> None:
    """The benchmark's password, and the current 个人信息保护说明 agreed to: the pages measured
    open at once, not the notice asked again (accounts.middleware.OwedStepMiddleware)."""
    user.set_password(PASSWORD)
    user.privacy_notice_version, user.privacy_notice_at = privacy.NOTICE_VERSION, timezone.now()
    user.save()


def with_authenticator(user: User) -> str:
    Authenticator.objects.filter(user=user).delete()
    key = secrets.token_hex(20)
    Authenticator.objects.create(user=user, name="bench", key=key, confirmed=True)
    return key


def main() -> dict:
    reviewer = person("bench_reviewer", kind=UserKind.BUREAU, real_name="压测审核员")
    reviewer.groups.add(Group.objects.get(name=BUREAU_GROUP))
    operator = person("bench_operator", kind=UserKind.BUREAU, is_staff=True, is_superuser=True)
    # The largest unit (seed_scale puts every 20th applicant in the first approved one).
    big_unit = Unit.objects.filter(status=UnitStatus.APPROVED).order_by("pk").first()
    unit_account = User.objects.filter(unit=big_unit, kind=UserKind.UNIT).first()
    ready(unit_account)
    applicant = User.objects.filter(unit=big_unit, kind=UserKind.APPLICANT).order_by("pk").first()
    ready(applicant)
    pending = ExpertApplication.objects.filter(status=ApplicationStatus.PENDING_BUREAU)
    return {
        "password": PASSWORD,
        "reviewer": {"username": reviewer.username, "totp": with_authenticator(reviewer)},
        "operator": {"username": operator.username, "totp": with_authenticator(operator)},
        "unit": {"username": unit_account.username, "people": big_unit.applications.count()},
        "applicant": {"username": applicant.username},
        "detail_pk": pending.order_by("recommended_at", "pk").values_list("pk", flat=True)[0],
        # 专家库 分面筛选: 电子信息 with its sub-fields (bench/run.py PAGES).
        "field_pk": Discipline.objects.get(code="01").pk,
        "search_mix": mix(drawn_names()),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
