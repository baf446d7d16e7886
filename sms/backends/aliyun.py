"""阿里云短信 (Alibaba Cloud SMS, dysmsapi 2017-05-25) through Alibaba Cloud's own SDK.

A domestic provider sends only templates approved in its console, with a signature (签名)
registered there: each message goes as SignName (settings.ALIYUN_SMS_SIGN_NAME), TemplateCode
(settings.ALIYUN_SMS_TEMPLATES maps our template keys, sms.templates, to Aliyun's codes) and
TemplateParam (the parameters as JSON). `manage.py sms_templates` prints the texts to apply for;
sms.checks stops the portal while a template has no code or the AccessKey is missing.
"""

import datetime
import json
from zoneinfo import ZoneInfo

from alibabacloud_dysmsapi20170525 import models as dysms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import UnretryableException
from darabonba.runtime import RuntimeOptions
from django.conf import settings
from django.utils import timezone

from sms import templates
from sms.backends import BaseBackend, SMSError
from sms.outbox import LINK

# Aliyun's answer codes (help.aliyun.com, 短信服务 API错误码), by what the outbox does with them.
# The number itself: sending again cannot succeed.
NUMBER_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
}
# The text was refused (a forbidden word, a variable Aliyun will not take): the same text is
# refused again.
CONTENT_CODES = {
    "isv.SMS_CONTENT_ILLEGAL",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.PARAM_NOT_SUPPORT_URL",
    "isv.INVALID_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
}
# Flow control (by default 1 a minute, 50 a day per number and template) and the daily or
# monthly caps an operator set in the console: a later attempt goes through.
LIMIT_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.MONTH_LIMIT_CONTROL",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
}
# The portal's account or settings: every send fails until an operator fixes them, after which
# the queue can go out. Retried like an outage, but named for what it is, with what to check.
CONFIGURATION_CODES = {
    # The template code: not in this account, not approved, or not the text we send.
    "isv.SMS_TEMPLATE_ILLEGAL": "ALIYUN_SMS_TEMPLATES 中的模板CODE（模板须审核通过，且与 "
    "`manage.py sms_templates` 打印的内容一致）",
    "isv.TEMPLATE_MISSING_PARAMETERS": "ALIYUN_SMS_TEMPLATES 中的模板CODE（模板变量须与 "
    "`manage.py sms_templates` 打印的一致）",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "ALIYUN_SMS_TEMPLATES 中的模板CODE（模板变量须与 "
    "`manage.py sms_templates` 打印的一致）",
    # The signature.
    "isv.SMS_SIGNATURE_ILLEGAL": "ALIYUN_SMS_SIGN_NAME（须为本账号下审核通过的签名）",
    "isv.SMS_SIGN_ILLEGAL": "ALIYUN_SMS_SIGN_NAME（须为本账号下审核通过的签名）",
    "isv.SIGN_STATE_ILLEGAL": "ALIYUN_SMS_SIGN_NAME（签名状态不可用或未完成实名报备）",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "ALIYUN_SMS_SIGN_NAME（签名适用场景须为“通用”）",
    # The AccessKey and its permissions.
    "InvalidAccessKeyId.NotFound": "ALIYUN_SMS_ACCESS_KEY_ID",
    "InvalidAccessKeyId": "ALIYUN_SMS_ACCESS_KEY_ID",
    "InvalidAccessKeyId.Inactive": "ALIYUN_SMS_ACCESS_KEY_ID（该 AccessKey 已停用）",
    "SignatureDoesNotMatch": "ALIYUN_SMS_ACCESS_KEY_SECRET",
    "isv.ACCOUNT_NOT_EXISTS": "ALIYUN_SMS_ACCESS_KEY_ID 和 ALIYUN_SMS_ACCESS_KEY_SECRET",
    "isp.RAM_PERMISSION_DENY": "该 AccessKey 所属 RAM 用户的权限（需 dysms:SendSms 和 "
    "dysms:QuerySendDetails）",
    "Forbidden.RAM": "该 AccessKey 所属 RAM 用户的权限（需 dysms:SendSms 和 "
    "dysms:QuerySendDetails）",
    "isv.PRODUCT_UN_SUBSCRIPT": "阿里云账号是否已开通短信服务",
    "isv.PRODUCT_UNSUBSCRIBE": "阿里云账号是否已开通短信服务",
    "isv.ACCOUNT_ABNORMAL": "阿里云账号状态（账户异常）",
    # The account's money.
    "isv.AMOUNT_NOT_ENOUGH": "阿里云账户余额（余额不足，请充值）",
    "isv.OUT_OF_SERVICE": "阿里云账户余额（业务停机，请充值）",
    # Aliyun sends domestic SMS only from addresses in 中国内地.
    "isv.DENY_IP_RANGE": "本服务器的出口 IP（须位于中国内地）",
    # The request's time, signed with it: a server clock off by more than 15 minutes.
    "InvalidTimeStamp.Expired": "本服务器的时钟（与北京时间相差过大，请校准 NTP）",
    "SignatureNonceUsed": "本服务器的时钟（与北京时间相差过大，请校准 NTP）",
}
# Aliyun's own trouble: it may have taken the message before failing.
UNSURE_CODES = {"isp.SYSTEM_ERROR", "InternalError", "ServiceUnavailable"}

