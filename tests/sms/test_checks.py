"""A wrong SMS_BACKEND stops startup (manage.py's system checks) with the path to use."""

from sms.checks import check_sms_backend


def test_the_configured_backend_passes(settings):
    settings.SMS_BACKEND = "sms.backends.locmem.LocmemBackend"
    assert check_sms_backend(None) == []


def test_an_old_experts_path_names_the_new_one(settings):
    settings.SMS_BACKEND = "experts.sms.twilio.TwilioBackend"
    [error] = check_sms_backend(None)
    assert error.id == "sms.E001"
    assert "sms.backends.twilio.TwilioBackend" in error.hint


def test_a_class_that_is_no_backend_is_refused(settings):
    settings.SMS_BACKEND = "django.contrib.auth.models.User"
    [error] = check_sms_backend(None)
    assert error.id == "sms.E002"
