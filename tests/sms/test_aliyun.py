"""阿里云短信 (sms.backends.aliyun) through Alibaba Cloud's own SDK against the fake dysmsapi on
127.0.0.1 (tests.fake_aliyun): templates with codes, the signature apart, Aliyun's error codes
sorted into what the outbox does with them, the startup check and `manage.py sms_templates`."""

import datetime
import io
import json

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.utils import timezone

from accounts.services import approve_unit
from experts.models import ApplicationStatus
from experts.services import approve_application, reject_application
from portal import privacy
from sms import templates
from sms.backends.aliyun import CONFIGURATION_CODES
from sms.models import SMSMessage
from sms.outbox import queue_sms, send_due
from tests import factories
from tests.fake_aliyun import SIGN_NAME, fake_aliyun

__all__ = ["fake_aliyun"]  # the fixture, imported so that pytest finds it here

MOBILE = "+8613812345678"


def make_due(message: SMSMessage) -> None:
    SMSMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def decided(unit, reviewer, capture, decide=approve_application, **kwargs):
    """A bureau decision on a pending application, its SMS queued and one worker pass run."""
    application = factories.make_applicant(unit, ApplicationStatus.PENDING_BUREAU).application
    with capture(execute=True):
        decide(application, reviewer, **kwargs)
    send_due()
    return application, SMSMessage.objects.get()


def sent_params(request) -> dict:
    return json.loads(request.params["TemplateParam"])


