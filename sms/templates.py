"""Every SMS the portal sends, as a named template with parameters.

A provider in China (阿里云短信, 腾讯云短信) sends only texts approved beforehand, as templates
with ${var} variables, and puts the signature (签名, our 【PORTAL_NAME】) in front itself. So no
caller writes an SMS's words: it names a template here and gives its parameters, and the outbox
stores both beside the rendered body (the text Twilio, the console and admin show).

Where a text differs by branch (approved or on 公示, with a 禁入 or without …) each branch is its
own template: a provider approves fixed words, not words chosen at run time. `manage.py
sms_templates` prints them all for the operator to submit for approval.
"""

import string
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class Template:
    key: str  # the name in settings and on the outbox row: never change one in use
    label: str  # what the operator calls it in the provider's console (审核结果通知 …)
    text: str  # the words after the signature, with {name} placeholders
    example: dict[str, str] = field(default_factory=dict)  # one value for each placeholder

    @property
    def variables(self) -> list[str]:
        """The placeholders in order of appearance."""
        return [name for _, name, _, _ in string.Formatter().parse(self.text) if name]

    def content(self, params: dict[str, str]) -> str:
        """The text with its parameters, without the signature: what a domestic provider's
        template renders to (it puts the signature in front itself)."""
        return self.text.format_map(params)

    def render(self, params: dict[str, str]) -> str:
        """The whole SMS as a person reads it: the signature 【PORTAL_NAME】, then the text."""
        return f"【{settings.PORTAL_NAME}】{self.content(params)}"

    def provider_text(self) -> str:
        """The text in the ${var} syntax of 阿里云 and 腾讯云's consoles."""
        return self.text.format_map({name: f"${{{name}}}" for name in self.variables})

    def checked(self, params: dict) -> dict[str, str]:
        """`params` as strings, refused (ValueError) unless they are exactly the template's
        placeholders: a missing or unknown one is a bug that would send a wrong text."""
        # None (a field never filled) reads as nothing, never as the word None.
        given = {str(name): "" if value is None else str(value) for name, value in params.items()}
        if set(given) != set(self.variables):
            raise ValueError(
                f"SMS template {self.key!r} takes {sorted(self.variables)}, got {sorted(given)}"
            )
        return given


TEMPLATES: dict[str, Template] = {}


def _template(key: str, label: str, text: str, **example: str) -> Template:
    template = Template(key, label, text, example)
    if key in TEMPLATES:
        raise ValueError(f"SMS template {key!r} registered twice")
    if set(example) != set(template.variables):
        raise ValueError(f"SMS template {key!r}: the example must give every placeholder")
    TEMPLATES[key] = template
    return template


def get(key: str) -> Template:
    """The registered template of `key`; KeyError for one no longer (or never) registered."""
    return TEMPLATES[key]


NAME = "王芳"
REASON = "材料不齐全：缺少职称证书"
LINE = "027-85870766"

