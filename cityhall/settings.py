"""cityhall's settings: one module, every value read from the environment."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from cityhall.core.env import EnvError, env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CITYHALL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789")
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise EnvError("SECRET_KEY must be at least 50 characters in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The province this deployment serves (79 = Ho Chi Minh City) and the form of
# agencies' electronic identification codes (Decision 20/2020/QĐ-TTg).
CITYHALL_PROVINCE = env_int("CITYHALL_PROVINCE", 79)
CITYHALL_ELECTRONIC_ID_PATTERN = env_str(
    "CITYHALL_ELECTRONIC_ID_PATTERN", r"^\d{3}\.\d{2}\.\d{2}\.[GH]\d{2}$"
)
CITYHALL_SITE_NAME = env_str("CITYHALL_SITE_NAME", "Cổng chính quyền số TP.HCM")
# The public address of the site (e.g. https://cityhall.example.gov.vn), put before the
# links that e-mails and SMS carry; empty: the links are paths.
CITYHALL_SITE_URL = env_str("CITYHALL_SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "cityhall.core",
    "cityhall.accounts",
    "cityhall.orgunits",
    "cityhall.portal",
    "django_tasks",
    "django_tasks_db",
    "cityhall.notifications",
    "cityhall.workflow",
    "cityhall.reports",
    "cityhall.procedures",
    "cityhall.dossiers",
    "cityhall.plans",
    "cityhall.indicators",
    "cityhall.documents",
    "cityhall.open311",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cityhall.core.middleware.RequestContextMiddleware",
    "cityhall.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cityhall.urls"
# A failed CSRF check shows the shell's 403 page in the reader's language.
CSRF_FAILURE_VIEW = "cityhall.portal.errors.csrf_failure"
# Interfaces that answer bad input in their own format check NUL characters themselves.
CITYHALL_NUL_CHECK_SKIP_PREFIXES = ("/open311/",)
WSGI_APPLICATION = "cityhall.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cityhall" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cityhall.core.context_processors.site",
                "cityhall.accounts.context_processors.person",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cityhall.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
    # at BEGIN so concurrent writers wait instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Django's cursors bind parameters on the client and never prepare (so poolers work);
    # a statement sent through a server-binding cursor, as Open311's GET pages are
    # (cityhall/open311/pages.py), is prepared after 5 runs on a connection.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The lockout backend first: it refuses a locked-out account+address before any password
# is checked (django-axes); the model backend then checks the password.
AUTHENTICATION_BACKENDS = [
    "cityhall.accounts.signin.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:staff_home"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "cityhall" / "locale"]
# Dates and numbers by the reader's language: cityhall/core/formats/<lang>/formats.py
# over Django's (docs/i18n.md).
FORMAT_MODULE_PATH = ["cityhall.core.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "cityhall" / "static"]
# Uploaded files (cityhall.core.files) are kept in STORAGES["default"]: under var/media by
# default, or in an S3-compatible bucket with CITYHALL_FILE_STORAGE=s3 (the `s3` extra,
# django-storages). Never served from MEDIA_URL: only through the apps' checked views.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
CITYHALL_FILE_STORAGE = env_str("CITYHALL_FILE_STORAGE", "filesystem")
if CITYHALL_FILE_STORAGE == "filesystem":
    _FILES: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif CITYHALL_FILE_STORAGE == "s3":
    if importlib.util.find_spec("storages") is None:
        raise EnvError("CITYHALL_FILE_STORAGE=s3 needs django-storages: "
                       "pip install 'cityhall[s3]'")
    _FILES = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": env_str("CITYHALL_FILE_STORAGE_BUCKET"),
        "endpoint_url": env_str("CITYHALL_FILE_STORAGE_ENDPOINT_URL", "") or None,
        "region_name": env_str("CITYHALL_FILE_STORAGE_REGION", "") or None,
        # Empty keys: boto3's own chain (AWS_* variables, instance role) supplies them.
        "access_key": env_str("CITYHALL_FILE_STORAGE_ACCESS_KEY", "") or None,
        "secret_key": env_str("CITYHALL_FILE_STORAGE_SECRET_KEY", "") or None,
        "location": env_str("CITYHALL_FILE_STORAGE_PREFIX", ""),
        "addressing_style": env_str("CITYHALL_FILE_STORAGE_ADDRESSING_STYLE", "") or None,
        "default_acl": "private",
        "file_overwrite": False,
    }}
else:
    raise EnvError(f"CITYHALL_FILE_STORAGE must be filesystem or s3, got "
                   f"{CITYHALL_FILE_STORAGE!r}")
# A callable (dotted path) that judges each upload: `scan(file, *, name, content_type)`
# returns None when clean, or a reason to refuse it. Empty: no scanner. See docs/security.md.
CITYHALL_FILE_SCANNER = env_str("CITYHALL_FILE_SCANNER", "")
# How often the worker looks for stored files that no row names (left by a rolled-back
# upload) and deletes them: core.files.orphans.
CITYHALL_FILE_ORPHAN_SWEEP_MINUTES = env_int("CITYHALL_FILE_ORPHAN_SWEEP_MINUTES", 60)
STORAGES = {
    "default": _FILES,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# In development each message is a file under var/mail/ (`make run` says where), so the
# worker's e-mails do not scroll the terminal; in production SMTP.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cityhall@localhost")

NINJA_PAGINATION_PER_PAGE = 50

# Production hardening: `cityhall check --deploy` must be clean when DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Load balancers probe the web processes directly, in plain HTTP and without the proxy's
    # X-Forwarded-Proto: the probes must get their answer, not a redirect to HTTPS.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: one line per SMS or Zalo message is noise.
    "loggers": {"django.db.backends": {"level": "INFO"}, "httpx": {"level": "WARNING"},
                # fontTools logs each stamp's font subset at INFO; pyHanko logs a traceback for each
                # signature it cannot trust, which the verification report says already.
                "fontTools": {"level": "WARNING"},
                "pyhanko.sign.validation.generic_cms": {"level": "ERROR"}},
}

# Workflow: working hours (Asia/Ho_Chi_Minh, Mon-Fri by default), the task queue,
# and the HTTP gateways for SMS and Zalo messages (empty URL: messages are only logged).
CITYHALL_WORKING_HOURS = env_str("CITYHALL_WORKING_HOURS", "07:30-11:30,13:00-17:00")
CITYHALL_WORKING_WEEKDAYS = [
    int(d) for d in env_list("CITYHALL_WORKING_WEEKDAYS", ["0", "1", "2", "3", "4"])
]
CITYHALL_MESSAGE_GATEWAYS = {
    "sms": (env_str("CITYHALL_SMS_GATEWAY_URL", ""), env_str("CITYHALL_SMS_GATEWAY_KEY", "")),
    "zalo": (env_str("CITYHALL_ZALO_GATEWAY_URL", ""), env_str("CITYHALL_ZALO_GATEWAY_KEY", "")),
}
CITYHALL_GATEWAY_TIMEOUT = env_int("CITYHALL_GATEWAY_TIMEOUT", 10)
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Residents' reports: the due-soon window (working hours), duplicate suggestions (radius in
# metres, days back), the reporter's reopen window (days after the reply), photo limits.
CITYHALL_REPORTS_DUE_SOON_HOURS = env_int("CITYHALL_REPORTS_DUE_SOON_HOURS", 8)
CITYHALL_REPORTS_DUPLICATE_RADIUS_M = env_int("CITYHALL_REPORTS_DUPLICATE_RADIUS_M", 200)
CITYHALL_REPORTS_DUPLICATE_DAYS = env_int("CITYHALL_REPORTS_DUPLICATE_DAYS", 14)
CITYHALL_REPORTS_REOPEN_DAYS = env_int("CITYHALL_REPORTS_REOPEN_DAYS", 7)
CITYHALL_REPORTS_PHOTO_MAX_BYTES = env_int("CITYHALL_REPORTS_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
CITYHALL_REPORTS_PHOTOS_MAX = env_int("CITYHALL_REPORTS_PHOTOS_MAX", 5)
# Photos: the most pixels an image's header may declare (refused before decoding), the
# longest side they are stored at (as JPEG), and how much cleaning one request does itself
# (pixels decoded plus bytes read, over its photos); photos past that budget are cleaned
# by `cityhall worker` and shown once done. See docs/reports.md, "Photos".
CITYHALL_REPORTS_PHOTO_MAX_PIXELS = env_int("CITYHALL_REPORTS_PHOTO_MAX_PIXELS", 50_000_000)
CITYHALL_REPORTS_PHOTO_MAX_SIDE = env_int("CITYHALL_REPORTS_PHOTO_MAX_SIDE", 1920)
CITYHALL_REPORTS_PHOTO_INLINE_BUDGET = env_int("CITYHALL_REPORTS_PHOTO_INLINE_BUDGET",
                                               12_000_000)
# Minutes after filing during which the reporter may still add photos (API).
CITYHALL_REPORTS_PHOTO_WINDOW_MINUTES = env_int("CITYHALL_REPORTS_PHOTO_WINDOW_MINUTES", 30)
# The report maps draw our own unit layer; a city may point them at its own tile server
# (e.g. "https://tiles.example.gov.vn/{z}/{x}/{y}.png"). Empty: no tiles are fetched.
CITYHALL_MAP_TILES_URL = env_str("CITYHALL_MAP_TILES_URL", "")
# Shown on the map beside the tiles, as their terms require (OpenStreetMap's tile servers:
# "© OpenStreetMap contributors"; see docs/operations.md, "Maps").
CITYHALL_MAP_TILES_ATTRIBUTION = env_str("CITYHALL_MAP_TILES_ATTRIBUTION", "")

# The one-stop forms as PDF are set in Liberation Serif 2 (metric-compatible with Times New
# Roman, every Vietnamese letter), shipped in cityhall/core/fonts/; another folder with
# LiberationSerif-{Regular,Bold,Italic}.ttf may replace it. (Debian's fonts-liberation 1.x
# lacks most Vietnamese letters: the forms refuse such a font.)
CITYHALL_PDF_FONT_DIR = env_str("CITYHALL_PDF_FONT_DIR", "")

# Dossier components uploaded (PDF, JPEG, PNG): the largest file and the most files a
# dossier takes in one submission.
CITYHALL_DOSSIERS_FILE_MAX_BYTES = env_int("CITYHALL_DOSSIERS_FILE_MAX_BYTES", 10 * 1024 * 1024)
CITYHALL_DOSSIERS_FILES_MAX = env_int("CITYHALL_DOSSIERS_FILES_MAX", 20)
# A task's deliverable or evidence file (PDF, JPEG, PNG, WebP): the largest accepted.
CITYHALL_PLANS_EVIDENCE_MAX_BYTES = env_int("CITYHALL_PLANS_EVIDENCE_MAX_BYTES",
                                            20 * 1024 * 1024)
# The data sources that replace components (population, business registry, ...): a
# dotted path to a function returning {name: DataSource}. The default is the local
# adapter over demo records (cityhall/dossiers/data/registries.yaml), for development.
CITYHALL_DOSSIERS_DATA_SOURCES = env_str(
    "CITYHALL_DOSSIERS_DATA_SOURCES", "cityhall.dossiers.datasources.local_sources")
# Fees: the account that receives them, as the VietQR on the fee slip names it (the bank's
# 6-digit NAPAS BIN and the account number; both empty: no QR). The values of the city's
# treasury account are not known to the project (verify before production).
CITYHALL_FEES_BANK_BIN = env_str("CITYHALL_FEES_BANK_BIN", "")
CITYHALL_FEES_ACCOUNT = env_str("CITYHALL_FEES_ACCOUNT", "")
# Payment gateways by name -> dotted path of the class; the demo gateway signs its callbacks
# with HMAC-SHA256 under CITYHALL_PAYMENTS_DEMO_SECRET (empty: the demo gateway is off).
CITYHALL_PAYMENT_GATEWAYS = {"demo": "cityhall.dossiers.payments.DemoGateway"}
CITYHALL_PAYMENTS_DEMO_SECRET = env_str(
    "CITYHALL_PAYMENTS_DEMO_SECRET", "dev-only-demo-gateway-secret" if DEBUG else "")

# Open311 GeoReport v2 (/open311/v2/): the jurisdiction this server answers for.
CITYHALL_OPEN311_JURISDICTION = env_str("CITYHALL_OPEN311_JURISDICTION", "tphcm.gov.vn")
# GET requests pages built as JSON by the database in one statement (off: the Python
# renderer, which is the reference and always serves extensions=true). See docs/open311.md.
CITYHALL_OPEN311_SQL_PAGES = env_bool("CITYHALL_OPEN311_SQL_PAGES", True)
# Accept Open311 POSTs into a queue and file them in `cityhall worker` (answer: a token);
# off, each POST files the report at once (answer: service_request_id). See docs/open311.md.
CITYHALL_OPEN311_ASYNC_INTAKE = env_bool("CITYHALL_OPEN311_ASYNC_INTAKE", False)
# Queued intakes the worker files per transaction (one statement per table per batch).
CITYHALL_INTAKE_BATCH = env_int("CITYHALL_INTAKE_BATCH", 100)
if not 1 <= CITYHALL_INTAKE_BATCH <= 1000:
    raise EnvError("CITYHALL_INTAKE_BATCH must be between 1 and 1000")

# -- Limits (docs/security.md, "Limits") --------------------------------------------
# Proxies in front of the app that append to X-Forwarded-For (0: none, the header is
# never trusted). The client's address counts for the limits, the lockout and the audit.
CITYHALL_TRUSTED_PROXIES = env_int("CITYHALL_TRUSTED_PROXIES", 0)
if CITYHALL_TRUSTED_PROXIES < 0:
    raise EnvError("CITYHALL_TRUSTED_PROXIES must be 0 or more")
# Requests that file a report or follow one up (rate, reopen, photos), as "count/period"
# (s, m, h, d; "5/10m") or "off": per client address for anonymous callers, per account
# for signed-in ones, per API key for partners. Filing and follow-ups count separately.
CITYHALL_RATE_ANONYMOUS = env_rate("CITYHALL_RATE_ANONYMOUS", "20/h")
CITYHALL_RATE_SIGNED_IN = env_rate("CITYHALL_RATE_SIGNED_IN", "60/h")
CITYHALL_RATE_PARTNER = env_rate("CITYHALL_RATE_PARTNER", "1200/h")
# django-ratelimit keeps its counters in the default cache; an unreadable counter lets the
# request through rather than stopping every report (cityhall.core.limits.check).
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True

# Messages to an address (phone number or e-mail) given in a report: at most this many in
# 24 hours until its owner confirms it, then at most the second number; messages over the
# cap are held, sent if the address is confirmed in time, dropped after the hold.
CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY = env_int("CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY", 3)
CITYHALL_MESSAGES_CONFIRMED_PER_DAY = env_int("CITYHALL_MESSAGES_CONFIRMED_PER_DAY", 20)
CITYHALL_MESSAGES_HOLD_HOURS = env_int("CITYHALL_MESSAGES_HOLD_HOURS", 72)
if min(CITYHALL_MESSAGES_UNCONFIRMED_PER_DAY, CITYHALL_MESSAGES_CONFIRMED_PER_DAY,
       CITYHALL_MESSAGES_HOLD_HOURS) < 1:
    raise EnvError("CITYHALL_MESSAGES_* must be 1 or more")

# Sign-in lockout (django-axes): this many failures for one account from one address lock
# that pair out for the given minutes, counted again from each attempt made meanwhile.
CITYHALL_SIGN_IN_FAILURES = env_int("CITYHALL_SIGN_IN_FAILURES", 5)
CITYHALL_SIGN_IN_LOCKOUT_MINUTES = env_int("CITYHALL_SIGN_IN_LOCKOUT_MINUTES", 15)
if CITYHALL_SIGN_IN_FAILURES < 1 or CITYHALL_SIGN_IN_LOCKOUT_MINUTES < 1:
    raise EnvError("CITYHALL_SIGN_IN_FAILURES and _LOCKOUT_MINUTES must be 1 or more")
# Failed sign-ins from one client address, whatever the names typed ("off" for none): a
# spray over many accounts; counted apart from the per-account lockout above.
CITYHALL_SIGN_IN_FAILURES_PER_ADDRESS = env_rate("CITYHALL_SIGN_IN_FAILURES_PER_ADDRESS", "50/h")
AXES_FAILURE_LIMIT = CITYHALL_SIGN_IN_FAILURES
AXES_COOLOFF_TIME = dt.timedelta(minutes=CITYHALL_SIGN_IN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "cityhall.core.context.client_address"
AXES_LOCKOUT_CALLABLE = "cityhall.accounts.signin.lockout_response"
# Sign-ins and sign-outs are in our audit trail; axes keeps only the failure counters.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Residents sign in with a one-time code sent to their phone or e-mail (docs/security.md,
# "Resident sign-in"): the code works for these minutes and this many tries; codes sent to
# one number or address, and codes asked for (or tried) from one client address, are
# limited to these rates ("count/period" or "off").
CITYHALL_SIGN_IN_CODE_MINUTES = env_int("CITYHALL_SIGN_IN_CODE_MINUTES", 10)
CITYHALL_SIGN_IN_CODE_ATTEMPTS = env_int("CITYHALL_SIGN_IN_CODE_ATTEMPTS", 5)
if CITYHALL_SIGN_IN_CODE_MINUTES < 1 or CITYHALL_SIGN_IN_CODE_ATTEMPTS < 1:
    raise EnvError("CITYHALL_SIGN_IN_CODE_MINUTES and _ATTEMPTS must be 1 or more")
CITYHALL_SIGN_IN_CODES_PER_DESTINATION = env_rate("CITYHALL_SIGN_IN_CODES_PER_DESTINATION",
                                                  "5/h")
CITYHALL_SIGN_IN_CODES_PER_CLIENT = env_rate("CITYHALL_SIGN_IN_CODES_PER_CLIENT", "20/h")

# The city's channels for residents, shown on the home page.
CITYHALL_HOTLINE = env_str("CITYHALL_HOTLINE", "1022")
CITYHALL_HOTLINE_EMAIL = env_str("CITYHALL_HOTLINE_EMAIL", "")
CITYHALL_ZALO_URL = env_str("CITYHALL_ZALO_URL", "")

# Digital signatures (cityhall.core.signing, docs/signing.md): the certificate authorities
# whose signatures are trusted (PEM files, comma-separated; none by default), whether the
# DEMO CA of `cityhall demo_pki` counts among them (on when DEBUG is; never in production
# unless said so), where the demo keys live, and whether verification may fetch revocation
# data (OCSP, CRL) from the network.
CITYHALL_SIGNING_TRUST_ROOTS = env_list("CITYHALL_SIGNING_TRUST_ROOTS", [])
CITYHALL_SIGNING_TRUST_DEMO_CA = env_bool("CITYHALL_SIGNING_TRUST_DEMO_CA", DEBUG)
CITYHALL_SIGNING_DEMO_DIR = Path(env_str("CITYHALL_SIGNING_DEMO_DIR", str(VAR_DIR / "pki")))
CITYHALL_SIGNING_FETCH_REVOCATION = env_bool("CITYHALL_SIGNING_FETCH_REVOCATION", False)
# Official documents are signed at `sign` and `issue` with the keys registered in the key
# store (`cityhall documents keys`, docs/operations.md); with DEMO keys on, a leader or unit
# without a registered key signs with the DEMO key of `cityhall demo_pki` (made on first
# use). Never on in production. The PKCS#11 modules (token drivers, shared libraries) a
# registered key may name: none unless the operator lists them, since loading one runs it.
CITYHALL_DOCUMENTS_DEMO_KEYS = env_bool("CITYHALL_DOCUMENTS_DEMO_KEYS", DEBUG)
CITYHALL_PKCS11_MODULES = env_list("CITYHALL_PKCS11_MODULES", [])
# edXML exchange (docs/documents.md): how long a peer may take to answer, how far a
# message's timestamp may be from our clock, and whether a message is tried at once after
# commit (else only by `cityhall worker`).
CITYHALL_EDXML_TIMEOUT = env_int("CITYHALL_EDXML_TIMEOUT", 10)
CITYHALL_EDXML_MAX_SKEW_SECONDS = env_int("CITYHALL_EDXML_MAX_SKEW_SECONDS", 300)
CITYHALL_EDXML_PUSH_AT_ONCE = env_bool("CITYHALL_EDXML_PUSH_AT_ONCE", True)
