"""A fake 阿里云短信 API (dysmsapi 2017-05-25) on 127.0.0.1, so tests exercise Alibaba Cloud's
own SDK (alibabacloud-dysmsapi20170525) end to end.

The `fake_aliyun` fixture starts one server per test, points the portal's Aliyun settings at it
(ALIYUN_SMS_ENDPOINT 127.0.0.1:PORT, protocol http) and stops it afterwards. It answers the two
actions the portal calls, SendSms and QuerySendDetails, with Aliyun's JSON: Code "OK" and a
BizId for a message taken; Code and Message of Aliyun's error codes otherwise. Tests choose:

- `fake.fail_with(code)`: the next sends answer that code (200 with the code in the body, as
  Aliyun answers isv.* codes; 404 or 400 for a wrong AccessKey or signature, as Aliyun does);
- `fake.set_mode("hang")`: take the message (it is listed by QuerySendDetails) and never
  answer, past the client's timeout; "error500": answer 500 without taking it; "drop": close
  the connection without taking it; "ok": answer normally.

Every request is recorded (action, parameters, the AccessKey id from the Authorization header),
and a request with another AccessKey id is refused as Aliyun refuses it.
"""

import json
import re
import secrets
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tests.fake_server import FakeService

ACCESS_KEY_ID = "LTAI5tFakeKeyId0001"
ACCESS_KEY_SECRET = "fake-secret-5c1d"
SIGN_NAME = "武汉市科技局专家入库系统"
MODES = ("ok", "hang", "error500", "drop")
MAX_WAIT_SECONDS = 10

# Aliyun's answers to a wrong AccessKey or signature come with an HTTP error status; the
# business codes (isv.*) come with 200.
HTTP_STATUS = {"InvalidAccessKeyId.NotFound": 404, "SignatureDoesNotMatch": 400}
MESSAGES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.BUSINESS_LIMIT_CONTROL": "触发分钟级流控Permits:1",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "InvalidAccessKeyId.NotFound": "Specified access key is not found.",
    "SignatureDoesNotMatch": "Specified signature does not match our calculation.",
}
CREDENTIAL = re.compile(r"Credential=([^,]+)")


@dataclass(frozen=True)
class RecordedRequest:
    action: str
    params: dict[str, str]
    access_key_id: str | None


class FakeAliyun(FakeService):
    name = "fake-aliyun"

    def __init__(self, access_key_id: str = ACCESS_KEY_ID):
        self.access_key_id = access_key_id
        self.mode = "ok"
        self.error_code = ""  # an Aliyun code every send answers, while set
        self.requests: list[RecordedRequest] = []
        self.accepted: list[dict] = []  # the messages Aliyun took, as QuerySendDetails lists
        # The approved texts by template code, in Aliyun's ${var} syntax (set by the fixture
        # from the portal's templates and codes): QuerySendDetails' Content as Aliyun renders it.
        self.texts: dict[str, str] = {}
        super().__init__()

    @property
    def endpoint(self) -> str:
        host, port = self.address
        return f"{host}:{port}"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown fake Aliyun mode {mode!r}; one of {MODES}")
        self.mode = mode

    def fail_with(self, code: str) -> None:
        self.error_code = code

    @property
    def sends(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.action == "SendSms"]

    @property
    def queries(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.action == "QuerySendDetails"]

    def take(self, params: dict[str, str]) -> str:
        """Record the message as sent, as QuerySendDetails will list it; returns its BizId."""
        biz_id = f"{secrets.randbelow(10**18):018d}^0"
        template = params.get("TemplateParam") or "{}"
        text = self.texts.get(params.get("TemplateCode"), "")
        content = f"【{params.get('SignName', '')}】{text}"
        for name, value in json.loads(template).items():
            content = content.replace("${" + name + "}", value)
        with self.lock:
            self.accepted.append(
                {
                    "PhoneNum": params.get("PhoneNumbers"),
                    "SendStatus": 3,
                    "ErrCode": "DELIVERED",
                    "TemplateCode": params.get("TemplateCode"),
                    "Content": content,
                    "SendDate": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
                    "ReceiveDate": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
                    "OutId": params.get("OutId", ""),
                }
            )
        return biz_id

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                query = urlsplit(self.path).query
                params = {key: values[-1] for key, values in parse_qs(query + "&" + body).items()}
                action = self.headers.get("x-acs-action") or params.get("Action", "")
                found = CREDENTIAL.search(self.headers.get("Authorization", ""))
                key_id = found.group(1) if found else None
                fake.requests.append(RecordedRequest(action, params, key_id))
                if key_id != fake.access_key_id:
                    self.error("InvalidAccessKeyId.NotFound")
                    return
                if action == "SendSms":
                    self.send_sms(params)
                elif action == "QuerySendDetails":
                    self.query_send_details(params)
                else:
                    self.reply(404, {"Code": "InvalidAction.NotFound", "Message": action})

            def send_sms(self, params):
                mode = fake.mode
                if mode == "drop":
                    self.close_connection = True
                    return
                if mode == "error500":
                    self.reply(500, {"Code": "InternalError", "Message": "服务器内部错误"})
                    return
                if fake.error_code:
                    self.error(fake.error_code)
                    return
                biz_id = fake.take(params)
                if mode == "hang":  # Aliyun took it; its answer never arrives
                    fake.release.wait(MAX_WAIT_SECONDS)
                    self.close_connection = True
                    return
                self.reply(
                    200,
                    {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": _request_id()},
                )

            def query_send_details(self, params):
                if fake.mode in ("error500", "drop"):
                    self.reply(500, {"Code": "InternalError", "Message": "服务器内部错误"})
                    return
                day = params.get("SendDate", "")
                with fake.lock:
                    found = [
                        message
                        for message in fake.accepted
                        if message["PhoneNum"] == params.get("PhoneNumber")
                        and message["SendDate"][:10].replace("-", "") == day
                    ]
                self.reply(
                    200,
                    {
                        "Code": "OK",
                        "Message": "OK",
                        "RequestId": _request_id(),
                        "TotalCount": len(found),
                        "SmsSendDetailDTOs": {"SmsSendDetailDTO": found},
                    },
                )

            def error(self, code: str) -> None:
                self.reply(
                    HTTP_STATUS.get(code, 200),
                    {
                        "Code": code,
                        "Message": MESSAGES.get(code, code),
                        "RequestId": _request_id(),
                    },
                )

            def reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format, *args):
                pass

        return Handler


def _request_id() -> str:
    return secrets.token_hex(16).upper()


@pytest.fixture
def fake_aliyun(settings, monkeypatch):
    """A running FakeAliyun, with the portal set to send SMS through 阿里云短信 to it and a code
    for every registered template (SMS_1001, SMS_1002 … in the registry's order)."""
    from sms.templates import TEMPLATES

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeAliyun()
    codes = {key: f"SMS_{1001 + i}" for i, key in enumerate(TEMPLATES)}
    server.texts = {codes[key]: template.provider_text() for key, template in TEMPLATES.items()}
    server.start()
    settings.SMS_BACKEND = "sms.backends.aliyun.AliyunBackend"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = ACCESS_KEY_ID
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = ACCESS_KEY_SECRET
    settings.ALIYUN_SMS_SIGN_NAME = SIGN_NAME
    settings.ALIYUN_SMS_TEMPLATES = codes
    settings.ALIYUN_SMS_ENDPOINT = server.endpoint
    settings.ALIYUN_SMS_PROTOCOL = "http"
    settings.SMS_TIMEOUT_SECONDS = 2.0
    yield server
    server.stop()
