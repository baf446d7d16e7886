import requests
import urllib3
from django.conf import settings
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from sms.backends import BaseBackend, SMSError

# Twilio error codes about the number itself: sending again cannot succeed.
# 21211 invalid 'To', 21214 not reachable, 21408 region not enabled, 21610 unsubscribed,
# 21612 cannot route, 21614 not a mobile number.
PERMANENT_CODES = {21211, 21214, 21408, 21610, 21612, 21614}


class TwilioBackend(BaseBackend):
    privacy_provider = (
        "Twilio Inc.（美国）的短信服务：手机号码和短信内容经其位于中华人民共和国境外的服务器"
        "发送并由其保存"
    )

    def __init__(self):
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.SMS_TIMEOUT_SECONDS),
        )
        if settings.TWILIO_API_BASE_URL:
            self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(
        self,
        to: str,
        body: str,
        *,
        template: str = "",
        params: dict | None = None,
        reference: str = "",
    ) -> str:
        try:
            message = self.client.messages.create(
                to=to, from_=settings.TWILIO_FROM_NUMBER, body=body
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            text = f"Twilio {exc.status} {exc.code}: {getattr(exc, 'msg', '') or exc.title}"
            if is_configuration_error(exc.status, exc.code):
                # Retried like an outage (the queue goes out once the settings are fixed), but
                # named for what it is: a wrong account or token is no passing trouble.
                text = (
                    f"{failure_reason(exc.status, exc.code)}：请核对 TWILIO_ACCOUNT_SID 和"
                    f" TWILIO_AUTH_TOKEN，改正并重启短信进程后，排队中的短信将自动发出。{text}"
                )
            raise SMSError(
                text,
                permanent=is_permanent(exc.status, exc.code),
                # A server error (a gateway's 502 or 504 above all) may come after Twilio took
                # the message: the retry asks Twilio first (find_sent).
                unsure=exc.status >= 500,
                reason=failure_reason(exc.status, exc.code),
            ) from exc
        except ValueError as exc:
            # A 2xx answer that is not Twilio's JSON (a proxy's page, say): the message may have
            # been accepted, so it is left for an operator (permanent), and flagged so that
            # resending it asks Twilio first (unsure) rather than deliver it twice.
            raise SMSError(
                f"unreadable answer from Twilio: {exc}",
                permanent=True,
                unsure=True,
                reason="短信服务商的回复无法识别，是否已送达待核实",
            ) from exc
        except (TwilioException, OSError) as exc:
            if never_reached_twilio(exc):
                raise SMSError(f"{type(exc).__name__}: {exc}", reason="无法连接短信服务商") from exc
            # The request went out but no answer came back (a read timeout, a dropped
            # connection): Twilio may have taken it. The outbox asks (find_sent) before retrying.
            raise SMSError(
                f"已发出请求但未收到回复，重试前将先向短信服务商核实是否已发送。"
                f"{type(exc).__name__}: {exc}",
                unsure=True,
                reason="短信服务商未回复，是否已送达待核实",
            ) from exc
        return message.sid

    can_find_sent = True

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
        try:
            sent = self.client.messages.list(to=to, date_sent_after=since, limit=50)
        except (TwilioRestException, TwilioServiceException, TwilioException, OSError) as exc:
            raise SMSError(
                f"无法向短信服务商核实：{type(exc).__name__}: {exc}",
                reason="短信服务商未回复，是否已送达待核实",
            ) from exc
        return next((message.sid for message in sent if message.body == body), None)


def failure_reason(status: int, code: int | None) -> str:
    if code in PERMANENT_CODES:
        return "手机号码无效或无法接收短信"
    if is_permanent(status, code):
        return "短信服务商拒绝发送"
    if is_configuration_error(status, code):
        return f"短信服务账号或密钥配置错误（Twilio {code or status}）"
    return "短信服务暂时不可用"


def is_configuration_error(status: int, code: int | None) -> bool:
    """Twilio refused the portal's credentials (401: 20003 Authenticate) or its account (403):
    every send fails until an operator fixes the settings, after which the queue can go out."""
    return status in (401, 403) and code not in PERMANENT_CODES


def never_reached_twilio(exc: BaseException) -> bool:
    """True when the request provably never left: the connection itself failed."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def is_permanent(status: int, code: int | None) -> bool:
    """Whether sending the same message again can never succeed."""
    if code in PERMANENT_CODES:
        return True
    # Other client errors are about the request itself, except auth, timeouts and rate limits,
    # which a fixed configuration or a later attempt can cure.
    return 400 <= status < 500 and status not in (401, 403, 408, 429)
