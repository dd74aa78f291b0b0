"""EduDesk settings, read from the environment; every default is the embedded mode.

Embedded mode needs no server: SQLite under var/, Celery on kombu's filesystem
transport, a file cache. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
# Created when the application starts (edudesk.apps), never at import.
VAR_DIR = Path(environ.Env().str("EDUDESK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The embedded default only ever listens on loopback, so a fixed dev key is harmless
# there; production must set SECRET_KEY (checked below).
SECRET_KEY = env.str("SECRET_KEY", default="embedded-mode-only-not-secret-" + "x" * 40)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PRODUCTION = env.bool("PRODUCTION", default=False)

INSTALLED_APPS = [
    "edudesk.admin_apps.EduDeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "edudesk",
    "people",
    "axes",
    "accounts",
    "integrations",
    "integrations.zendesk",
    "integrations.slack",
    "integrations.credly",
    "integrations.gmail",
    "tickets",
    "inbox",
    "badges",
    "reports",
    "suggestions",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "people.timezones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "edudesk.unavailable.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: it turns a sign-in refused by the lock into the lock page.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on every page: scripts and styles only from our own origin (htmx
# and the console's script are static files; no inline script). Images from mail and
# tickets load only when an agent asks for them (see edudesk.html), over https.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

ROOT_URLCONF = "edudesk.urls"
WSGI_APPLICATION = "edudesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "people.roles.roles_context",
                "inbox.views.inbox_context",
                "badges.views.badges_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'edudesk.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the Celery worker write side by side; IMMEDIATE
    # transactions take the write lock up front instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory: the Celery worker a test starts must see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": "edudesk"}}
else:
    # A file cache is shared by the web and worker processes, unlike locmem.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# Celery: Redis in production; kombu's filesystem transport needs no server and
# still hands tasks to a separate worker process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # Without it kombu writes its exchange tables into the current directory.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        # kombu waits this long between looks at the queue folder; at its default (1 s) a
        # burst of tasks for many tickets drains at a few tasks a second.
        "polling_interval": env.float("CELERY_FILESYSTEM_POLLING_SECONDS", default=0.1),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "integrations.tasks.sweep_outbox",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=60.0),
    },
    "zendesk-incremental-sync": {
        "task": "integrations.zendesk.tasks.sync_incremental",
        "schedule": env.float("ZENDESK_SYNC_SECONDS", default=60.0),
    },
    "credly-sync": {
        "task": "integrations.credly.tasks.sync_badges",
        "schedule": env.float("CREDLY_SYNC_SECONDS", default=600.0),
    },
    "badges-reconciliation": {
        "task": "badges.tasks.reconcile_badges",
        "schedule": env.float("BADGES_RECONCILE_SECONDS", default=900.0),
    },
    "gmail-sync": {
        "task": "integrations.gmail.tasks.sync_incremental",
        "schedule": env.float("GMAIL_SYNC_SECONDS", default=60.0),
    },
    # Shifts planned ahead and weeks nobody covers flagged; reminders at a shift's first
    # opening; threads past their first-response time flagged during business hours.
    "inbox-plan-rotations": {"task": "inbox.tasks.plan_rotations", "schedule": 3600.0},
    "inbox-shift-reminders": {"task": "inbox.tasks.remind_shifts", "schedule": 900.0},
    "inbox-overdue": {"task": "inbox.tasks.flag_overdue", "schedule": 300.0},
    # Suggestions retrained from the desk's history; tickets and threads the syncs changed
    # (in bulk, without signals) get theirs recomputed.
    "suggestions-train": {"task": "suggestions.tasks.train",
                          "schedule": env.float("SUGGESTIONS_TRAIN_SECONDS", default=21600.0)},
    "suggestions-refresh": {"task": "suggestions.tasks.refresh",
                            "schedule": env.float("SUGGESTIONS_REFRESH_SECONDS", default=60.0)},
    # On the 1st, after midnight in the team's zone (07:15 UTC is 00:15 MST, 01:15 MDT): the
    # closed month's certification figures frozen, then the managers' Slack summaries.
    "reports-freeze-month": {"task": "reports.tasks.freeze_last_month",
                             "schedule": crontab(minute=15, hour=7, day_of_month=1)},
    "reports-monthly-summary": {"task": "reports.tasks.send_monthly_summaries",
                                "schedule": crontab(minute=30, hour=14, day_of_month=1)},
    # The reports' own figures (monthly badge counts, per-thread and per-ticket figures):
    # brought up to date each minute, worked out again nightly.
    "reports-refresh-counts": {"task": "reports.tasks.refresh_counts", "schedule": 60.0},
    "reports-rebuild-counts": {"task": "reports.tasks.rebuild_counts",
                               "schedule": crontab(minute=40, hour=9)},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Okta sign-in (OpenID Connect). OKTA_ISSUER_URL is the authorization server's issuer:
# https://acme.okta.com (the org server; OKTA_DOMAIN=acme.okta.com says the same), a custom
# server's https://acme.okta.com/oauth2/default, or a fake provider's http://127.0.0.1:port.
OKTA_DOMAIN = env.str("OKTA_DOMAIN", default="")
OKTA_ISSUER_URL = env.str("OKTA_ISSUER_URL",
                          default=f"https://{OKTA_DOMAIN}" if OKTA_DOMAIN else "").rstrip("/")
if PRODUCTION and OKTA_ISSUER_URL and not OKTA_ISSUER_URL.startswith("https://"):
    raise environ.ImproperlyConfigured("PRODUCTION=true needs an https:// OKTA_ISSUER_URL")
OIDC_RP_CLIENT_ID = env.str("OKTA_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OKTA_CLIENT_SECRET", default="")
if OKTA_ISSUER_URL and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise environ.ImproperlyConfigured("Okta sign-in needs OKTA_CLIENT_ID and OKTA_CLIENT_SECRET")
# The org server serves /oauth2/v1/...; a custom server (issuer .../oauth2/<id>) serves /v1/...
_okta_api = OKTA_ISSUER_URL + ("/v1" if "/oauth2/" in OKTA_ISSUER_URL else "/oauth2/v1")
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{_okta_api}/authorize"
OIDC_OP_TOKEN_ENDPOINT = f"{_okta_api}/token"
OIDC_OP_USER_ENDPOINT = f"{_okta_api}/userinfo"
OIDC_OP_JWKS_ENDPOINT = f"{_okta_api}/keys"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile groups"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10  # seconds; the library's default is to wait for Okta forever
LOGIN_REDIRECT_URL_FAILURE = "login"
AUTHENTICATION_BACKENDS = [
    # Username and password behind django-axes' lock; answers nothing when PASSWORD_LOGIN is off.
    "accounts.backends.PasswordBackend",
    # Answers only an Okta callback, and only when OKTA_ISSUER_URL is set.
    "edudesk.okta.OktaBackend",
]
if OKTA_ISSUER_URL:
    INSTALLED_APPS.append("mozilla_django_oidc")
    # Every 15 minutes a page load asks Okta (prompt=none) whether the person may still sign in.
    MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
                      "mozilla_django_oidc.middleware.SessionRefresh")
# The password login stays for the embedded mode and break-glass access; production with
# Okta switches it off unless PASSWORD_LOGIN=true says otherwise.
PASSWORD_LOGIN = env.bool("PASSWORD_LOGIN", default=not (PRODUCTION and OKTA_ISSUER_URL))
# Failed password sign-ins (sign-in page, admin login, POST /api/v1/auth/token/) lock the
# account and, separately, the address after LOGIN_FAILURE_LIMIT failures, for
# LOGIN_LOCKOUT_MINUTES (django-axes; both read at run time by accounts.lockout).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Reverse proxies in front of gunicorn that append to X-Forwarded-For; the client is the
# address the outermost of them saw. 0: REMOTE_ADDR (a client-sent header is never trusted).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = "accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_WHITELIST_CALLABLE = "accounts.lockout.is_not_a_password_attempt"
# An attempt refused by the lock is not counted again, so the lock ends on time for the
# person even while a script keeps trying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail
AXES_ENABLE_ADMIN = False  # accounts.admin lists the attempts for the admin role instead
# Sessions end after this long without the person doing anything (accounts.middleware).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=120)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Access requests: admins hear of them in this Slack channel; the requester hears by mail.
ACCESS_REQUEST_SLACK_CHANNEL = env.str("ACCESS_REQUEST_SLACK_CHANNEL",
                                       default="#edu_services_team")
# Mail: the console in the embedded mode, the local mail server in production (Django's own
# default); e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.com:587.
_mail = env.email_url("EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://")
_mail_options = {option: _mail[key] for option, key in (
    ("host", "EMAIL_HOST"), ("port", "EMAIL_PORT"), ("username", "EMAIL_HOST_USER"),
    ("password", "EMAIL_HOST_PASSWORD"), ("use_tls", "EMAIL_USE_TLS"),
    ("use_ssl", "EMAIL_USE_SSL")) if _mail.get(key)}
if _mail["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _mail_options["timeout"] = 10  # seconds; a hung mail server must not hold a worker
MAILERS = {"default": {"BACKEND": _mail["EMAIL_BACKEND"], "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="EduDesk <edudesk@localhost>")
# Okta group name -> EduDesk role, e.g. "edu-services=agent,edu-managers=manager".
OKTA_ROLE_GROUPS = env.dict("OKTA_ROLE_GROUPS", default={
    "edudesk-agents": "agent", "edudesk-ld-agents": "ld_agent",
    "edudesk-managers": "manager", "edudesk-admins": "admin"})
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tickets:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, serve static files straight from the apps (no collectstatic step).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request then gets 401 with WWW-Authenticate.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["people.roles.IsStaffRole"],
    "DEFAULT_SCHEMA_CLASS": "edudesk.api.DocumentedErrorsSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "edudesk.api.exception_handler",
    # Per address for anonymous requests, per person once signed in; rates below.
    "DEFAULT_THROTTLE_CLASSES": ["edudesk.throttles.AnonymousThrottle",
                                 "edudesk.throttles.PersonThrottle"],
    # The throttles' idea of an address: REMOTE_ADDR, or X-Forwarded-For as trusted proxies set it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PARSER_CLASSES": [
        "edudesk.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# API request rates (DRF's "number/second|minute|hour|day"), read at each request.
API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", default="60/minute")
API_THROTTLE_USER = env.str("API_THROTTLE_USER", default="1200/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "EduDesk API",
    "DESCRIPTION": "Agent console operations: views, tickets, replies, macros, routing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["people.roles.IsStaffRole"],
    # Swagger UI's assets come from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "SettableStatusEnum": "tickets.services.AGENT_SETTABLE_STATUSES",
    },
}

# Where the console says someone else is on a ticket: seconds a heartbeat counts.
PRESENCE_TTL_SECONDS = env.int("PRESENCE_TTL_SECONDS", default=30)
CONSOLE_PAGE_SIZE = env.int("CONSOLE_PAGE_SIZE", default=25)
# Where people open EduDesk, for links in Slack messages and mail.
EDUDESK_URL = env.str("EDUDESK_URL", default="http://127.0.0.1:8000")

# External systems. Empty URL = not configured (nothing is sent, rows wait in the outbox).
SLACK_API_URL = env.str("SLACK_API_URL", default="")
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
# Zendesk: the account's base URL (https://acme.zendesk.com, or a fake's) and either an
# agent's email + API token or an OAuth token. The rate budget is shared by all workers.
ZENDESK_URL = env.str("ZENDESK_URL", default="")
ZENDESK_EMAIL = env.str("ZENDESK_EMAIL", default="")
ZENDESK_API_TOKEN = env.str("ZENDESK_API_TOKEN", default="")
ZENDESK_OAUTH_TOKEN = env.str("ZENDESK_OAUTH_TOKEN", default="")
# Comma-separated: during a rotation both the new and the old secret are accepted.
ZENDESK_WEBHOOK_SECRET = env.list("ZENDESK_WEBHOOK_SECRET", default=[])
ZENDESK_RATE_LIMIT_PER_MINUTE = env.int("ZENDESK_RATE_LIMIT_PER_MINUTE", default=700)  # 0 = off
ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE = env.int("ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE",
                                                    default=10)
ZENDESK_RATE_WINDOW_SECONDS = env.float("ZENDESK_RATE_WINDOW_SECONDS", default=60.0)  # tests shrink it
ZENDESK_SYNC_SECONDS = env.float("ZENDESK_SYNC_SECONDS", default=60.0)
# Credly (badges): the Web Service API (https://api.credly.com, or a fake's URL), the
# organization, and its authorization token. Empty URL = not connected.
CREDLY_API_URL = env.str("CREDLY_API_URL", default="")
CREDLY_ORGANIZATION_ID = env.str("CREDLY_ORGANIZATION_ID", default="")
CREDLY_API_TOKEN = env.str("CREDLY_API_TOKEN", default="")
# Badges: a passing result with no badge on Credly this long after it arrived is listed by
# the reconciliation (every BADGES_RECONCILE_SECONDS) and posted to this Slack channel.
BADGES_RECONCILE_GRACE_MINUTES = env.int("BADGES_RECONCILE_GRACE_MINUTES", default=30)
BADGES_SLACK_CHANNEL = env.str("BADGES_SLACK_CHANNEL", default="#edu_services_team")
# Gmail (the LevelUp group's mail): the API (https://gmail.googleapis.com, or a fake's URL),
# the member mailbox the group's mail is read from, the group address replies are sent as,
# and an OAuth access token (google-auth credentials can supply it instead).
GMAIL_API_URL = env.str("GMAIL_API_URL", default="")
GMAIL_MAILBOX = env.str("GMAIL_MAILBOX", default="")
GMAIL_GROUP_ADDRESS = env.str("GMAIL_GROUP_ADDRESS", default="")
# One credential: a service account key file with domain-wide delegation (it acts as
# GMAIL_MAILBOX), an OAuth client's refresh token, or a fixed access token (tests, the demo).
GMAIL_SERVICE_ACCOUNT_FILE = env.str("GMAIL_SERVICE_ACCOUNT_FILE", default="")
GMAIL_CLIENT_ID = env.str("GMAIL_CLIENT_ID", default="")
GMAIL_CLIENT_SECRET = env.str("GMAIL_CLIENT_SECRET", default="")
GMAIL_REFRESH_TOKEN = env.str("GMAIL_REFRESH_TOKEN", default="")
GMAIL_OAUTH_TOKEN = env.str("GMAIL_OAUTH_TOKEN", default="")
GMAIL_TOKEN_URI = env.str("GMAIL_TOKEN_URI", default="")  # Google's unless set (the fake's)
GMAIL_GROUP_NAME = env.str("GMAIL_GROUP_NAME", default="LevelUp")  # the name in replies' From
GMAIL_SYNC_SECONDS = env.float("GMAIL_SYNC_SECONDS", default=60.0)

# What suggestions read text with: "tfidf" (the default, chosen by measurement: README,
# "Suggestions") or "minilm" (sentence embeddings; needs `make embeddings`, else TF-IDF and
# the model's metrics say why).
SUGGESTIONS_ENCODER = env.str("SUGGESTIONS_ENCODER", default="tfidf")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if PRODUCTION:
    if SECRET_KEY.startswith("embedded-mode-only"):
        raise environ.ImproperlyConfigured("PRODUCTION=true needs SECRET_KEY from the environment")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
