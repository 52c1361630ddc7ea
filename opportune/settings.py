"""Opportune settings: every value comes from the environment (see .env.example)."""

import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
import redis
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Django's generic classes (ModelAdmin[Comment], QuerySet[Lead]) subscriptable at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("OPPORTUNE_VAR_DIR", default=str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)
TESTING = env.bool("OPPORTUNE_TESTING", default="pytest" in sys.modules)
PRODUCTION = env.str("OPPORTUNE_ENV", default="development") == "production"
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"


def _secret_key() -> str:
    """SECRET_KEY from the environment; else, on one machine (`make run`), a random key made
    once into $OPPORTUNE_VAR_DIR/secret_key and kept there (sessions survive a restart). Tests
    use the fixed development key; production must set it (several nodes share one key): with
    the development key it refuses to start (the security section below)."""
    if key := env.str("SECRET_KEY", default=""):
        return str(key)
    if TESTING or PRODUCTION:
        return DEV_SECRET_KEY
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    try:  # O_EXCL: when two processes start at once, one writes it and both read the same key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        time.sleep(0.2)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(50) + "\n")
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
if TESTING:  # test users need no slow password hashing (PBKDF2 costs ~1 s per user)
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs (Swagger UI) from its own static files, not a CDN
    "django_htmx",
    "simple_history",
    "huey.contrib.djhuey",
    "axes",  # login throttling (the security section below)
    "opportune.core",
    "opportune.accounts",
    "opportune.masters",
    "opportune.notifications",
    "opportune.webhooks",
    "opportune.activities",
    "opportune.automation",
    "opportune.comms",
    "opportune.crm",
    "opportune.selling",
    "opportune.buying",
    "opportune.reports",
    "opportune.erpnext",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "opportune.core.middleware.ApiErrorsAsJsonMiddleware",
    "opportune.core.middleware.WritesInOneTransactionMiddleware",
    "opportune.core.middleware.CompanySettingsOncePerRequestMiddleware",
    "opportune.core.middleware.AuditDoorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # last: turns a login refused by the throttle into the login page with its message (429)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opportune.urls"
WSGI_APPLICATION = "opportune.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "opportune" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'opportune.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue instead of failing half-way with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a health check that costs no round trip (decision 0041)
        DATABASES["default"]["ENGINE"] = "opportune.core.postgresql"
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Server-side binding and prepared statements (psycopg 3): a statement run 5 times on a
    # connection is prepared, and planned no more (the kept statements of core/statements.py
    # send the same SQL text every time). On: measured in docs/decisions/0037 (GET one 2.8 ->
    # 1.7 ms in-process). Off behind a pooler that cannot keep prepared statements (PgBouncer
    # in transaction mode before 1.21 or without max_prepared_statements): docs/deploy.md.
    if env.bool("DB_SERVER_SIDE_BINDING", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {
                "server_side_binding": True,
                "prepare_threshold": env.int("DB_PREPARE_THRESHOLD", default=5),
            }
        )
    # The planner's cost of a page read at random, for the session (decision 0044): the
    # server's default (4) is a spinning disk's; on an SSD or a database in memory, 1.1 lets
    # the list's subqueries (a currency's precision) probe a key instead of scanning a small
    # table once per row. "" leaves the server's setting (behind PgBouncer, which refuses
    # startup options: set it on the database instead, docs/deploy.md).
    if page_cost := env.str("DB_RANDOM_PAGE_COST", default="1.1"):
        DATABASES["default"].setdefault("OPTIONS", {})
        options = DATABASES["default"]["OPTIONS"].get("options", "")
        DATABASES["default"]["OPTIONS"]["options"] = (
            f"{options} -c random_page_cost={float(page_cost)}".strip()
        )
# PostgreSQL's work_mem for a report's own transaction (reports/registry.py): its sorts stay in
# memory ("" leaves the server's setting)
REPORT_WORK_MEM = env.str("REPORT_WORK_MEM", default="32MB")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "opportune.accounts.backends.LoginThrottle",  # first: refuses a locked-out login (axes)
    # Django's ModelBackend, the session's user and roles read in one kept statement
    "opportune.accounts.backends.Users",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- security -------------------------------------------------------------------------------
# Production (OPPORTUNE_ENV=production) turns on HTTPS-only cookies, the redirect to HTTPS and
# HSTS, and refuses to start without a real SECRET_KEY; each can still be set one by one.
# `make run` and the tests are development: plain http://127.0.0.1 works. docs/deploy.md.
if PRODUCTION and (DEBUG or SECRET_KEY.startswith("dev-only-") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "OPPORTUNE_ENV=production needs DEBUG off and SECRET_KEY set to a long random value."
    )
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
# Behind a proxy that terminates TLS: the header it sets, e.g. "HTTP_X_FORWARDED_PROTO,https".
if _proxy_ssl := env.tuple("SECURE_PROXY_SSL_HEADER", default=()):
    SECURE_PROXY_SSL_HEADER = (_proxy_ssl[0], _proxy_ssl[1])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content security policy (django-csp): only the app's own scripts and styles, no inline script