def test_a_decision_goes_to_aliyun_as_its_template_code_with_the_sign_name_and_params(
    fake_aliyun, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    settings.PUBLIC_NOTICE_ENABLED = False  # 已入选 at once: the template without 公示
    application, message = decided(unit, reviewer, django_capture_on_commit_callbacks)

    (request,) = fake_aliyun.sends
    name = application.user.real_name
    assert request.access_key_id == "LTAI5tFakeKeyId0001"
    assert request.params["PhoneNumbers"] == application.mobile.removeprefix("+86")
    assert request.params["SignName"] == SIGN_NAME
    assert request.params["TemplateCode"] == settings.ALIYUN_SMS_TEMPLATES["application_approved"]
    assert sent_params(request) == {"name": name}
    assert (message.status, message.template, message.params) == (
        SMSMessage.Status.SENT,
        "application_approved",
        {"name": name},
    )
    assert message.provider_id.endswith("^0")  # Aliyun's BizId
    # What Twilio, admin and the person's pages show is what Aliyun renders.
    assert message.body == fake_aliyun.accepted[0]["Content"]


def test_a_units_decision_goes_as_its_own_template(
    fake_aliyun, settings, reviewer, django_capture_on_commit_callbacks
):
    unit = factories.make_unit(factories.UnitStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        approve_unit(unit, reviewer)
    send_due()

    (request,) = fake_aliyun.sends
    assert request.params["TemplateCode"] == settings.ALIYUN_SMS_TEMPLATES["unit_approved"]
    assert sent_params(request) == {"unit": unit.name}
    assert SMSMessage.objects.get().status == SMSMessage.Status.SENT


@pytest.mark.parametrize("key", list(templates.TEMPLATES))
def test_each_template_as_aliyun_renders_it_is_the_body_the_outbox_keeps(fake_aliyun, db, key):
    """The registry's text with its example params, sent: Aliyun's rendering of the approved
    ${var} text (its Content, signature included) is byte for byte the outbox's body."""
    template = templates.get(key)
    message = queue_sms(MOBILE, template, template.example)
    send_due()

    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert fake_aliyun.accepted[0]["Content"] == message.body
    assert message.body == f"【{SIGN_NAME}】{template.content(template.example)}"


def test_every_template_has_fixed_words_a_label_and_examples_within_aliyuns_limits():
    for template in templates.TEMPLATES.values():
        assert template.label and template.key.isidentifier()
        text = template.provider_text()
        assert "{" not in text.replace("${", "") and "【" not in text  # 【】 is the signature's
        assert len(template.variables) == len(set(template.variables))  # each once, as Aliyun asks
        assert all(0 < len(value) <= 35 for value in template.example.values())


def test_params_that_are_not_the_templates_placeholders_are_refused_when_queued(db):
    with pytest.raises(ValueError, match="application_rejected"):
        queue_sms(MOBILE, templates.APPLICATION_REJECTED, {"name": "王芳"})
    with pytest.raises(ValueError):
        queue_sms(MOBILE, templates.EXIT_CONFIRMED, {"name": "王芳", "reason": "多余"})
    assert not SMSMessage.objects.exists()


def test_a_reason_longer_than_an_aliyun_variable_is_cut_with_an_ellipsis(
    fake_aliyun, unit, reviewer, django_capture_on_commit_callbacks
):
    reason = (
        "申报材料中的工作简历与单位人事部门出具的证明在任职起止时间上存在明显出入，请核实后提交"
    )
    _, message = decided(
        unit, reviewer, django_capture_on_commit_callbacks, reject_application, reason=reason
    )

    sent = sent_params(fake_aliyun.sends[0])["reason"]
    assert len(sent) == 35 and sent.endswith("…")
    assert message.params["reason"].startswith(sent[:-1])
    assert len(message.params["reason"]) > 35  # the outbox, Twilio and the portal keep it whole
    assert message.status == SMSMessage.Status.SENT


def test_an_invalid_number_fails_for_good(
    fake_aliyun, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_aliyun.fail_with("isv.MOBILE_NUMBER_ILLEGAL")
    application, message = decided(unit, reviewer, django_capture_on_commit_callbacks)

    assert (message.status, message.needs_check) == (SMSMessage.Status.FAILED, False)
    assert message.failure_reason == "手机号码无效或无法接收短信"
    assert "isv.MOBILE_NUMBER_ILLEGAL" in message.last_error
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED  # the decision stands


def test_aliyuns_flow_control_keeps_the_message_queued_and_the_retry_sends_it(
    fake_aliyun, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_aliyun.fail_with("isv.BUSINESS_LIMIT_CONTROL")
    _, message = decided(unit, reviewer, django_capture_on_commit_callbacks)
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, False)
    assert message.failure_reason == "短信服务商限制发送频率，将自动重试"

    fake_aliyun.fail_with("")
    make_due(message)
    send_due()

    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert len(fake_aliyun.sends) == 2 and len(fake_aliyun.queries) == 0


@pytest.mark.parametrize(
    ("code", "setting"),
    [
        ("isv.SMS_TEMPLATE_ILLEGAL", "ALIYUN_SMS_TEMPLATES"),
        ("isv.SMS_SIGNATURE_ILLEGAL", "ALIYUN_SMS_SIGN_NAME"),
        ("InvalidAccessKeyId.NotFound", "ALIYUN_SMS_ACCESS_KEY_ID"),
        ("SignatureDoesNotMatch", "ALIYUN_SMS_ACCESS_KEY_SECRET"),
        ("isv.AMOUNT_NOT_ENOUGH", "阿里云账户余额"),
        ("InvalidTimeStamp.Expired", "本服务器的时钟"),
    ],
)
def test_a_configuration_error_is_named_for_the_operator_and_the_queue_goes_out_once_fixed(
    fake_aliyun, unit, reviewer, django_capture_on_commit_callbacks, code, setting
):
    assert code in CONFIGURATION_CODES
    fake_aliyun.fail_with(code)
    _, message = decided(unit, reviewer, django_capture_on_commit_callbacks)

    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, False)
    assert message.failure_reason == f"短信服务配置错误（阿里云 {code}）"
    assert setting in message.last_error and code in message.last_error
    fake_aliyun.fail_with("")
    make_due(message)
    send_due()
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT


def test_a_wrong_access_key_is_refused_by_aliyun_and_named(
    fake_aliyun, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "LTAI5tSomeoneElse"
    _, message = decided(unit, reviewer, django_capture_on_commit_callbacks)

    assert message.status == SMSMessage.Status.QUEUED
    assert "请核对 ALIYUN_SMS_ACCESS_KEY_ID" in message.last_error
    assert fake_aliyun.accepted == []


def test_a_send_aliyun_took_without_answering_is_found_there_not_sent_again(
    fake_aliyun, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    settings.SMS_TIMEOUT_SECONDS = 0.5
    fake_aliyun.set_mode("hang")  # taken, and the answer never comes
    reason = (
        "申报材料中的工作简历与单位人事部门出具的证明在任职起止时间上存在明显出入，请核实后提交"
    )
    _, message = decided(
        unit, reviewer, django_capture_on_commit_callbacks, reject_application, reason=reason
    )
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)
    assert message.failure_reason == "短信服务商未回复，是否已送达待核实"
    assert "timed out" in message.last_error

    fake_aliyun.set_mode("ok")
    make_due(message)
    send_due()

    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.SENT, False)
    assert message.provider_id.startswith("阿里云发送记录")
    assert len(fake_aliyun.sends) == 1  # found (its reason cut as sent), not sent again
    assert len(fake_aliyun.accepted) == 1
    (query,) = fake_aliyun.queries
    assert query.params["PhoneNumber"] == message.to.removeprefix("+86")
    assert query.params["SendDate"] == timezone.localdate().strftime("%Y%m%d")


def test_a_lost_answer_is_settled_by_the_messages_own_number_whatever_changed_since(
    fake_aliyun, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    """Each send carries the outbox row's number (OutId); the look-up finds the message by it,
    even when the signature was changed before the retry (the text no longer matches), and
    never takes another message of the same text for it."""
    settings.SMS_TIMEOUT_SECONDS = 0.5
    fake_aliyun.set_mode("hang")
    _, message = decided(unit, reviewer, django_capture_on_commit_callbacks)
    assert fake_aliyun.sends[0].params["OutId"] == str(message.pk)
    # The same words to the same number, sent earlier under another number of ours.
    twin = dict(fake_aliyun.accepted[0], OutId=str(message.pk + 1000))
    fake_aliyun.accepted.insert(0, twin)

    settings.ALIYUN_SMS_SIGN_NAME = "武汉市科技局"  # renamed before the retry
    fake_aliyun.set_mode("ok")
    make_due(message)
    send_due()

    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.SENT, False)
    assert len(fake_aliyun.sends) == 1  # found by its number, not sent again

    # Without its own entry, the twin of the same text is not taken for it: sent once more.
    fake_aliyun.accepted[:] = [twin]
    SMSMessage.objects.filter(pk=message.pk).update(
        status=SMSMessage.Status.QUEUED, needs_check=True
    )
    make_due(message)
    send_due()
    assert len(fake_aliyun.sends) == 2


def test_a_typed_value_aliyun_would_refuse_is_made_fit_to_send(
    fake_aliyun, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    """A link, 【】 or an empty value in a variable fail the send at Aliyun for good."""
    message = queue_sms(
        MOBILE,
        templates.APPLICATION_REJECTED,
        {"name": "", "reason": "【重要】见 https://example.com/x"},
    )
    make_due(message)
    send_due()

    (request,) = fake_aliyun.sends
    sent = sent_params(request)
    assert sent["name"] == "—"
    assert "http" not in sent["reason"] and "【" not in sent["reason"]
    assert sent["reason"].startswith("〔重要〕见 （详见系统）")
    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT


def test_a_send_dropped_before_aliyun_took_it_is_asked_about_then_sent_once(
    fake_aliyun, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_aliyun.set_mode("drop")
    _, message = decided(unit, reviewer, django_capture_on_commit_callbacks)
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)

    fake_aliyun.set_mode("ok")
    make_due(message)
    send_due()

    message.refresh_from_db()
    assert message.status == SMSMessage.Status.SENT
    assert message.provider_id.endswith("^0")  # sent now, with its BizId
    assert [r.action for r in fake_aliyun.requests] == ["SendSms", "QuerySendDetails", "SendSms"]
    assert len(fake_aliyun.accepted) == 1


def test_an_unsure_message_stays_flagged_while_aliyun_cannot_be_asked(
    fake_aliyun, unit, reviewer, django_capture_on_commit_callbacks
):
    fake_aliyun.set_mode("error500")  # Aliyun's own failure: it may have taken it
    _, message = decided(unit, reviewer, django_capture_on_commit_callbacks)
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)

    make_due(message)
    send_due()  # the look-up fails too: nothing is sent blind

    message.refresh_from_db()
    assert (message.status, message.needs_check) == (SMSMessage.Status.QUEUED, True)
    assert [r.action for r in fake_aliyun.requests] == ["SendSms", "QuerySendDetails"]


def test_a_template_without_a_code_stays_queued_naming_the_line_to_add(
    fake_aliyun, settings, unit, reviewer, django_capture_on_commit_callbacks
):
    settings.PUBLIC_NOTICE_ENABLED = False
    settings.ALIYUN_SMS_TEMPLATES = {
        key: code
        for key, code in settings.ALIYUN_SMS_TEMPLATES.items()
        if key != "application_approved"
    }
    _, message = decided(unit, reviewer, django_capture_on_commit_callbacks)

    assert message.status == SMSMessage.Status.QUEUED
    assert "ALIYUN_SMS_TEMPLATES 中加上 application_approved=SMS_…" in message.last_error
    assert fake_aliyun.requests == []


def test_a_message_queued_before_templates_is_left_for_an_operator(fake_aliyun, db):
    message = SMSMessage.objects.create(to=MOBILE, body="【武汉市科技局专家入库系统】旧短信")
    send_due()

    message.refresh_from_db()
    assert message.status == SMSMessage.Status.FAILED
    assert message.failure_reason == "短信模板不可用，未发送"
    assert fake_aliyun.requests == []


def test_the_privacy_notice_names_aliyun_and_data_kept_in_china(fake_aliyun, settings):
    settings.PRIVACY_SMS_PROVIDER = ""
    said = privacy.sms_provider()
    assert "阿里云" in said and "中华人民共和国境内" in said


# The startup check --------------------------------------------------------------------------


def sms_errors() -> list:
    return [error for error in run_checks() if error.id.startswith("sms.")]


def test_a_complete_aliyun_configuration_passes_the_check(fake_aliyun):
    assert sms_errors() == []


def test_the_check_names_the_templates_without_a_code_and_the_line_to_add(fake_aliyun, settings):
    codes = dict(settings.ALIYUN_SMS_TEMPLATES)
    del codes["draw_notice"], codes["account_locked"]
    settings.ALIYUN_SMS_TEMPLATES = codes

    (error,) = sms_errors()
    assert error.id == "sms.E004"
    assert error.msg == "以下短信模板没有阿里云模板CODE：draw_notice、account_locked。"
    line = error.hint.split("ALIYUN_SMS_TEMPLATES=", 1)[1]
    assert dict(pair.split("=") for pair in line.split(",")) == {
        **codes,
        "draw_notice": "SMS_…",
        "account_locked": "SMS_…",
    }


def test_the_check_names_missing_credentials(fake_aliyun, settings):
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = ""

    (error,) = sms_errors()
    assert error.id == "sms.E003"
    assert "ALIYUN_SMS_ACCESS_KEY_SECRET" in error.msg
    assert "ALIYUN_SMS_ACCESS_KEY_SECRET=…" in error.hint


def test_the_check_names_a_code_for_no_template(fake_aliyun, settings):
    settings.ALIYUN_SMS_TEMPLATES = {**settings.ALIYUN_SMS_TEMPLATES, "decision_aproved": "SMS_9"}

    (error,) = sms_errors()
    assert (error.id, error.msg) == (
        "sms.E005",
        "ALIYUN_SMS_TEMPLATES 中有本系统没有的短信模板：decision_aproved。",
    )


def test_other_backends_need_no_aliyun_settings(settings):
    settings.ALIYUN_SMS_TEMPLATES = {}
    settings.ALIYUN_SMS_ACCESS_KEY_ID = ""
    assert sms_errors() == []


# manage.py sms_templates --------------------------------------------------------------------


def test_sms_templates_prints_every_template_to_apply_for_and_the_line_to_fill_in(settings):
    settings.ALIYUN_SMS_SIGN_NAME = "武汉市科技局"
    settings.ALIYUN_SMS_TEMPLATES = {"exit_confirmed": "SMS_471"}
    out = io.StringIO()
    call_command("sms_templates", stdout=out)
    text = out.getvalue()

    for template in templates.TEMPLATES.values():
        assert f"{template.label}（{template.key}）" in text
        assert f"模板内容：{template.provider_text()}\n" in text
        assert f"示例：【武汉市科技局】{template.content(template.example)}\n" in text
    assert "${name}您好，您的退出专家库申请已确认，您已退出市科技局专家库。" in text
    assert "模板CODE：SMS_471" in text
    last = text.strip().splitlines()[-1]
    assert last == "ALIYUN_SMS_TEMPLATES=" + ",".join(
        f"{key}={'SMS_471' if key == 'exit_confirmed' else 'SMS_…'}" for key in templates.TEMPLATES
    )


@pytest.mark.parametrize(
    ("endpoint", "refused"),
    [("dysmsapi.aliyuncs.com", True), ("127.0.0.1:8765", False), ("localhost:80", False)],
)
def test_plain_http_to_aliyun_is_refused_by_the_deploy_checks_but_to_this_host(
    settings, endpoint, refused
):
    settings.SMS_BACKEND = "sms.backends.aliyun.AliyunBackend"
    settings.ALIYUN_SMS_PROTOCOL = "http"
    settings.ALIYUN_SMS_ENDPOINT = endpoint

    ids = [message.id for message in run_checks(include_deployment_checks=True)]

    assert ("sms.E006" in ids) is refused
    settings.ALIYUN_SMS_PROTOCOL = "https"
    assert "sms.E006" not in [m.id for m in run_checks(include_deployment_checks=True)]
