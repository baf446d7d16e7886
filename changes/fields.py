"""Which of an admitted expert's fields is which, and how a change of them is kept and shown.

- KEY: 姓名, 证件号码 (with 性别 and 出生日期, which a resident ID number carries), 工作单位,
  专业技术职称 and 职称级别, 专业领域, 开户银行 and 银行账号. A change goes through the unit's
  confirmation and the bureau's approval; the approved values stay in force until then.
- CONTACT: 手机, 电子邮箱, 通讯地址, 办公电话. Applied at once, recorded (修改联系方式).
- DETAILS: every other field of the form (简历, 业绩, 研究方向, 学历 …). Applied at once and
  recorded (修改其他信息): they describe the expert, but neither who they are, nor whom they
  work for, nor what they are drawn for or paid into (README, "信息变更").
- WITH_UNIT: 所在部门 and 行政职务, DETAILS that are posts within a unit. Typed together with a new
  工作单位 they are posts in the new unit: they join the 变更申请 and apply with the move, or not
  at all; the old unit never reads its expert under a department of the new one.

A change's `values` encode each field for a JSONField: dates as ISO text, 专业领域 as sorted
ids, 工作单位 as the unit's id, 证件号码 and 银行账号 encrypted as in their own columns. Its
`before`/`after` are the fields as a person reads them, in experts.snapshots' format.
"""

import datetime

from accounts.models import Unit
from experts import snapshots
from experts.attachments import AttachmentKind
from experts.choices import join_disciplines
from experts.forms import SECTIONS
from experts.models import Discipline, ExpertApplication
from experts.selectors import names_of_disciplines
from portal.crypto import decrypt, encrypt
from portal.templating import field_text

# Fields of the account (accounts.User), not of the application.
USER_FIELDS = ("real_name", "id_number", "unit")
KEY = (
    "real_name",
    "id_number",
    "gender",
    "birth_date",
    "unit",
    "title",
    "title_level",
    "disciplines",
    "bank_name",
    "bank_account",
)
CONTACT = ("mobile", "office_phone", "email", "address")
# Not changed through this page: the pledge and the consent were given at admission.
NOT_CHANGED = ("integrity_pledge", "sensitive_consent")
DETAILS = tuple(
    name
    for _, names in SECTIONS
    for name in names
    if name not in KEY and name not in CONTACT and name not in NOT_CHANGED
)
# What a 入库证明 prints of its holder (certificates.rules.printed): a change of one makes the
# certificates issued before 已失效, and the next download issues a new one.
ON_CERTIFICATE = ("real_name", "unit", "disciplines")
# Among DETAILS: reviewed with a change of 工作单位, applied at once otherwise.
WITH_UNIT = ("admin_position", "department")
SECRET = ("id_number", "bank_account")
USER_LABELS = {"real_name": "姓名", "id_number": "证件号码", "unit": "工作单位"}
# Their labels, which experts.snapshots.compare shows in full when named in `revealed`.
SECRET_LABELS = frozenset({"证件号码", "银行账号"})

# The 证明材料 a change must carry (AttachmentKind → the fields whose change it proves): the
# unit and the bureau check a new 职称 or 学历 against its certificate, not the expert's word.
# Any other change may carry 证明材料 too (其他证明材料), none required.
PROOF_REQUIRED = {
    AttachmentKind.TITLE: ("title", "title_level"),
    AttachmentKind.DEGREE: ("education", "degree"),
}
# Those whose change applies at once (DETAILS): their 证明材料 go with that record.
PROOF_APPLIED_AT_ONCE = (AttachmentKind.DEGREE,)

# The change form's sections: the application form's, with the account's fields where the
# read-only form shows them (portal.templating.application_sections).
FORM_SECTIONS = [
    (
        title,
        [
            *(["real_name", "id_number"] if title == "基本信息" else []),
            *(["unit"] if title == "工作单位与联系方式" else []),
            *(name for name in names if name not in NOT_CHANGED),
        ],
    )
    for title, names in SECTIONS
    if title != "承诺"
]
ORDER = [name for _, names in FORM_SECTIONS for name in names]
SECTION_OF = {name: title for title, names in FORM_SECTIONS for name in names}


def label(name: str) -> str:
    if name in USER_LABELS:
        return USER_LABELS[name]
    return str(ExpertApplication._meta.get_field(name).verbose_name)


def labels(names) -> list[str]:
    return [label(name) for name in sorted(names, key=ORDER.index)]


def current(application) -> dict:
    """The values in force, as the form cleans them (application.user loaded)."""
    user = application.user
    values = {name: getattr(application, name) for name in ORDER if name not in USER_FIELDS}
    values["disciplines"] = sorted(application.disciplines.values_list("pk", flat=True))
    values.update(real_name=user.real_name, id_number=user.id_number, unit=user.unit_id)
    return values


def normalised(name: str, value):
    """A cleaned form value as `current` gives it: comparable with ==."""
    if name == "disciplines":
        return sorted(item if isinstance(item, int) else item.pk for item in value or ())
    if name == "unit":
        return value.pk if isinstance(value, Unit) else value
    if value is None and name not in ("birth_date", "work_started_on"):
        return ""
    return value


def changed(in_force: dict, cleaned: dict, names) -> dict:
    """{name: new value} of the `names` whose cleaned value differs from the one in force."""
    new = {name: normalised(name, cleaned.get(name)) for name in names if name in cleaned}
    return {name: value for name, value in new.items() if value != in_force.get(name)}


def encode(values: dict) -> dict:
    encoded = {}
    for name, value in values.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif name in SECRET and value:
            value = encrypt(value)
        encoded[name] = value
    return encoded


def decode(encoded: dict) -> dict:
    values = {}
    for name, value in encoded.items():
        if name in ("birth_date", "work_started_on") and value:
            value = datetime.date.fromisoformat(value)
        elif name in SECRET and value:
            value = decrypt(value)
        values[name] = value
    return values


def shown(values: dict) -> dict:
    """{name: text} as a person reads each value, as the read-only form shows it
    (portal.templating.field_text), with 工作单位 and 专业领域 by their names."""
    texts = {}
    unit_ids = [values["unit"]] if values.get("unit") else []
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    for name, value in values.items():
        if name == "unit":
            text = units.get(value, "")
        elif name == "disciplines":
            picked = Discipline.objects.filter(pk__in=value or [])
            text = join_disciplines(names_of_disciplines(picked))
        elif name in USER_FIELDS:
            text = value or ""
        else:
            text = field_text(name, value)
        texts[name] = text
    return texts


def snapshot(values: dict) -> dict:
    """`values` (decoded) as experts.snapshots keeps a submission: rows of [section, label,
    value, secret], the secret ones encrypted, in the form's order."""
    texts = shown(values)
    rows = []
    for name in sorted(values, key=ORDER.index):
        text = texts[name]
        secret = name in SECRET and bool(text)
        rows.append([SECTION_OF[name], label(name), encrypt(text) if secret else text, secret])
    return {"version": snapshots.VERSION, "rows": rows}


def missing_proofs(changed_names, kinds) -> dict[str, str]:
    """{kind: message} of each 证明材料 that the `changed_names` require and `kinds` (those
    uploaded now, and those the open request carries) lack."""
    missing = {}
    for kind, proved in PROOF_REQUIRED.items():
        touched = [name for name in proved if name in changed_names]
        if touched and kind not in kinds:
            missing[kind] = (
                f"修改了{'、'.join(labels(touched))}，须上传{AttachmentKind(kind).label}作为证明材料。"
            )
    return missing
