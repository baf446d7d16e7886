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
    """The approved unit account of the unit the applicant belongs to."""
    return is_approved_unit_account(user) and application.user.unit_id == user.unit_id


def can_view_content(application, user) -> bool:
    """The form's content is the applicant's own until first submitted; after that the unit and
    the bureau (whoever can see the application at all) may read it, drafts after 退回 too."""
    return application.user_id == user.pk or application.submitted_at is not None


def is_reviewer_for(application, user) -> bool:
    """A bureau reviewer, never deciding their own application."""
    return is_bureau_reviewer(user) and application.user_id != user.pk
