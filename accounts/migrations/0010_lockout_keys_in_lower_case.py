"""Failures and locks kept under a username as typed, moved under its lockout key (its lower
case, accounts.lockout.lockout_key): a lock taken before this release still holds after it,
and the failures toward one are not forgotten."""

from django.db import migrations
from django.db.models.functions import Lower


def lower_case_keys(apps, schema_editor):
    LoginFailure = apps.get_model("accounts", "LoginFailure")
    AccountLock = apps.get_model("accounts", "AccountLock")
    AccessAttempt = apps.get_model("axes", "AccessAttempt")

    LoginFailure.objects.exclude(username=Lower("username")).update(username=Lower("username"))

    for lock in AccountLock.objects.exclude(username=Lower("username")):
        same = AccountLock.objects.filter(username=lock.username.lower()).first()
        if same is None:
            lock.username = lock.username.lower()
            lock.save(update_fields=["username"])
            continue
        same.locked_at = min(same.locked_at, lock.locked_at)
        same.until = max(same.until, lock.until)
        notices = [at for at in (same.notified_at, lock.notified_at) if at is not None]
        same.notified_at = max(notices, default=None)
        same.save(update_fields=["locked_at", "until", "notified_at"])
        lock.delete()

    mixed_case = AccessAttempt.objects.filter(username__isnull=False)
    for attempt in mixed_case.exclude(username=Lower("username")):
        same = AccessAttempt.objects.filter(
            username=attempt.username.lower(),
            ip_address=attempt.ip_address,
            user_agent=attempt.user_agent,
        ).first()
        if same is None:
            attempt.username = attempt.username.lower()
            attempt.save(update_fields=["username"])
            continue
        same.failures_since_start += attempt.failures_since_start
        same.attempt_time = max(same.attempt_time, attempt.attempt_time)
        same.save(update_fields=["failures_since_start", "attempt_time"])
        attempt.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_lockout_sms_about_account"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(lower_case_keys, migrations.RunPython.noop)]
