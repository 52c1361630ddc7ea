"""Opportune settings: every value comes from the environment (see .env.example)."""

import sys
from pathlib import Path

import django_stubs_ext
import environ

# Django's generic classes (ModelAdmin[Comment], QuerySet[Lead]) subscriptable at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("OPPORTUNE_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
TESTING = env.bool("OPPORTUNE_TESTING", default="pytest" in sys.modules)
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
    "opportune.core",
    "opportune.accounts",
    "opportune.masters",
    "opportune.automation",
    "opportune.crm",
    "opportune.selling",
    "opportune.buying",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "opportune.core.middleware.ApiErrorsAsJsonMiddleware",
    "opportune.core.middleware.CompanySettingsOncePerRequestMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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
VAR_DIR.mkdir(parents=True, exist_ok=True)
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
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "opportune" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING or not env.bool("STATIC_MANIFEST", default=False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

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
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "opportune",
        "filename": env.str("HUEY_SQLITE_PATH", default=str(VAR_DIR / "huey.sqlite3")),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
    }
# The worker writes a heartbeat this often; /healthz calls it down after three missed beats.
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=60)

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
        "fontTools": {"level": "WARNING"},
    },
}
