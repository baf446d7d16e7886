"""Settings for the 专家入库 portal, read from the environment (12-factor).

Every value a deployment changes comes from an environment variable; `.env.example` lists them.
"""

import datetime
from pathlib import Path

import environ
import jinja2
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file beside manage.py is read when present, so a developer can keep local values there.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}


def flag(name: str, default: bool) -> bool:
    """A true/false setting, strictly: django-environ's env.bool reads any word it does not know
    as false, so SECURE_COOKIES=flase would quietly send session cookies over plain HTTP."""
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is neither true nor false (true/false, 1/0).")


DEBUG = flag("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_fsm",
    "django_otp",
    # Under Chinese names in admin (portal.thirdparty).
    "portal.thirdparty.TotpConfig",
    "portal.thirdparty.AxesConfig",
    "csp",
    "pgtrigger",
    "crispy_forms",
    "crispy_bootstrap5",
    "accounts",
    "experts",
    "changes",
    "draws",
    "fees",
    "notice",
    "certificates",
    "audit",
    "sms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # No LocaleMiddleware: the portal speaks Simplified Chinese only (LANGUAGE_CODE), whatever
    # language a browser asks for, so nothing needs choosing on every request.
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a form body: refuses one that is not UTF-8 (Django ticket #34709).
    "portal.middleware.Utf8BodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # An empty 405 gets the portal's page, with the navigation of whoever is logged in.
    "portal.errors.NotAllowedPageMiddleware",
    "audit.log.RequestContextMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "accounts.middleware.OwedStepMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        # The portal's own pages (jinja/, one layout: jinja/base.html; portal/jinja2.py).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "portal.jinja2.environment",
            # A missing name prints nothing, as in Django templates; the tests and DEBUG make
            # it an error instead, so that a typo is found before it ships.
            "undefined": jinja2.StrictUndefined if DEBUG else jinja2.Undefined,
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
    {
        # The admin (with its overrides in templates/, the transition buttons among them) and
        # crispy-bootstrap5's templates, which print the portal's forms.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.operators",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Connections are reused for a minute and checked before each request's first query, so a
# database that restarted is reconnected to without restarting the portal.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: take the write lock when a transaction starts, so two people
    # deciding at once wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    # 专家库's order index carries the search text on PostgreSQL only (experts.search); SQLite
    # builds it without, and its search scans the column anyway. The 信息变更 counts' one row
    # per (status, no unit) is a constraint SQLite cannot make (W047); its writes take turns
    # (IMMEDIATE above), so no two requests make that row at once.
    SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's stock backend. By default values are bound on the client and nothing is
    # prepared. DATABASE_PREPARE_THRESHOLD=N (psycopg's documented options) prepares a query a
    # connection has run N times and plans it once, with its generic plan: faster pages, but a
    # migration that changes a column's type breaks such queries on workers that were serving
    # while it ran, until they restart (docs/deployment.md, docs/performance.md).
    prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=0)
    if prepare_threshold:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True,
            prepare_threshold=prepare_threshold,
            options="-c plan_cache_mode=force_generic_plan",
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# MLPS level 3 (等保2.0, 身份鉴别): at least 8 characters from 3 of the 4 classes; see
# docs/security.md for where this departs from ASVS.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.MinimumLengthValidator"},
    {"NAME": "accounts.passwords.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassesValidator"},
    {"NAME": "accounts.passwords.UsernameValidator"},
    {"NAME": "accounts.passwords.NotTheCurrentPasswordValidator"},
    # Keeps the hashes of the last 5 passwords (its password_changed hook) and refuses them.
    {"NAME": "accounts.passwords.RecentPasswordsValidator", "OPTIONS": {"keep": 5}},
]
# 身份鉴别's 定期更换: the days a password of a bureau reviewer, an operator or a unit account
# lasts; past it, 修改密码 is the only page they reach (accounts.passwords.owes_password_change).
# Applicants are exempt (docs/security.md). 0 turns the rule off.
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)
if PASSWORD_MAX_AGE_DAYS < 0:
    raise ImproperlyConfigured("PASSWORD_MAX_AGE_DAYS must be 0 (off) or more days.")