# or style attribute, no eval. It holds on every page, the admin's and ninja's API docs
# (Swagger UI loads its scripts as files) included; tests_browser/test_content_security_policy.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed sign-ins for one username, or
# from one address, both are refused for LOGIN_LOCKOUT_MINUTES (counted again from each refused
# try); a successful sign-in clears the count. The admin's login is the same door.
AXES_ENABLED = env.bool("LOGIN_THROTTLE", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "opportune.accounts.views.locked_out"
AXES_VERBOSE = False
# Behind reverse proxies: how many stand in front (the client's address is then the one they
# appended to X-Forwarded-For); 0: the connection's own address (REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "opportune.accounts.backends.client_address"

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "opportune" / "static"]
# Production (`make run`, docs/deploy.md): files collected into STATIC_ROOT with hashed names,
# compressed, served by WhiteNoise with a year's cache. Tests and DEBUG: the plain storage, files
# found where they are (no collectstatic needed).
STATIC_MANIFEST = not (DEBUG or TESTING) and env.bool("STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "opportune.core.staticfiles.CompressedManifestStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # pages ask for hashed names only ({% static %})
# Uploaded and received files (email attachments): never served as static files; the app
# hands them out after its permission checks.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# --- compiled statements (core/statements.py, decision 0037) -----------------------------------
# Tests compile every kept statement again on each call and fail when its SQL differs: a key
# that misses what the SQL depends on is found by the suite, not by a user.
STATEMENTS_VERIFY = env.bool("STATEMENTS_VERIFY", default=TESTING)

# --- master data kept per process (core/master_cache.py, decision 0047) -------------------------
# The rows of master data every write reads (settings, rules, currencies, stages, items...) are
# kept in each process until a table of them changes (PostgreSQL: LISTEN/NOTIFY; SQLite: PRAGMA
# data_version). Off behind a pooler that cannot keep a LISTEN (PgBouncer in transaction mode).
MASTER_CACHE = env.bool("MASTER_CACHE", default=True)

# --- audit trail ----------------------------------------------------------------------------
# History records are never edited: the admin's history pages show them, without "revert".
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- email ----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="opportune@localhost")

# --- background jobs ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Tests run tasks in-process unless they ask for the real queue (the Redis job-queue tests).
HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default=TESTING)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env.str("HUEY_NAME", default="opportune"),
        # Fail fast when Redis is unreachable: the job stays in the ledger (core.jobs) for the
        # sweeper, and a request that queued it is not held for the system's TCP timeout.
        # (The socket timeout must exceed the 1 s of a consumer's blocking read.)
        "connection_pool": redis.ConnectionPool.from_url(
            REDIS_URL, socket_connect_timeout=2, socket_timeout=5
        ),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "opportune.core.queue.SqliteQueue",  # WAL, synchronous=NORMAL
        "name": "opportune",
        "filename": env.str("HUEY_SQLITE_PATH", default=str(VAR_DIR / "huey.sqlite3")),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
    }
# The worker writes a heartbeat this often; /healthz calls it down after three missed beats.
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=60)
# The durable job ledger (core.jobs): how long a worker's claim on a job lasts before the sweeper
# hands the job to another worker (longer than the slowest job), how many attempts a job gets,
# the first retry's delay (doubled at each attempt, at most an hour), how long a job may wait
# before /healthz says down, and how many days finished jobs are kept.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=300)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=5)
JOB_RETRY_SECONDS = env.int("JOB_RETRY_SECONDS", default=30)
JOB_MAX_WAIT_SECONDS = env.int("JOB_MAX_WAIT_SECONDS", default=600)
JOB_KEEP_DAYS = env.int("JOB_KEEP_DAYS", default=7)

# --- webhooks (docs/decisions/0024-webhooks.md) -------------------------------------------------
# Deliveries to private, loopback, link-local or reserved addresses are refused unless this is on
# (a webhook to a service on the same network; the tests' local receiver).
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
# Seconds a receiver has to connect and answer; attempts per delivery before it is Failed; the
# first retry's delay in seconds (doubled at each attempt, at most an hour).
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)
WEBHOOKS_RETRY_SECONDS = env.int("WEBHOOKS_RETRY_SECONDS", default=60)
# Seconds each process keeps the list of enabled webhooks (a write costs no query for it): a
# webhook added or changed in one process reaches the others' events after at most this long.
WEBHOOKS_SUBSCRIPTIONS_TTL = env.int("WEBHOOKS_SUBSCRIPTIONS_TTL", default=3600 if TESTING else 10)

# --- API ------------------------------------------------------------------------------------
API_MAX_PAGE_SIZE = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # run_huey adds its own handler to a "huey" logger without one: log once, not twice
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "weasyprint": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failed sign-ins and lockouts, not every check
        "fontTools": {"level": "WARNING"},
    },
}
