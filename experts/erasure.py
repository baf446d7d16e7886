"""删除个人信息 (PIPL art. 15, 47): an operator erases, on the person's request, what the portal
holds about someone who has left the pool (已出库) or withdrawn their consent before admission
(信息未填写 with no consent). It cannot be undone.

Erased: the 证件号码 (the encrypted value and its blind index), the 银行账号 and 开户银行, the
mobile, e-mail, address and office phone, the birth date and every other field of the form
that is about the person (FIELDS_ERASED), the uploaded 证明材料 (rows and files), the form
as submitted in each 提交's history row (ApplicationTransition.snapshot) and in each 信息变更
(ChangeRequest.values, before, after), the SMS sent to the person's number, the login log
(address and browser of each sign-in), the account's authenticator, and the account's e-mail,
mobile and password; the account is deactivated.

Kept, as the record of the review the law asks the bureau to keep: the name, the unit, the
职称 and 专业领域 the person was reviewed and drawn under, the history of decisions (who, when,
from what to what, why), the 公示异议 recorded on the admission (what was objected, never who
objected: that is the objector's), the 入库证明 issued (its code, dates and a hash of the
details printed), the draw records, the audit trail and any 禁入 entry (a blind index only).
docs/security.md says so.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from accounts.models import Authenticator, LoginLog
from audit.log import record
from audit.models import AuditEvent
from changes.models import ChangeRequest
from experts import search
from experts.models import (
    ApplicationAttachment,
    ApplicationStatus,
    ApplicationTransition,
    ExpertApplication,
)
from portal.workflow import WorkflowError
from sms import outbox

# The form's fields about the person, each with its empty value. 姓名 and 工作单位 are the
# account's and the unit's, kept; so are 专业技术职称, 职称级别, 现从事专业 and 专业领域, what
# the person was reviewed and drawn as (the kept review and draw records name them).
FIELDS_ERASED = {
    "gender": "",
    "birth_date": None,
    "ethnicity": "",
    "political_status": "",
    "education": "",
    "degree": "",
    "graduated_from": "",
    "major": "",
    "admin_position": "",
    "work_started_on": None,
    "department": "",
    "mobile": "",
    "office_phone": "",
    "email": "",
    "address": "",
    "research_direction": "",
    "resume": "",
    "achievements": "",
    "bank_name": "",
    "bank_account": "",
    "integrity_pledge": False,
    "consent_version": "",
    "consent_at": None,
    "consent_bureau": "",
    # 资格提示 are read from the birth date and the like (年龄超过65岁).
    "eligibility_flags": [],
    "has_eligibility_flags": False,
}
# What the confirmation page says is erased, and what is kept.
ERASED_WORDS = (
    "证件号码（及其检索索引）、银行账号和开户银行",
    "手机、电子邮箱、通讯地址、办公电话",
    "出生日期、性别、民族、政治面貌、学历学位、工作简历、主要业绩与成果等专家信息",
    "上传的证明材料（文件一并删除）",
    "历次提交及信息变更中保存的专家信息",
    "发给本人的短信记录",
    "登录日志（每次登录的IP地址和浏览器）和绑定的身份验证器",
    "账号的电子邮箱、手机号码和密码（账号停用，不能再登录）",
)
KEPT_WORDS = (
    "姓名、工作单位、专业技术职称、职称级别、现从事专业和专业领域",
    "审核记录（何人何时作出何种决定及理由）、公示异议记录、入库证明的签发记录、专家抽取记录和"
    "安全审计记录，按规定保留",
    "禁入名单（仅保存证件号码的不可逆索引）",
)
# The account's: the ID number (its blind index follows on save, accounts.models.User.save).
ACCOUNT_FIELDS_ERASED = {"id_number": "", "mobile": "", "email": ""}


def erasure_refusal(application: ExpertApplication) -> str:
    """Why this person's information may not be erased now ('' when it may)."""
    name = application.user.real_name
    if application.erased_at is not None:
        return (
            f"{name}的个人信息已于{timezone.localtime(application.erased_at):%Y-%m-%d %H:%M}删除。"
        )
    status = application.status
    if status == ApplicationStatus.EXITED:
        return ""
    if status == ApplicationStatus.DRAFT and application.consent_at is None:
        return ""
    if status in (
        ApplicationStatus.APPROVED,
        ApplicationStatus.FROZEN,
        ApplicationStatus.EXIT_PENDING,
    ):
        return (
            f"{name}仍在专家库中（{application.get_status_display()}），不能删除个人信息："
            "须先由科技局确认退出或出库。"
        )
    return (
        f"{name}的专家状态为“{application.get_status_display()}”，且未撤回敏感个人信息处理同意，"
        "不能删除个人信息：须本人先在其页面撤回同意。"
    )