# How long one variable's value may be (settings.ALIYUN_SMS_VARIABLE_LIMIT, default 35):
# Aliyun's 通知短信 variable rules (短信服务, 通知短信模板规范, 变量规范) cap a variable of the
# kind "其他" (a name, an address, a reason) at 35 characters; the others here (a date, a number)
# are shorter. A longer value makes Aliyun refuse the whole send (isv.PARAM_LENGTH_LIMIT), so it
# is cut, with …, before sending (`fitted`): the person gets the gist and reads the whole reason
# on the portal, where it is. Refusing it when queued would instead roll back the decision that
# queues the SMS, and a reviewer's reason is no bug to stop a decision for.

BEIJING = ZoneInfo("Asia/Shanghai")

# QuerySendDetails answers for one day at a time, of the last 30, 50 a page at most.
QUERY_DAYS = 30
PAGE_SIZE = 50


def fitted(params: dict[str, str]) -> dict[str, str]:
    """The parameters as Aliyun takes a variable's value (its 变量规范): no link (a reason or a
    place someone typed may hold one: isv.PARAM_NOT_SUPPORT_URL), no 【】 (a second signature
    to Aliyun's checks) and never empty (a name left blank), and cut to the variable limit
    (settings.ALIYUN_SMS_VARIABLE_LIMIT). Each would otherwise fail the send for good."""
    limit = settings.ALIYUN_SMS_VARIABLE_LIMIT
    made = {}
    for name, value in params.items():
        value = LINK.sub("（详见系统）", str(value)).replace("【", "〔").replace("】", "〕")
        value = value.strip() or "—"
        made[name] = value if len(value) <= limit else value[: limit - 1] + "…"
    return made


def mainland_number(to: str) -> str | None:
    """13812345678 of +8613812345678: Aliyun's domestic SMS takes the 11 digits. None for a
    number outside 中国内地, which it does not send to."""
    if to.startswith("+86"):
        return to.removeprefix("+86")
    return None


def failure_reason(code: str) -> str:
    """The failure in a few words for the people on the portal's pages."""
    if code in NUMBER_CODES:
        return "手机号码无效或无法接收短信"
    if code in LIMIT_CODES:
        return "短信服务商限制发送频率，将自动重试"
    if code in CONFIGURATION_CODES:
        return f"短信服务配置错误（阿里云 {code}）"
    if code in UNSURE_CODES:
        return "短信服务商未回复，是否已送达待核实"
    return "短信服务商拒绝发送"


def error_for(code: str, message: str, status: int | None = None) -> SMSError:
    """SMSError of an answer with Aliyun's `code` (and the HTTP `status` it came with)."""
    text = f"阿里云 {status or 200} {code}: {message}"
    if code in CONFIGURATION_CODES:
        text = (
            f"{failure_reason(code)}：请核对 {CONFIGURATION_CODES[code]}，改正并重启短信进程后，"
            f"排队中的短信将自动发出。{text}"
        )
        return SMSError(text, reason=failure_reason(code))
    if code in LIMIT_CODES:
        return SMSError(text, reason=failure_reason(code))
    server_error = status is not None and status >= 500
    if code in UNSURE_CODES or server_error:
        # Aliyun may have taken the message: the retry asks it first (find_sent).
        return SMSError(text, unsure=True, reason="短信服务商未回复，是否已送达待核实")
    # The number, the text, or an answer nobody foresaw: the same request fails again, so an
    # operator decides (admin shows it, and can queue it again).
    return SMSError(text, permanent=True, reason=failure_reason(code))


