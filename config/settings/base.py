"""Steward settings. Everything that differs between machines comes from the environment.

- ``DATABASE_URL``: unset means the embedded SQLite database at ``var/steward.sqlite3``;
  ``postgres://user@host:5432/name`` selects PostgreSQL (psycopg 3).
- ``STEWARD_SECRET_KEY``, ``STEWARD_DEBUG``, ``STEWARD_ALLOWED_HOSTS``: the usual Django knobs.
- ``STEWARD_TIME_ZONE``: the organisation's local time zone (default Europe/London).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("STEWARD_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("STEWARD_DEBUG", True)
SECRET_KEY = os.environ.get("STEWARD_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("STEWARD_SECRET_KEY must be set when STEWARD_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = [h for h in os.environ.get("STEWARD_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "steward.accounts",
    "steward.organisations",
    "steward.customers",
    "steward.needs",
    "steward.timeline",
    "steward.requests",
    "steward.handovers",
    "steward.agreements",
    "steward.transfers",
    "steward.alerts",
    "steward.consent",
    "steward.trusted",
    "steward.care",
    "steward.visits",
    "steward.notifications",
    "steward.console",
    "steward.portal",
    "steward.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "steward.portal.customer_time.CustomerTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]


def database_config() -> dict[str, object]:
    """SQLite by default (nothing to install); PostgreSQL when DATABASE_URL says so."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'steward.sqlite3'}"
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the worker sweep while the web process reads; IMMEDIATE transactions
        # take the write lock up front so concurrent writers queue instead of failing.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
        config["CONN_MAX_AGE"] = 0
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Argon2 first: new passwords, and old ones as their owners next sign in, are hashed
# with it. The others stay listed so hashes made before can still be checked (and are
# then upgraded); Django's default PBKDF2 is next.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Every sign-in with a password (the console and the admin) goes through the lockout
# check; see `steward.accounts.backends`.
AUTHENTICATION_BACKENDS = ["steward.accounts.backends.LockoutModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("STEWARD_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Files people attach to requests. MEDIA_ROOT is private: nothing serves it directly (no
# MEDIA_URL route); every download goes through a view that checks who is asking.
MEDIA_ROOT = Path(os.environ.get("STEWARD_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Swap the backend (say, an S3-compatible store) to keep attachments elsewhere.
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
}

LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:my-work"
LOGOUT_REDIRECT_URL = "console:login"

EMAIL_BACKEND = os.environ.get("STEWARD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("STEWARD_FROM_EMAIL", "Steward <no-reply@steward.local>")

# Background work: django-tasks with the database backend. `manage.py db_worker` runs
# queued tasks; `manage.py worker` runs the periodic sweeps (and can run tasks too).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("STEWARD_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Domain settings -----------------------------------------------------------------------
# A customer reply within this many days of resolution reopens the request; after it
# the sweep closes the request.
STEWARD_REOPEN_WINDOW_DAYS = int(os.environ.get("STEWARD_REOPEN_WINDOW_DAYS", "7"))
# The largest photo or document someone may attach to a request, in bytes (default 10 MB).
STEWARD_ATTACHMENT_MAX_BYTES = int(os.environ.get("STEWARD_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Uploads larger than this go to a temporary file rather than memory while they are checked.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# How long the scheduler may search when planning one day, in seconds (a run plans up to 7).
STEWARD_SCHEDULE_TIME_LIMIT_SECONDS = int(os.environ.get("STEWARD_SCHEDULE_TIME_LIMIT_SECONDS", "30"))
# Set to bound the search by work instead (same seed and data, same plan on any machine).
STEWARD_SCHEDULE_ITERATIONS = (
    int(os.environ["STEWARD_SCHEDULE_ITERATIONS"]) if os.environ.get("STEWARD_SCHEDULE_ITERATIONS") else None
)
# A visit nobody has checked in to this many minutes after its planned start (and after
# the end of the preferred window) is missed: its coordinator is alerted.
STEWARD_VISIT_GRACE_MINUTES = int(os.environ.get("STEWARD_VISIT_GRACE_MINUTES", "30"))
# How early before the planned start a carer may check in, in minutes.
STEWARD_VISIT_CHECK_IN_EARLY_MINUTES = int(os.environ.get("STEWARD_VISIT_CHECK_IN_EARLY_MINUTES", "60"))
# How often `manage.py worker` sweeps, in seconds.
STEWARD_SWEEP_INTERVAL_SECONDS = int(os.environ.get("STEWARD_SWEEP_INTERVAL_SECONDS", "60"))
# Failed sign-ins (counted in the database, so every web process sees the same count):
# this many failures for one username within the window lock that username for the
# lockout time; many more from one network address lock that address (someone trying
# many usernames). Unknown usernames are counted and locked the same way.
STEWARD_SIGN_IN_MAX_FAILURES = int(os.environ.get("STEWARD_SIGN_IN_MAX_FAILURES", "5"))
STEWARD_SIGN_IN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("STEWARD_SIGN_IN_MAX_FAILURES_PER_ADDRESS", "20"))
STEWARD_SIGN_IN_WINDOW_MINUTES = int(os.environ.get("STEWARD_SIGN_IN_WINDOW_MINUTES", "15"))
STEWARD_SIGN_IN_LOCKOUT_MINUTES = int(os.environ.get("STEWARD_SIGN_IN_LOCKOUT_MINUTES", "15"))
# API pagination bounds.
STEWARD_PAGE_SIZE = 25
STEWARD_MAX_PAGE_SIZE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("STEWARD_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
