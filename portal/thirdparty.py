"""Third-party apps under Chinese names: their AppConfigs, subclassed only to set the
verbose_name the admin shows as the section title (and in permission names).

Their models' and fields' labels come from locale/zh_Hans (django-axes marks them for
translation); django-otp's TOTP device is shown through accounts' proxy model instead, since
its labels are not translatable."""

from axes.apps import AppConfig as AxesAppConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TotpAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录防护"


class TotpConfig(TotpAppConfig):
    verbose_name = "双因素认证"
