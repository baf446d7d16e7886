"""Who may act on an application: predicates used by transitions, views and templates.

No model imports at load time: experts.models uses these as FSM permissions.
"""

from accounts.permissions import (
    is_applicant,
    is_approved_unit_account,
    is_bureau_reviewer,
)


def is_owner(application, user) -> bool:
    return is_applicant(user) and application.user_id == user.pk


def is_unit_of(application, user) -> bool:
    """The approved unit account of the application's unit: the column the unit's lists are
    scoped by (experts.selectors.applications_for), so a unit acts on what it sees."""
    return is_approved_unit_account(user) and application.unit_id == user.unit_id


def is_system(application, user) -> bool:
    """No person: a scheduled command (experts.lifecycle), e.g. 冻结."""
    return user is None


def can_view_content(application, user) -> bool:
    """The form's content is the applicant's own until first submitted; after that the unit and
    the bureau (whoever can see the application at all) may read it, drafts after 退回 too."""
    return application.user_id == user.pk or application.submitted_at is not None


def is_reviewer_for(application, user) -> bool:
    """A bureau reviewer, never deciding their own application."""
    return is_bureau_reviewer(user) and application.user_id != user.pk


# 查看完整信息 (PIPL's minimum-necessary rule): the detail pages mask the 证件号码 and the 银行账号,
# and these say who may ask to see each in full, one page at a time (experts.reveal). The
# applicant always sees their own in full and never needs to ask.


def may_reveal_id_number(application, user) -> bool:
    """The bureau (it decides who enters the pool) and the applicant's own unit (it vouches
    for who its people are), once the form's content is theirs to read at all."""
    return can_view_content(application, user) and (
        is_bureau_reviewer(user) or is_unit_of(application, user)
    )


def may_reveal_bank_account(application, user) -> bool:
    """The bureau only: it pays the experts' fees. A unit has no use for the account."""
    return can_view_content(application, user) and is_bureau_reviewer(user)
