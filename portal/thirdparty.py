"""Third-party apps under Chinese names: their AppConfigs, subclassed only to set the
verbose_name the admin shows as the section title (and in permission names).

Their models' and fields' labels come from locale/zh_Hans (django-axes marks them for
translation).

django-otp's TOTP app holds no device any more: accounts.Authenticator, with its key
encrypted, replaced its TOTPDevice, and migration accounts 0017 moved every device and emptied
the table. The app stays installed because that migration reads it; once every installation
has run 0017, a release may squash accounts' migrations past it and drop the app."""

from axes.apps import AppConfig as AxesAppConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TotpAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录防护"


class TotpConfig(TotpAppConfig):
    verbose_name = "双因素认证"
