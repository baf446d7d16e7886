"""Who may act on a change request: predicates used by its transitions, views and templates.

No model imports at load time: changes.models uses these as FSM permissions.
"""

from accounts.permissions import is_applicant, is_approved_unit_account, is_bureau_reviewer


def is_requester(change, user) -> bool:
    """The admitted expert who asked for the change (always the application's owner)."""
    return is_applicant(user) and change.requested_by_id == user.pk


def is_confirming_unit(change, user) -> bool:
    """The approved account of the unit that confirms: the new unit when the expert changes
    unit, else the expert's own unit."""
    return is_approved_unit_account(user) and change.confirming_unit_id == user.unit_id


def is_bureau_for(change, user) -> bool:
    """A bureau reviewer, never deciding their own change."""
    return is_bureau_reviewer(user) and change.requested_by_id != user.pk


def is_bureau_or_system(change, user) -> bool:
    """A bureau reviewer, or the system (None): who closes a request whose expert has left the
    pool by their step (出库, 撤销入库) or by the daily command's (冻结)."""
    return user is None or is_bureau_reviewer(user)