class AliyunBackend(BaseBackend):
    privacy_provider = (
        "阿里云计算有限公司的阿里云短信服务：手机号码和短信内容经其位于中华人民共和国境内的服务器"
        "发送并由其保存，不出境"
    )
    can_find_sent = True

    def __init__(self):
        timeout_ms = int(settings.SMS_TIMEOUT_SECONDS * 1000)
        self.client = Client(
            Config(
                access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
                access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
                endpoint=settings.ALIYUN_SMS_ENDPOINT,
                protocol=settings.ALIYUN_SMS_PROTOCOL,
                connect_timeout=timeout_ms,
                read_timeout=timeout_ms,
            )
        )
        # One attempt per call: the outbox retries, after asking whether the last one went out.
        self.runtime = RuntimeOptions(
            autoretry=False, connect_timeout=timeout_ms, read_timeout=timeout_ms
        )

    def send(
        self,
        to: str,
        body: str,
        *,
        template: str = "",
        params: dict | None = None,
        reference: str = "",
    ) -> str:
        number, code, _ = self.addressed(to, template)
        request = dysms.SendSmsRequest(
            phone_numbers=number,
            sign_name=settings.ALIYUN_SMS_SIGN_NAME,
            template_code=code,
            template_param=json.dumps(fitted(params or {}), ensure_ascii=False),
            # The outbox row's number, kept by Aliyun with the message: find_sent asks by it.
            out_id=reference or None,
        )
        try:
            answer = self.client.send_sms_with_options(request, self.runtime).body
        except AlibabaCloudException as exc:
            raise error_for(exc.code, exc.message, exc.status_code) from exc
        except UnretryableException as exc:
            # No answer (a timeout, a dropped connection): the SDK does not tell a request that
            # never left from one whose answer was lost, so the retry asks Aliyun first.
            raise SMSError(
                f"已发出请求但未收到回复，重试前将先向短信服务商核实是否已发送。{exc}",
                unsure=True,
                reason="短信服务商未回复，是否已送达待核实",
            ) from exc
        if answer.code != "OK":
            raise error_for(answer.code or "", answer.message or "")
        return answer.biz_id

    def find_sent(
        self,
        to: str,
        body: str,
        since,
        *,
        template: str = "",
        params: dict | None = None,
        reference: str = "",
    ) -> str | None:
        """The message as Aliyun lists it (QuerySendDetails by number and day since `since`):
        by the outbox row's number it was sent with (OutId), which no other message has; else,
        for one sent without (before the portal gave it), the same template code and the same
        text, signature included, sent since then."""
        number, code, chosen = self.addressed(to, template)
        content = f"【{settings.ALIYUN_SMS_SIGN_NAME}】{chosen.content(fitted(params or {}))}"
        # Aliyun lists and dates its messages in Beijing time, whatever the portal's own zone.
        today = timezone.localdate(timezone=BEIJING)
        start = timezone.localtime(since, timezone=BEIJING)
        day = max(start.date(), today - datetime.timedelta(days=QUERY_DAYS - 1))
        earliest = start.strftime("%Y-%m-%d %H:%M:%S")
        while day <= today:
            for detail in self.sent_on(number, day):
                if reference and detail.out_id:
                    if detail.out_id == reference:
                        return f"阿里云发送记录 {detail.send_date}"
                    continue
                if (
                    detail.template_code == code
                    and detail.content == content
                    and (detail.send_date or "") >= earliest
                ):
                    return f"阿里云发送记录 {detail.send_date}"
            day += datetime.timedelta(days=1)
        return None

    def sent_on(self, number: str, day: datetime.date) -> list:
        details, page = [], 1
        while True:
            request = dysms.QuerySendDetailsRequest(
                phone_number=number,
                send_date=day.strftime("%Y%m%d"),
                page_size=PAGE_SIZE,
                current_page=page,
            )
            try:
                answer = self.client.query_send_details_with_options(request, self.runtime).body
            except (AlibabaCloudException, UnretryableException) as exc:
                raise SMSError(
                    f"无法向短信服务商核实：{type(exc).__name__}: {exc}",
                    reason="短信服务商未回复，是否已送达待核实",
                ) from exc
            if answer.code != "OK":
                error = error_for(answer.code or "", answer.message or "")
                raise SMSError(f"无法向短信服务商核实：{error}", reason=error.reason)
            listed = (
                answer.sms_send_detail_dtos.sms_send_detail_dto
                if answer.sms_send_detail_dtos
                else []
            )
            details += listed
            if not listed or page * PAGE_SIZE >= int(answer.total_count or 0):
                return details
            page += 1

    def addressed(self, to: str, key: str) -> tuple[str, str, templates.Template]:
        """The number, the template code and the template of a message, or SMSError."""
        number = mainland_number(to)
        if number is None:
            raise SMSError(
                f"阿里云国内短信只能发送中国内地手机号码：{to}",
                permanent=True,
                reason="手机号码无效或无法接收短信",
            )
        if key not in templates.TEMPLATES:
            # A row queued before messages were templates, or of a template since removed.
            raise SMSError(
                f"该短信没有可用的短信模板（{key or '无'}），阿里云只能发送审核通过的模板短信。",
                permanent=True,
                reason="短信模板不可用，未发送",
            )
        code = settings.ALIYUN_SMS_TEMPLATES.get(key)
        if not code:
            raise SMSError(
                f"短信模板 {key} 没有阿里云模板CODE：请在 ALIYUN_SMS_TEMPLATES 中加上 {key}=SMS_…"
                "（`manage.py sms_templates` 列出全部模板），改正并重启短信进程后，"
                "排队中的短信将自动发出。",
                reason=f"短信服务配置错误（模板 {key} 未配置）",
            )
        return number, code, templates.TEMPLATES[key]