# Logging in: 5 failures for one username from one address lock that pair for 30 minutes.
# The account's and the address's ceilings are in accounts.lockout; docs/security.md.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
# A username in any case is one account's (logging in finds it whatever the case typed).
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
# The client's address as our own server or proxy saw it; a client cannot change its count by
# sending an X-Forwarded-For of its own (portal.network.client_ip).
AXES_CLIENT_IP_CALLABLE = "portal.network.client_ip"
# Its records are shown in admin through accounts' proxies, which name them in Chinese.
AXES_ENABLE_ADMIN = False
# Days its login records (登录日志) are kept before the daily `housekeeping` deletes them; the
# audit trail keeps its own record of every login (docs/audit.md).
LOGIN_LOG_KEEP_DAYS = env.int("LOGIN_LOG_KEEP_DAYS", default=180)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# Chinese for what Django's and django-axes' own catalogues leave in English (admin labels,
# the admin's JavaScript picker); read before the apps' catalogues.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# Uploaded licence scans hold personal and business data: they live outside every public URL
# and are served only through a view that checks who is asking.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
# The scans and the export files (whole ID and bank numbers) are for the portal's own user and
# its group (a backup agent), not for every account on the host.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        ),
        # Public files, collected by whoever builds (root, in the image) and read by the
        # portal's user: not the private files' modes above.
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
# Form fields only (Django does not count file data here); the licence is capped by its
# validator (accounts.licence.MAX_BYTES), after upload. Cap the whole request body at the
# reverse proxy (e.g. 10 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}  # messages.ERROR → Bootstrap's alert-danger

SESSION_COOKIE_HTTPONLY = True
# Django's own database sessions; docs/deployment.md says when cached_db is safe.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Sessions end after 30 minutes without a request and 12 hours after logging in, whatever
# happens in between (accounts.middleware.SessionPolicyMiddleware).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# The idle clock restarts when the session is saved: at most once a minute, not on every
# request (a write and a commit per page view, and requests of one person queueing on their
# session's row). Idle sessions so end between 29 and 30 minutes.
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 2)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)

# Django's cache: figures and choices kept for a minute or until an edit clears them (facet
# counts, 专业领域, reason codes, 统计分析), and the public pages' per-address limits. The
# default, local memory, is each worker process's own: an edit is seen at once by the worker
# that made it and by the others only when their copy expires, and a limit counts per worker.
# With more than one worker, point every one at one cache: CACHE_URL=redis://host:6379/1.
# A cache that does not answer costs speed, not pages (portal.caching), and /healthz says so.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django passes OPTIONS to redis-py's connection pool. Without timeouts a Redis host that
    # is cut off (no refusal, no answer) holds each request until the system's TCP timeout.
    # Redis answers in a millisecond: one second to connect and one to answer are plenty.
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 1)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 1)

