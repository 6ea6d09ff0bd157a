"""Settings for the EDC, read from the environment (README.md, section Production).

Development and tests need no variable at all: with no DATABASE_URL / REDIS_URL the private
servers of trial/embedded.py are started. Production (EDC_ENV=production) refuses to start
without its secrets, naming the missing variable.
"""

import re
from pathlib import Path

import dj_database_url
import pghistory

from trial import env

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env.string("EDC_ENV", "development") == "production"

SECRET_KEY = env.string("SECRET_KEY", required=PRODUCTION) or "dev-only-not-secret-" + "x" * 40
# The key of the electronic signatures' HMAC (trial/signatures.py): a database edit cannot
# produce a valid signature without it. Its own secret in production, so that rotating
# SECRET_KEY (sessions) does not invalidate every signature; derived from SECRET_KEY elsewhere.
SIGNATURE_KEY = env.string("EDC_SIGNATURE_KEY", required=PRODUCTION) or (
    "derived-from-secret-key:" + SECRET_KEY
)
DEBUG = env.boolean("DEBUG", False)
ALLOWED_HOSTS = env.csv("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise env.MissingVariable("The environment variable ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env.csv("CSRF_TRUSTED_ORIGINS", [])
# The reverse proxies in front of gunicorn (IPs or CIDR networks). X-Forwarded-For is read only
# on requests coming from one of them (trial/middleware.py client_address); empty: never.
TRUSTED_PROXIES = env.networks("EDC_TRUSTED_PROXIES")

_database_url = env.string("DATABASE_URL", required=PRODUCTION)
if _database_url is None:
    from trial import embedded

    _database_url = embedded.postgres_url()
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
# Parallel test runs on one machine (several checkouts) each name their own test database.
DATABASES["default"]["TEST"] = {"NAME": env.string("EDC_TEST_DB", "test_edc")}

_redis_url = env.string("REDIS_URL", required=PRODUCTION)
if _redis_url is None:
    from trial import embedded

    _redis_url = embedded.redis_url()
REDIS_URL = _redis_url

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "trial",
    "eligibility",
    "dosing",
    "imaging",
    "followup",
    "submission",
    "oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "trial.middleware.NoNulInQueryStringMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "trial.middleware.UserLanguageMiddleware",
    "trial.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "trial.middleware.IdleTimeoutMiddleware",
    "trial.middleware.AccessStampMiddleware",
    "trial.middleware.SecondFactorMiddleware",
    "trial.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "trial.urls"
WSGI_APPLICATION = "trial.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trial.context_processors.user_roles",
                "trial.jobs.jobs_state",
                "dosing.labimport.context.lab_import_links",
            ],
        },
    }
]
# Django's form renderer with <input> widgets written in Python (same markup, much faster).
FORM_RENDERER = "trial.renderers.FastInputRenderer"