def blanked(snapshot: dict) -> dict:
    """A 信息变更's form as it was (experts.snapshots' rows), every value emptied: the record
    keeps which fields changed (ChangeRequest.changed_labels), not what they held."""
    if not snapshot:
        return snapshot
    rows = [[section, label, "", secret] for section, label, _, secret in snapshot.get("rows", [])]
    return {**snapshot, "rows": rows, "attachments": []}


def erase_personal_data(application: ExpertApplication, actor, request=None) -> list[str]:
    """删除个人信息: erase what the module's docstring lists, in one transaction, and record one
    audit event (删除个人信息) naming what was erased, never a value. Returns the labels of
    what was erased. Raises WorkflowError (erasure_refusal) and changes nothing if it may not.

    The 证明材料 files leave the storage once the transaction commits
    (experts.receivers.remove_attachment_file)."""
    user_model = get_user_model()
    with transaction.atomic():
        locked = (
            ExpertApplication.objects.select_related("user", "user__unit")
            .select_for_update(of=("self",))
            .get(pk=application.pk)
        )
        refusal = erasure_refusal(locked)
        if refusal:
            raise WorkflowError(refusal)
        for name, value in FIELDS_ERASED.items():
            setattr(locked, name, value)
        locked.erased_at = timezone.now()
        prefetch_related_objects([locked], search.with_fields())
        locked.search_text = search.search_text_for(locked)
        locked.save(update_fields=[*FIELDS_ERASED, "erased_at", "search_text", "updated_at"])

        account = user_model.objects.select_for_update().get(pk=locked.user_id)
        for name, value in ACCOUNT_FIELDS_ERASED.items():
            setattr(account, name, value)
        account.is_active = False
        account.set_unusable_password()
        account.save(update_fields=[*ACCOUNT_FIELDS_ERASED, "is_active", "password"])
        # The hashes of its past passwords go with the password (accounts.passwords).
        account.password_history.all().delete()

        # The application's, and those of its 信息变更 never approved (退回, 撤回 …).
        files = ApplicationAttachment.objects.filter(
            Q(application=locked) | Q(change_request__application=locked)
        )
        n_files = len(files)
        files.delete()  # each file leaves the storage on commit

        # The one update of a history row besides a key rotation's that its UPDATE trigger
        # lets through, now that erased_at is set (experts.models.SNAPSHOT_ERASURE_ONLY).
        n_snapshots = (
            ApplicationTransition.objects.filter(application=locked)
            .exclude(snapshot__isnull=True)
            .update(snapshot=None)
        )
        changes = list(ChangeRequest.objects.filter(application=locked).only("before", "after"))
        for change in changes:
            change.values, change.before, change.after = (
                {},
                blanked(change.before),
                blanked(change.after),
            )
        ChangeRequest.objects.bulk_update(changes, ["values", "before", "after"])
        n_changes = len(changes)
        # The SMS sent to the number erased; one still to send (or to verify) goes out first,
        # and housekeeping deletes it once settled (experts.receivers.delete_sms_of_erased).
        n_sms = outbox.purge_about(ExpertApplication.objects.filter(pk=locked.pk))
        n_sms += outbox.purge_about(user_model.objects.filter(pk=locked.user_id))  # 账号锁定
        n_logins = LoginLog.objects.filter(username=account.get_username()).delete()[0]
        Authenticator.objects.filter(user=account).delete()
        erased = [
            "证件号码",
            "银行账号",
            "手机、电子邮箱、通讯地址、办公电话",
            "出生日期等专家信息",
            f"证明材料{n_files}份",
            f"提交记录中的专家信息{n_snapshots}条",
            f"信息变更申请{n_changes}条",
            f"短信{n_sms}条",
            f"登录日志{n_logins}条",
            "身份验证器",
            "账号的电子邮箱、手机号码和密码（账号已停用）",
        ]
        record(
            AuditEvent.Action.ERASE_PERSONAL_DATA,
            actor=actor,
            request=request,
            obj=locked,
            detail="删除个人信息：" + "；".join(erased),
        )
    return erased