# Password reset mails; the console backend prints them until a mail server is configured.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="专家入库系统 <noreply@localhost>")
# The mail server for django.core.mail.backends.smtp.EmailBackend (reminder digests, password
# reset mails).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
# STARTTLS (usually port 587) or SSL from the first byte (port 465): one or the other, never
# both (portal.checks refuses both).
EMAIL_USE_TLS = flag("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = flag("EMAIL_USE_SSL", default=False)
# EMAIL_TIMEOUT: how long each step of the conversation with the mail server may wait in the
# daily jobs (send_reminders' digests). Mail sent while a person waits (找回密码's link) waits
# EMAIL_REQUEST_TIMEOUT instead, far below gunicorn's 30-second timeout: a mail server that
# accepts and never answers must not hold the web workers (docs/deployment.md).
EMAIL_TIMEOUT = 30
EMAIL_REQUEST_TIMEOUT = env.int("EMAIL_REQUEST_TIMEOUT", default=5)
if not 1 <= EMAIL_REQUEST_TIMEOUT <= 10:
    raise ImproperlyConfigured("EMAIL_REQUEST_TIMEOUT must be 1 to 10 seconds.")
PASSWORD_RESET_TIMEOUT = 60 * 60
# 找回密码 posts a minute that one client address may make (portal.ratelimit): each post opens
# a connection to the mail server, whatever address it names. A university behind one NAT
# address shares the count, hence a limit well above one person's retries.
PASSWORD_RESET_RATE_LIMIT = env.int("PASSWORD_RESET_RATE_LIMIT", default=20)
if PASSWORD_RESET_RATE_LIMIT < 1:
    raise ImproperlyConfigured("PASSWORD_RESET_RATE_LIMIT must be 1 or more.")

# Bureau reviewers and operators confirm a code from an authenticator app (TOTP) after their
# password; django-otp refuses a code that was already used. The issuer is the name the app
# lists the account under: PORTAL_NAME (below) unless the environment names it.

# Only the portal's own files; no inline script, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Production is HTTPS behind a reverse proxy; these default on whenever DEBUG is off.
SECURE_SSL_REDIRECT = flag("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe nodes over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = flag("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = flag("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS >= 31_536_000)
BEHIND_TLS_PROXY = flag("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    # The proxy terminates TLS and says so in X-Forwarded-Proto; trust it only when told to.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# ID and bank numbers are encrypted at rest (portal.crypto). Keys from the environment only;
# a development server derives throwaway ones from its SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_HMAC_KEY = env.str("FIELD_HMAC_KEY", default="")
# While FIELD_HMAC_KEY is being replaced: its former values, still matched by every lookup until
# `reindex_personal_data` has recomputed the stored hashes (docs/security.md).
FIELD_HMAC_OLD_KEYS = env.list("FIELD_HMAC_OLD_KEYS", default=[])
if DEBUG and not FIELD_ENCRYPTION_KEYS:
    import base64
    import hashlib

    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(f"fernet:{SECRET_KEY}".encode()).digest()).decode()
    ]
    FIELD_HMAC_KEY = FIELD_HMAC_KEY or hashlib.sha256(f"hmac:{SECRET_KEY}".encode()).hexdigest()
if not FIELD_ENCRYPTION_KEYS or not FIELD_HMAC_KEY:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS and FIELD_HMAC_KEY must be set.")

# SMS: a backend class, like EMAIL_BACKEND. Console prints; Twilio sends for real.
SMS_BACKEND = env.str("SMS_BACKEND", default="sms.backends.console.ConsoleBackend")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Empty means Twilio's own API host; tests point it at a fake server on 127.0.0.1.
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=10.0)
# Who sends the SMS and the e-mail, as the privacy notice (/privacy/) names them to the people
# whose numbers and addresses go there: the provider's name and where it keeps the data, e.g.
# "某某云通信有限公司（数据存储于中国境内）". Empty: said from SMS_BACKEND (portal.privacy) and, for
# mail, "the mail server the bureau configured". docs/deployment.md, SMS and cross-border transfer.
PRIVACY_SMS_PROVIDER = env.str("PRIVACY_SMS_PROVIDER", default="")
PRIVACY_EMAIL_PROVIDER = env.str("PRIVACY_EMAIL_PROVIDER", default="")

# The portal's name: page titles, the footer, mail subjects and the signature 【…】 that opens
# every SMS (a provider in China sends only a signature registered with it: set this to that).
PORTAL_NAME = env.str("PORTAL_NAME", default="武汉市科技局专家入库系统")
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default=PORTAL_NAME)
# The bureau that runs the portal: the 个人信息处理者 the privacy notice (/privacy/) names, and
# the footer's name beside PORTAL_NAME.
BUREAU_NAME = env.str("BUREAU_NAME", default="武汉市科学技术局")
# The portal's address as people reach it, without a trailing slash: links in e-mails sent by
# commands (send_reminders), which have no request to take the host from.
PORTAL_URL = env.str("PORTAL_URL", default="http://localhost:8000").rstrip("/")
HELP_LINE = env.str("HELP_LINE", default="027-85870766")

