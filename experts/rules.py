"""What a complete application is, and the consent it carries: read by the form, the services
and the snapshots alike, so none of them imports another for it."""

from django.conf import settings

# Fields the applicant must fill before 提交; 行政职务, 所在部门 and 办公电话 may stay empty.
REQUIRED_FOR_SUBMISSION = (
    "gender",
    "birth_date",
    "ethnicity",
    "political_status",
    "education",
    "degree",
    "graduated_from",
    "major",
    "current_specialty",
    "title",
    "title_level",
    "mobile",
    "email",
    "address",
    "disciplines",
    "research_direction",
    "resume",
    "achievements",
    "bank_name",
    "bank_account",
    "integrity_pledge",
    "sensitive_consent",
)

# The consent texts the applicants agreed to, by version; a new wording gets a new version,
# and applications agreed to an older one must agree again before 提交. A consent given to an
# older text stays valid for what it allowed (experts.permissions.may_process_sensitive_numbers).
# {bureau} is the 个人信息处理者 the consent is given to: BUREAU_NAME when the person agreed, which
# the application keeps beside the version (ExpertApplication.consent_bureau), so that a consent
# reads as its person read it whatever the setting says later (a renamed bureau, say).
CONSENT_TEXTS = {
    "2026-11": (
        "本人同意{bureau}为专家入库审核、专家遴选和发放评审劳务费的目的，"
        "处理本人的身份证件号码、银行账号等敏感个人信息；上述信息仅由本人所在单位和科技局审核人员查看，"
        "加密存储，不用于其他目的。本人可随时联系科技局撤回同意或要求删除。"
    ),
    # Says what withdrawing does and what a deletion keeps (experts.erasure), and that operators
    # may see the numbers with a recorded reason (the 2026-11 text said only the unit and the
    # reviewers did: 个人信息保护说明).
    "2026-12": (
        "本人同意{bureau}为专家入库审核、专家遴选和发放评审劳务费的目的，"
        "处理本人的身份证件号码、银行账号等敏感个人信息；上述信息由本人所在单位和科技局审核人员"
        "在必要时查看，系统运维人员维护系统时须说明事由并记录后方可查看完整号码，加密存储，"
        "不用于其他目的。本人可随时在本系统中撤回同意：撤回后专家库不再"
        "处理上述信息（仅加密保存），审核中的申请随之撤回，已入库的将退出专家库。撤回同意或退出"
        "专家库后，本人可要求科技局删除个人信息；姓名、工作单位及审核、抽取记录将按规定保留。"
    ),
}
CONSENT_VERSION = "2026-12"
# Whom every consent given before the texts took the name from BUREAU_NAME named (experts
# migration 0037_consent_bureau records it on those applications).
FIRST_BUREAU_NAME = "武汉市科学技术局"


def consent_text(version: str = CONSENT_VERSION, bureau: str = "") -> str:
    """The text of consent `version` naming `bureau` (empty: the current BUREAU_NAME, as the
    form shows it to a person about to agree)."""
    return CONSENT_TEXTS[version].format(bureau=bureau or settings.BUREAU_NAME)


def agreed_consent_text(application) -> str:
    """The consent `application` holds, worded as its person read it; "" when it holds none."""
    if not application.consent_version or application.consent_at is None:
        return ""
    return consent_text(application.consent_version, application.consent_bureau)
