"""资格提示: which of the operators' EligibilityRules an application does not meet.

The texts of the unmet rules are stored on the application (eligibility_flags, and
has_eligibility_flags for the lists' 有提示 / 无提示 filter), so that a list of 100,000 rows
filters and prints them with no work per row. They are set when the application is submitted
(`apply`, in the submission's transaction), and again for every application waiting for a
decision when an operator changes a rule or the application in admin (`recompute`). Decided
applications keep the flags they had when they were decided: the record of what the reviewer
saw. A flag is help for the reviewer and never blocks a decision.
"""

import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from experts.choices import levels_at_least
from experts.models import (
    IN_REVIEW,
    WITH_APPLICANT,
    EligibilityKind,
    EligibilityRule,
    ExpertApplication,
)
from portal.dates import full_years

# Shown instead of the rule's own text when the date it needs is missing: the reviewer then
# knows the rule could not be checked, rather than reading silence as "met".
NO_BIRTH_DATE = "未填写出生日期"
NO_WORK_START = "未填写参加工作时间"
# The fields the rules read (and `recompute` loads).
FIELDS = ("birth_date", "title_level", "work_started_on", "submitted_at")
# The fields `apply` sets.
FLAG_FIELDS = ["eligibility_flags", "has_eligibility_flags"]
BATCH = 1000


def active_rules() -> list[EligibilityRule]:
    return list(EligibilityRule.objects.filter(active=True).order_by("pk"))


def reference_day(application: ExpertApplication) -> datetime.date:
    """The day the rules are checked on: the day of submission (local), else today."""
    moment = application.submitted_at or timezone.now()
    return timezone.localdate(moment)


def unmet(rule: EligibilityRule, application: ExpertApplication, on: datetime.date) -> str:
    """The flag text if `application` does not meet `rule` on day `on`, else ""."""
    if rule.kind == EligibilityKind.MAX_AGE:
        if application.birth_date is None:
            return NO_BIRTH_DATE
        return rule.flag_text() if full_years(application.birth_date, on) > rule.value else ""
    if rule.kind == EligibilityKind.MIN_TITLE_LEVEL:
        # Not given: below every level.
        met = application.title_level in levels_at_least(rule.title_level)
        return "" if met else rule.flag_text()
    if application.work_started_on is None:
        return NO_WORK_START
    return rule.flag_text() if full_years(application.work_started_on, on) < rule.value else ""


def flags_for(application: ExpertApplication, rules: list[EligibilityRule]) -> list[str]:
    """The texts of the `rules` that `application` does not meet, in the rules' order, once each."""
    on = reference_day(application)
    flags = []
    for rule in rules:
        text = unmet(rule, application, on)
        if text and text not in flags:
            flags.append(text)
    return flags


def apply(application: ExpertApplication, rules: list[EligibilityRule] | None = None) -> list[str]:
    """Set the application's flags (not saved); returns the fields to save."""
    application.eligibility_flags = flags_for(
        application, active_rules() if rules is None else rules
    )
    application.has_eligibility_flags = bool(application.eligibility_flags)
    return FLAG_FIELDS


def waiting() -> QuerySet[ExpertApplication]:
    """Applications waiting for a decision (待单位推荐, 待科技局审核), and those back with the
    applicant for changes (returned, 已退回（待修改）, or revised after 审核不通过, 修改中（曾审核
    不通过）), which the queues list with their flags: the ones recomputed."""
    return ExpertApplication.objects.filter(Q(status__in=IN_REVIEW) | WITH_APPLICANT)


def recompute(applications: QuerySet[ExpertApplication] | None = None) -> tuple[int, int]:
    """Set the flags of `applications` (default: every one waiting for a decision) by the
    active rules, in batches; writes only the rows whose flags change, and only while they
    still wait. Returns how many were checked and how many of them changed.

    Each batch is read locked (select_for_update) and written in the same transaction: a
    returned draft is the applicant's to edit, and a 提交 between the read and the write would
    otherwise have its own flags overwritten by ones computed from the old values."""
    rules = active_rules()
    chosen = applications if applications is not None else waiting()
    pks = list(chosen.order_by("pk").values_list("pk", flat=True))
    checked = updated = 0
    for start in range(0, len(pks), BATCH):
        with transaction.atomic():
            rows = (
                waiting()
                .filter(pk__in=pks[start : start + BATCH])
                .order_by("pk")
                .select_for_update()
                .only(*FIELDS, *FLAG_FIELDS)
            )
            changed = []
            for application in rows:
                checked += 1
                before = application.eligibility_flags
                apply(application, rules)
                if application.eligibility_flags != before:
                    changed.append(application)
            if changed:
                updated += write(changed)
    return checked, updated


def write(changed: list[ExpertApplication]) -> int:
    # The UPDATE keeps waiting()'s condition: an application decided since it was read (a
    # reviewer is quicker than a long recompute) keeps the flags it was decided with.
    return waiting().bulk_update(changed, FLAG_FIELDS)