# 阿里云短信 (SMS_BACKEND=sms.backends.aliyun.AliyunBackend; docs/deployment.md): an AccessKey of
# a RAM user allowed dysms:SendSms and dysms:QuerySendDetails, the signature (签名) approved in
# Aliyun's console, and the code Aliyun gave each template `manage.py sms_templates` lists:
# ALIYUN_SMS_TEMPLATES=application_approved=SMS_123,application_rejected=SMS_124,…
ALIYUN_SMS_ACCESS_KEY_ID = env.str("ALIYUN_SMS_ACCESS_KEY_ID", default="")
ALIYUN_SMS_ACCESS_KEY_SECRET = env.str("ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
ALIYUN_SMS_SIGN_NAME = env.str("ALIYUN_SMS_SIGN_NAME", default=PORTAL_NAME)
ALIYUN_SMS_TEMPLATES = env.dict("ALIYUN_SMS_TEMPLATES", default={})
# Aliyun's own host unless tests point it at a fake server on 127.0.0.1 (protocol http).
ALIYUN_SMS_ENDPOINT = env.str("ALIYUN_SMS_ENDPOINT", default="dysmsapi.aliyuncs.com")
ALIYUN_SMS_PROTOCOL = env.str("ALIYUN_SMS_PROTOCOL", default="https").lower()
if ALIYUN_SMS_PROTOCOL not in ("https", "http"):
    raise ImproperlyConfigured("ALIYUN_SMS_PROTOCOL must be https or http.")
# How many characters one template variable may carry: Aliyun's limit (sms.backends.aliyun).
ALIYUN_SMS_VARIABLE_LIMIT = env.int("ALIYUN_SMS_VARIABLE_LIMIT", default=35)

# 入库证明 (certificates/): the issuer printed on it, its term of validity (from the admission),
# and the 证书查验 page's limit of lookups per address (CERTIFICATE_VERIFY_LIMIT in
# CERTIFICATE_VERIFY_WINDOW seconds, counted in the default cache). CERTIFICATE_FONT_DIR holds
# the font subset `manage.py build_certificate_font` makes (docs/performance.md).
CERTIFICATE_ISSUER = env.str("CERTIFICATE_ISSUER", default=BUREAU_NAME)
CERTIFICATE_VALID_YEARS = env.int("CERTIFICATE_VALID_YEARS", default=3)
if CERTIFICATE_VALID_YEARS < 1:
    raise ImproperlyConfigured("CERTIFICATE_VALID_YEARS must be 1 or more years.")
CERTIFICATE_VERIFY_LIMIT = env.int("CERTIFICATE_VERIFY_LIMIT", default=30)
CERTIFICATE_VERIFY_WINDOW = env.int("CERTIFICATE_VERIFY_WINDOW", default=600)
CERTIFICATE_FONT_DIR = env.path("CERTIFICATE_FONT_DIR", default=BASE_DIR / "var" / "fonts")

# Deadlines in Chinese working days (portal.deadlines): a unit recommends within
# UNIT_REVIEW_WORKING_DAYS of 提交, the bureau decides within BUREAU_REVIEW_WORKING_DAYS of the
# recommendation. A change applies to items that start waiting afterwards.
UNIT_REVIEW_WORKING_DAYS = env.int("UNIT_REVIEW_WORKING_DAYS", default=5)
BUREAU_REVIEW_WORKING_DAYS = env.int("BUREAU_REVIEW_WORKING_DAYS", default=10)

# 专家劳务费 (fees): what a row starts from per day of review, in yuan after tax (税后, as the
# standards are set), for experts with a 高级专业技术职称 (正高级, 副高级) and for the others; the
# form pre-fills the amount before tax that nets it. The reviewer may type another amount.
# Defaults: the lower bounds of 财科教〔2017〕128号 for 会议 (1500-2400 and 900-1500 元/人天，税后).
FEE_PER_DAY_SENIOR = env.int("FEE_PER_DAY_SENIOR", default=1500)
FEE_PER_DAY_OTHER = env.int("FEE_PER_DAY_OTHER", default=900)

# 导出Excel (experts.exports): an export of more rows than EXPORT_MAX_ROWS is refused (narrow the
# filter); the worker deletes each file EXPORT_KEEP_HOURS after it was written.
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=100_000)
EXPORT_KEEP_HOURS = env.int("EXPORT_KEEP_HOURS", default=24)
# 专家入库公示 (notice): newly approved experts are listed on a public page, without logging in,
# for PUBLIC_NOTICE_DAYS working days after the day of the decision; off, the page is a 404
# and no 撤销入库（公示异议） is offered. PUBLIC_NOTICE_RATE_LIMIT: requests a minute that one
# client address may make to the page (portal.ratelimit), counted in Django's cache.
PUBLIC_NOTICE_ENABLED = flag("PUBLIC_NOTICE_ENABLED", default=True)
PUBLIC_NOTICE_DAYS = env.int("PUBLIC_NOTICE_DAYS", default=5)
PUBLIC_NOTICE_RATE_LIMIT = env.int("PUBLIC_NOTICE_RATE_LIMIT", default=30)
if PUBLIC_NOTICE_DAYS < 1 or PUBLIC_NOTICE_RATE_LIMIT < 1:
    raise ImproperlyConfigured("PUBLIC_NOTICE_DAYS and PUBLIC_NOTICE_RATE_LIMIT must be 1 or more.")

# How long the daily `housekeeping` keeps SMS outbox rows (number and text) and 导出任务 rows (who
# exported what; their files go after EXPORT_KEEP_HOURS), in days from their creation; None
# (empty, the default) keeps them for good. The bureau's decision (docs/deployment.md).
SMS_KEEP_DAYS = env.int("SMS_KEEP_DAYS", default=None)
EXPORT_JOB_KEEP_DAYS = env.int("EXPORT_JOB_KEEP_DAYS", default=None)
for _name, _days in (
    ("SMS_KEEP_DAYS", SMS_KEEP_DAYS),
    ("EXPORT_JOB_KEEP_DAYS", EXPORT_JOB_KEEP_DAYS),
):
    if _days is not None and _days < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more days, or empty to keep for good.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden": {"()": "portal.logging.ForbiddenFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The audit trail's copy for shipping off the host (docs/audit.md): one INFO line per
        # event, kept whatever LOG_LEVEL quiets.
        "portal.audit": {"level": "INFO"},
        # The twilio client logs every request's headers at INFO.
        "twilio": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each step of every certificate at INFO, fontTools every glyph it
        # keeps in the certificate's font subset.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # A refusal by role is one line, without the traceback (portal.logging).
        "django.request": {"filters": ["forbidden"]},
    },
}