# To an applicant or expert: the portal's name, then a greeting by theirs (王芳您好，…): the
# SMS admin's list shows what follows the greeting.
APPLICATION_RETURNED = _template(
    "application_returned",
    "专家申请退回通知",
    "{name}您好，您的专家入库申请已被所在单位退回，原因：{reason}。请登录系统修改后重新提交。",
    name=NAME,
    reason=REASON,
)
APPLICATION_APPROVED = _template(
    "application_approved",
    "专家入库审核通过通知",
    "{name}您好，您的专家入库申请已审核通过，已入选市科技局专家库，可登录本系统下载入库证明。",
    name=NAME,
)
APPLICATION_APPROVED_ON_NOTICE = _template(
    "application_approved_on_notice",
    "专家入库审核通过（公示）通知",
    "{name}您好，您的专家入库申请已审核通过，拟入选市科技局专家库，现正公示至{notice_ends}；"
    "公示期满无异议即正式入库，届时可登录本系统下载入库证明。",
    name=NAME,
    notice_ends="2026年12月15日",
)
APPLICATION_REJECTED = _template(
    "application_rejected",
    "专家入库审核不通过通知",
    "{name}您好，您的专家入库申请审核不通过，原因：{reason}。可登录系统修改后重新提交。",
    name=NAME,
    reason=REASON,
)
ADMISSION_REVOKED = _template(
    "admission_revoked",
    "专家入库撤销通知",
    "{name}您好，经公示期异议核实，您的专家入库已撤销，原因：{reason}。如有疑问请致电{help_line}。",
    name=NAME,
    reason="公示期间收到实名异议，经核实学历信息不实",
    help_line=LINE,
)
UNFREEZE_APPROVED = _template(
    "unfreeze_approved",
    "解冻审核通过通知",
    "{name}您好，您的解冻申请已审核通过，冻结已解除，您将继续参加专家抽取。",
    name=NAME,
)
UNFREEZE_REFUSED = _template(
    "unfreeze_refused",
    "解冻审核不通过通知",
    "{name}您好，您的解冻申请审核不通过，原因：{reason}。您的专家信息仍为冻结状态，"
    "如有疑问请致电{help_line}。",
    name=NAME,
    reason="专家信息未更新",
    help_line=LINE,
)
FROZEN = _template(
    "frozen",
    "专家冻结通知",
    "{name}您好，您的专家信息已满{months}个月未确认，已被冻结，冻结期间不参加专家抽取。"
    "请登录系统申请解冻。",
    name=NAME,
    months="24",
)
CONFIRM_REMINDER = _template(
    "confirm_reminder",
    "年度确认提醒",
    "{name}您好，距您上次确认专家信息已满{months}个月，请于{confirm_by}前登录系统确认或更新信息；"
    "满{freeze_months}个月（{frozen_on}）未确认将被冻结。",
    name=NAME,
    months="11",
    confirm_by="2027年1月8日",
    freeze_months="24",
    frozen_on="2028年1月8日",
)
# One already past its due date: the day asked for is the day of the freeze, said once.
CONFIRM_REMINDER_LAST = _template(
    "confirm_reminder_last",
    "年度确认提醒（冻结前）",
    "{name}您好，距您上次确认专家信息已满{months}个月，请于{confirm_by}前登录系统确认或更新信息；"
    "满{freeze_months}个月未确认将被冻结。",
    name=NAME,
    months="23",
    confirm_by="2027年1月8日",
    freeze_months="24",
)
EXIT_CONFIRMED = _template(
    "exit_confirmed",
    "退出专家库确认通知",
    "{name}您好，您的退出专家库申请已确认，您已退出市科技局专家库。",
    name=NAME,
)
REMOVED = _template(
    "removed",
    "专家出库通知",
    "{name}您好，您已被移出市科技局专家库，原因：{reason}。",
    name=NAME,
    reason="连续三次无故不参加评审",
)
REMOVED_BANNED = _template(
    "removed_banned",
    "专家出库及禁入通知",
    "{name}您好，您已被移出市科技局专家库，原因：{reason}。今后不得再申请入库。",
    name=NAME,
    reason="评审中存在违规行为",
)
REMOVED_BANNED_UNTIL = _template(
    "removed_banned_until",
    "专家出库及限期禁入通知",
    "{name}您好，您已被移出市科技局专家库，原因：{reason}。{open_from}起方可重新申请。",
    name=NAME,
    reason="评审中存在违规行为",
    open_from="2029年12月9日",
)
CHANGE_APPROVED = _template(
    "change_approved",
    "信息变更审核通过通知",
    "{name}您好，您提交的专家信息变更申请（{fields}）已审核通过，变更后的信息已生效。",
    name=NAME,
    fields="手机、通讯地址",
)
CHANGE_APPROVED_CERTIFICATE = _template(
    "change_approved_certificate",
    "信息变更审核通过（入库证明失效）通知",
    "{name}您好，您提交的专家信息变更申请（{fields}）已审核通过，变更后的信息已生效。"
    "您此前下载的入库证明已失效，请登录系统重新下载。",
    name=NAME,
    fields="专业技术职称",
)
# After 退回 or 审核不通过 (a walk: the SMS said only 现行信息不变, and the expert did not know
# the request could be made again): where to, in the words of the expert's pages.
CHANGE_RETURNED = _template(
    "change_returned",
    "信息变更退回通知",
    "{name}您好，您提交的专家信息变更申请被{unit}退回，原因：{reason}。现行信息不变。"
    "如仍需变更，请登录系统，在“修改专家信息”中按理由修改后重新提交。",
    name=NAME,
    unit="武汉大学",
    reason="新职称证书未盖章",
)
CHANGE_REJECTED = _template(
    "change_rejected",
    "信息变更审核不通过通知",
    "{name}您好，您提交的专家信息变更申请审核不通过，原因：{reason}。现行信息不变。"
    "如仍需变更，请登录系统，在“修改专家信息”中按理由修改后重新提交。",
    name=NAME,
    reason="证明材料与填写内容不符",
)
CHANGE_WITHDRAWN_FROZEN = _template(
    "change_withdrawn_frozen",
    "信息变更因冻结撤回通知",
    "{name}您好，因专家信息被冻结，您未办结的信息变更申请已撤回；解冻后如仍需变更，请重新提交。",
    name=NAME,
)
DRAW_NOTICE = _template(
    "draw_notice",
    "评审专家抽取通知",
    "{name}您好，您被抽取为评审专家（抽取编号{draw}）。评审时间地点：{review_time}，{review_place}。"
    "请保持电话畅通，工作人员将与您联系确认。",
    name=NAME,
    draw="128",
    review_time="2026年12月15日 09:30",
    review_place="市科技局三楼会议室",
)
DRAW_VOIDED = _template(
    "draw_voided",
    "评审专家抽取作废通知",
    "{name}您好，此前通知您参加的评审（抽取编号{draw}，{review_time}，{review_place}）"
    "专家抽取已作废，您无需参加。如有疑问请致电{help_line}。",
    name=NAME,
    draw="128",
    review_time="2026年12月15日 09:30",
    review_place="市科技局三楼会议室",
    help_line=LINE,
)

