"""The user each request loads, with what every page then asks about them, in one query."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connections, router
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Unit
from accounts.permissions import BUREAU_GROUP
from portal import rows


@functools.cache
def _user_sql(alias: str) -> str:
    connection = connections[alias]
    user = get_user_model()
    quote = connection.ops.quote_name
    return f"""
        SELECT {rows.columns(user, "u", connection)}, {rows.columns(Unit, "n", connection)},
            EXISTS (
                SELECT 1 FROM {user.groups.through._meta.db_table} ug
                JOIN {Group._meta.db_table} g ON g.id = ug.group_id
                WHERE ug.user_id = u.id AND g.name = %s
            ) AS in_bureau_group,
            {rows.columns(TOTPDevice, "d", connection)}
        FROM {user._meta.db_table} u
        LEFT JOIN {Unit._meta.db_table} n ON n.id = u.{quote("unit_id")}
        -- django_otp.user_has_device, for the one device type installed (TOTP; another type
        -- added to INSTALLED_APPS must be added here too): their first confirmed device.
        LEFT JOIN {TOTPDevice._meta.db_table} d ON d.id = (
            SELECT min(e.id) FROM {TOTPDevice._meta.db_table} e
            WHERE e.user_id = u.id AND e.confirmed
        )
        WHERE u.id = %s
    """


class PortalBackend(ModelBackend):
    """ModelBackend, but the session's user comes with their unit, whether they are in the
    reviewers' group and their authenticator if they enrolled one: one query where the session
    policy, the navigation, the permission checks and django-otp made five. accounts.permissions
    reads the two flags from the attributes it caches them in; accounts.middleware.OTPMiddleware
    takes the authenticator (`_totp_device`) when it is the session's.

    A plain query (portal.rows), because the same through the ORM's Exists() took 1.9 ms of
    Python to build on every request, and through RawQuerySet 0.3 ms more than this (measured
    while profiling the benchmark)."""

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        if not 0 < user_id < 2**63:  # no such row, and SQLite refuses larger numbers
            return None
        model = get_user_model()
        using = router.db_for_read(model)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(_user_sql(using), [BUREAU_GROUP, user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        width = len(model._meta.concrete_fields)
        unit_end = width + len(Unit._meta.concrete_fields)
        user = rows.build(model, row[:width], using)
        if not self.user_can_authenticate(user):
            return None
        if user.unit_id is not None:
            model.unit.field.set_cached_value(user, rows.build(Unit, row[width:unit_end], using))
        device = row[unit_end + 1 :]
        user._is_bureau_reviewer = bool(row[unit_end])
        user._totp_device = rows.build(TOTPDevice, device, using) if device[0] else None
        user._has_second_factor = user._totp_device is not None
        return user
