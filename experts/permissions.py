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
    """The form's content is the applicant's own while no review has it (never submitted,
    consent withdrawn, or begun again after 退出: ExpertApplication.applicants_own, the rule
    that keeps such drafts out of 专家审核); otherwise the unit and the bureau (whoever can see
    the application at all) may read it, drafts after 退回 or 审核不通过 too."""
    return application.user_id == user.pk or not application.applicants_own


def hidden_content_note(application) -> str:
    """Why the unit's and the bureau's detail pages show no content (can_view_content false),
    in the page's words: not '尚未提交' for a person who submitted once (found by a code read:
    a withdrawn consent's form stayed on the reviewers' pages)."""
    if application.submitted_at is None:
        return "申请人尚未提交专家信息，提交后可在此查看。"
    if application.consent_at is None:
        return (
            "申请人已撤回同意，其专家信息不再向单位和科技局显示；申请人重新同意并提交后可在此查看。"
        )
    return "申请人正在重新填写专家信息，提交后可在此查看。"


def is_reviewer_for(application, user) -> bool:
    """A bureau reviewer, never deciding their own application."""
    return is_bureau_reviewer(user) and application.user_id != user.pk


# The 证件号码 and the 银行账号 are sensitive personal information (PIPL art. 28): the portal
# processes them on the person's separate consent (art. 29), and a withdrawn consent ends the
# processing (art. 15, 47). Withdrawn, never given (a draft) or erased, the numbers are only
# stored (encrypted, re-encrypted on a key change) until deletion: no one but their owner sees
# them whole, and no export carries them. One predicate says so for every path that shows or
# writes them (查看完整信息 on the pages and in admin, the pool's and the draws' exports).


def may_process_sensitive_numbers(application) -> bool:
    """The person's consent stands: agreed (a version and a time) and not withdrawn, whatever
    the status. A plain 退出 keeps it (fees for reviews already done are still paid); 撤回同意
    clears it, and with it every use of the numbers."""
    return application.consent_at is not None and bool(application.consent_version)


SENSITIVE_REFUSAL = (
    "申请人已撤回（或尚未给予）敏感个人信息处理同意，专家库不再处理其证件号码和银行账号："
    "不提供查看完整信息，导出时也只含部分隐藏的号码。"
)


def unit_has_left(application) -> bool:
    """已出库: the unit vouched for its person while they applied and served; once they have
    left, it has no purpose for their numbers or their contact details."""
    return application.exited


def may_read_mobile(application, user) -> bool:
    """Whether a page about this one expert shows `user` their 手机 whole (else masked,
    138****5678). No consent covers it (it is not a sensitive number: CONSENT_TEXTS) and it is
    how people are reached: the bureau phones the experts it reviews and draws (the draw's page
    lists each one's, deliberately whole), their own unit vouches for them until they leave
    (已出库: application_sections hides it instead), and the person reads their own. A unit
    asked to take someone in (a 变更申请's page) is none of these: masked, enough to tell two
    people of one name apart. A list of many (用户账号管理) and a masked export mask it
    whatever this says; a call list is an export 含联系方式, asked for with a reason
    (experts.exports)."""
    return (
        application.user_id == user.pk
        or is_bureau_reviewer(user)
        or (is_unit_of(application, user) and not unit_has_left(application))
    )


def reveal_refusal(application, user) -> str:
    """Why `user`, who could otherwise ask, may not see the numbers in full ('' when nothing
    stops them): said on the detail page where 查看完整信息 would be."""
    if not (is_bureau_reviewer(user) or is_unit_of(application, user)):
        return ""
    if not can_view_content(application, user):
        return ""
    if not may_process_sensitive_numbers(application):
        return SENSITIVE_REFUSAL
    if is_unit_of(application, user) and unit_has_left(application):
        return "该专家已出库，单位不再查看其证件号码和联系方式。"
    return ""


# 查看完整信息 (PIPL's minimum-necessary rule): the detail pages mask the 证件号码 and the 银行账号,
# and these say who may ask to see each in full, one page at a time (experts.reveal). The
# applicant always sees their own in full and never needs to ask.


def may_reveal_id_number(application, user) -> bool:
    """The bureau (it decides who enters the pool) and the applicant's own unit (it vouches
    for who its people are, until they leave), once the form's content is theirs to read at
    all, and while the consent stands."""
    return (
        can_view_content(application, user)
        and may_process_sensitive_numbers(application)
        and (
            is_bureau_reviewer(user)
            or (is_unit_of(application, user) and not unit_has_left(application))
        )
    )


def may_reveal_bank_account(application, user) -> bool:
    """The bureau only: it pays the experts' fees. A unit has no use for the account."""
    return (
        can_view_content(application, user)
        and may_process_sensitive_numbers(application)
        and is_bureau_reviewer(user)
    )