# To a unit's contact.
UNIT_APPROVED = _template(
    "unit_approved",
    "单位注册审核通过通知",
    "贵单位“{unit}”的注册申请已通过审核，请登录系统点击“信息更改”完善单位信息。",
    unit="武汉大学",
)
UNIT_REJECTED = _template(
    "unit_rejected",
    "单位注册审核不通过通知",
    "贵单位“{unit}”的注册申请未通过审核，原因：{reason}。请登录系统修改后重新提交。",
    unit="武汉某某科技有限公司",
    reason="营业执照扫描件不清晰",
)
UNIT_EXPERT_MOVED = _template(
    "unit_expert_moved",
    "专家变更工作单位通知（原单位）",
    "{unit}：贵单位专家{name}已变更工作单位，已从贵单位专家名单中移出。",
    unit="武汉大学",
    name=NAME,
)
UNIT_OVERDUE_RECOMMENDATIONS = _template(
    "unit_overdue_recommendations",
    "单位超期推荐提醒",
    "贵单位有{count}份专家申请已超过推荐期限，请登录系统在“用户账号管理”中及时处理。",
    count="3",
)
UNIT_OVERDUE_CONFIRMATIONS = _template(
    "unit_overdue_confirmations",
    "单位超期确认提醒",
    "贵单位有{confirmations}份信息变更申请已超过确认期限，请登录系统在“用户账号管理”中及时处理。",
    confirmations="2",
)
UNIT_OVERDUE_BOTH = _template(
    "unit_overdue_both",
    "单位超期推荐及确认提醒",
    "贵单位有{count}份专家申请已超过推荐期限、{confirmations}份信息变更申请已超过确认期限，"
    "请登录系统在“用户账号管理”中及时处理。",
    count="3",
    confirmations="2",
)

# To the owner of an account.
ACCOUNT_LOCKED = _template(
    "account_locked",
    "账号锁定通知",
    "您的账号{username}因多次登录失败已被锁定至{until}。如非本人操作，"
    "请通过“找回密码”重设密码以解除锁定，或致电{help_line}。",
    username="wangfang",
    until="15:30",
    help_line=LINE,
)
