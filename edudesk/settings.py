"""EduDesk settings, read from the environment; every default is the embedded mode.

Embedded mode needs no server: SQLite under var/, Celery on kombu's filesystem
transport, a file cache. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("EDUDESK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "edudesk",
    "integrations",
    "tickets",
    "inbox",
    "badges",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

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
                "edudesk.roles.roles_context",
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
    for _sub in ("queue", "processed"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "deliver-pending-outbox": {
        "task": "integrations.tasks.deliver_pending",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=60.0),
    },
    "zendesk-incremental-sync": {
        "task": "integrations.zendesk.tasks.sync_incremental",
        "schedule": env.float("ZENDESK_SYNC_SECONDS", default=60.0),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Okta sign-in (OpenID Connect) when configured; the password login stays for the
# demo and for break-glass admin access.
OKTA_DOMAIN = env.str("OKTA_DOMAIN", default="")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if OKTA_DOMAIN:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(0, "edudesk.okta.OktaBackend")
    OIDC_RP_CLIENT_ID = env.str("OKTA_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env.str("OKTA_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_SCOPES = "openid email profile groups"
    OIDC_OP_AUTHORIZATION_ENDPOINT = f"https://{OKTA_DOMAIN}/oauth2/v1/authorize"
    OIDC_OP_TOKEN_ENDPOINT = f"https://{OKTA_DOMAIN}/oauth2/v1/token"
    OIDC_OP_USER_ENDPOINT = f"https://{OKTA_DOMAIN}/oauth2/v1/userinfo"
    OIDC_OP_JWKS_ENDPOINT = f"https://{OKTA_DOMAIN}/oauth2/v1/keys"
    MIDDLEWARE.append("mozilla_django_oidc.middleware.SessionRefresh")
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
STATIC_ROOT.mkdir(exist_ok=True)
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
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["edudesk.roles.IsStaffRole"],
    "DEFAULT_SCHEMA_CLASS": "edudesk.api.DocumentedErrorsSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "edudesk.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EduDesk API",
    "DESCRIPTION": "Agent console operations: views, tickets, replies, macros, routing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["edudesk.roles.IsStaffRole"],
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

# External systems. Empty URL = not configured (nothing is sent, rows wait in the outbox).
SLACK_API_URL = env.str("SLACK_API_URL", default="")
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
# Zendesk: the account's base URL (https://acme.zendesk.com, or a fake's) and either an
# agent's email + API token or an OAuth token. The rate budget is shared by all workers.
ZENDESK_URL = env.str("ZENDESK_URL", default="")
ZENDESK_EMAIL = env.str("ZENDESK_EMAIL", default="")
ZENDESK_API_TOKEN = env.str("ZENDESK_API_TOKEN", default="")
ZENDESK_OAUTH_TOKEN = env.str("ZENDESK_OAUTH_TOKEN", default="")
ZENDESK_WEBHOOK_SECRET = env.str("ZENDESK_WEBHOOK_SECRET", default="")
ZENDESK_RATE_LIMIT_PER_MINUTE = env.int("ZENDESK_RATE_LIMIT_PER_MINUTE", default=700)  # 0 = off
ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE = env.int("ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE",
                                                    default=10)
ZENDESK_RATE_WINDOW_SECONDS = env.float("ZENDESK_RATE_WINDOW_SECONDS", default=60.0)  # tests shrink it
ZENDESK_SYNC_SECONDS = env.float("ZENDESK_SYNC_SECONDS", default=60.0)

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