# Argon2id first; passwords stored with an older hasher are re-hashed at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# At least 12 characters, not a common password, not like the user name (or the names and
# e-mail), not all digits. Applied wherever a password is chosen (admin, password change).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The model backend, refusing accounts locked after repeated failed logins or signatures.
AUTHENTICATION_BACKENDS = ["trial.accounts.LockoutBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "participant_list"
LOGOUT_REDIRECT_URL = "login"
# A session's whole life (at most a working day), and the browser forgets it when closed.
SESSION_COOKIE_AGE = env.integer("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# It ends sooner after this long without activity (trial/middleware.py IdleTimeoutMiddleware);
# the page warns SESSION_IDLE_WARNING seconds before (static/edc.js).
SESSION_IDLE_TIMEOUT = env.integer("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_IDLE_WARNING = env.integer("SESSION_IDLE_WARNING", 2 * 60)
# A second factor (a TOTP authenticator app, django-otp): anyone may set one up on their
# profile; with EDC_REQUIRE_2FA on, investigators and data managers must (trial/accounts.py).
EDC_REQUIRE_2FA = env.boolean("EDC_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "EDC " + env.string("TRIAL_NUMBER", "NCT04837885")

LANGUAGE_CODE = env.string("LANGUAGE_CODE", "en")
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date style per language, the time zone named (trial/formats).
FORMAT_MODULE_PATH = ["trial.formats"]
TIME_ZONE = env.string("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Collected files exist only in production images; development serves the source folders.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development serves straight from the source folders; production serves the collected,
# hashed and compressed copies (collectstatic runs in the Dockerfile).
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The audit trail: event tables are append-only (UPDATE/DELETE refused by triggers).
PGHISTORY_APPEND_ONLY = True
# Events name their context, and every reader goes from the event to its context, never
# from a context to its events: an index of the events by context would only cost each
# audited write one more index entry.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=False)
# Every event row carries its action's context and the database's stamp (trial/models/trail.py).
PGHISTORY_BASE_MODEL = "trial.models.trail.Event"

# Kombu names the private Redis's socket redis+socket://PATH?virtual_host=N; redis-py, which
# the cache uses, wants unix://PATH?db=N.
_cache_redis_url = re.sub(
    r"^redis\+socket://([^?]+)\?virtual_host=(\d+)$", r"unix://\1?db=\2", REDIS_URL
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The progress of long downloads, which every web process must see (export_views.py).
    # Best effort: a page never fails because Redis is down.
    "progress": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _cache_redis_url,
        "TIMEOUT": 3600,
        "KEY_PREFIX": "edc",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web page that queues a job must not hang when Redis is down: fail fast, save anyway, and
# say that jobs are delayed (trial/jobs.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True

from celery.schedules import crontab  # noqa: E402

# The morning reminders: every day at REMINDER_HOUR o'clock, site time. Beat reads the hour
# in CELERY_TIMEZONE (the trial's time zone, Europe/Paris by default); the task works out
# each site's own date from its Site.time_zone.
REMINDER_HOUR = env.integer("REMINDER_HOUR", 7)
CELERY_BEAT_SCHEDULE = {
    "morning-reminders": {
        "task": "trial.tasks.send_reminders",
        "schedule": crontab(hour=REMINDER_HOUR, minute=0),
    },
    # The audit events queued by the saves, filed into the review ledger (trial/ledger.py):
    # every second, so that the ledger stays current between the reads that file it too.
    "file-review-ledger": {
        "task": "trial.tasks.file_review_ledger",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
    # Role assignments that start or end today bring the accounts' access along.
    "role-dates": {
        "task": "trial.tasks.apply_role_dates",
        "schedule": crontab(hour=0, minute=5),
    },
    # PDFs asked for while Redis was down are sent to the worker once it is back.
    "requeue-pdf-jobs": {"task": "trial.tasks.requeue_pdf_jobs", "schedule": 300.0},
    # SDTM packages asked for while Redis was down, likewise (submission/tasks.py).
    "requeue-package-jobs": {
        "task": "submission.tasks.requeue_package_jobs",
        "schedule": 300.0,
    },
    # DSMB reports, likewise (oversight/tasks.py).
    "requeue-report-jobs": {"task": "oversight.tasks.requeue_report_jobs", "schedule": 300.0},
}

# The kidney absorbed dose flagged on the dosimetry page (Gy, PROTOCOL.md section 5): the one
# place it is set. A decimal string, so 23.5 is kept as typed.
KIDNEY_DOSE_LIMIT_GY = env.string("EDC_KIDNEY_DOSE_LIMIT_GY", "23")

# The trial's registry number, printed on every PDF and reminder.
TRIAL_NUMBER = env.string("TRIAL_NUMBER", "NCT04837885")
# Risk-based oversight (the oversight page): each indicator's (amber, red) limits, the one
# place they are kept. A site's figure strictly above a limit takes its colour; the exact
# computed value is compared, never the rounded one shown. Sites are compared with these
# absolute limits, not with each other: with two sites a z-score cannot fire.
OVERSIGHT_THRESHOLDS = {
    "ae_rate": (1.0, 2.0),  # adverse events per participant-month
    "sae_delay": (24.0, 72.0),  # hours from awareness to "reported to the sponsor", median
    "lab_grade3": (5.0, 10.0),  # % of graded lab values at CTCAE grade 3 or more
    "old_queries": (0.0, 5.0),  # queries open for more than 30 days
    "entry_delay": (5.0, 10.0),  # days from visit to data entry, median
    "late_entries": (5.0, 15.0),  # forms entered more than 10 days after their visit
    "missed_visits": (5.0, 10.0),  # % of follow-up visits due that were missed
    "out_of_window": (10.0, 20.0),  # % of dated visits outside their window, confirmed
    "screen_failure": (30.0, 50.0),  # % of eligibility decisions that were screen failures
    "changes": (5.0, 10.0),  # item changes per 100 items entered
}

# The address the reminder e-mails link to.
SITE_URL = env.string("SITE_URL", "http://localhost:8000").rstrip("/")

# Where the accessibility statement sends a person who cannot use a page (trial/accessibility.py).
ACCESSIBILITY_CONTACT = env.string("ACCESSIBILITY_CONTACT", "accessibilite-edc@example.org")

EMAIL_URL = env.string("EMAIL_URL", "console://")
if EMAIL_URL.startswith("console"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    from urllib.parse import unquote, urlparse

    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 587
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme in {"smtp+tls", "submission"}
    EMAIL_USE_SSL = _email.scheme == "smtps"
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "edc@localhost")

DEMO_PASSWORD = env.string("DEMO_PASSWORD", "trial-demo-2026")

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
    # Secure cookies, bound to the exact host (the __Host- prefix: Secure, Path=/, no Domain).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the hospital's whole domain, which is not this application's
        # decision (README.md, Production): off is a choice, not an oversight.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_HTTPONLY = True
# Pages read the CSRF token from the form or the <meta name="csrf-token"> (static/edc.js),
# never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, fonts and images only from this
# server's own static files; no inline script or style, no eval (htmx is configured for it
# in base.html), no framing, forms post only here.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap's stylesheet draws checkboxes and select arrows as data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "WARNING")},
}
