"""Settings read the environment, fail loudly in production, and match docker-compose.yml."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_VARS = {
    "EDC_ENV": "production",
    "SECRET_KEY": "a-long-production-secret-" + "k" * 40,
    "EDC_SIGNATURE_KEY": "a-long-signature-key-" + "s" * 40,
    "DATABASE_URL": "postgres://edc_app:pw@db.example.org:5432/edc",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "ALLOWED_HOSTS": "edc.example.org",
}


# The browser tests' conftest allows async-unsafe calls in this process; a deployment never does.
NOT_INHERITED = ("DJANGO_ALLOW_ASYNC_UNSAFE",)


def run_python(code: str, env_overrides: dict[str, str], drop: tuple[str, ...] = ()):
    env = {k: v for k, v in os.environ.items() if k not in drop + NOT_INHERITED}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "trial.settings"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_without_secret_key_fails_naming_the_variable():
    env = dict(PRODUCTION_VARS)
    del env["SECRET_KEY"]
    result = run_python("import django; django.setup()", env, drop=("SECRET_KEY",))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "must be set" in result.stderr


def test_production_without_signature_key_fails_naming_the_variable():
    env = dict(PRODUCTION_VARS)
    del env["EDC_SIGNATURE_KEY"]
    result = run_python("import django; django.setup()", env, drop=("EDC_SIGNATURE_KEY",))
    assert result.returncode != 0
    assert "EDC_SIGNATURE_KEY" in result.stderr
    assert "must be set" in result.stderr


def test_production_without_database_url_fails_naming_the_variable():
    env = dict(PRODUCTION_VARS)
    del env["DATABASE_URL"]
    result = run_python("import django; django.setup()", env, drop=("DATABASE_URL",))
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_debug_is_off_unless_set_and_time_zone_defaults_to_paris():
    code = "from django.conf import settings as s; print(s.DEBUG, s.TIME_ZONE)"
    result = run_python(code, PRODUCTION_VARS, drop=("DEBUG", "TIME_ZONE"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "Europe/Paris"]
    result = run_python(code, {**PRODUCTION_VARS, "DEBUG": "true"}, drop=("TIME_ZONE",))
    assert result.stdout.split()[0] == "True"


def test_settings_use_the_given_servers_and_start_nothing():
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL)"
    )
    result = run_python(code, PRODUCTION_VARS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["db.example.org", "redis://redis.example.org:6379/0"]


def check_deploy(overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_in_production():
    result = check_deploy(PRODUCTION_VARS)
    reported = set(re.findall(r"\(([a-z_]+\.[WE]\d+)\)", result.stdout + result.stderr))
    assert not reported, result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_hsts_preload_off_is_the_only_silenced_check_and_the_readme_says_why():
    code = "from django.conf import settings as s; print(s.SILENCED_SYSTEM_CHECKS)"
    assert run_python(code, PRODUCTION_VARS).stdout.strip() == "['security.W021']"
    preload = {**PRODUCTION_VARS, "SECURE_HSTS_PRELOAD": "true"}
    assert run_python(code, preload).stdout.strip() == "[]"
    assert check_deploy(preload).returncode == 0
    assert "`security.W021`" in (ROOT / "README.md").read_text()


def test_production_cookies_are_secure_host_only_and_http_only():
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_SSL_REDIRECT)"
    )
    result = run_python(code, PRODUCTION_VARS)
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
    ]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "trial", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "trial", "beat"]
    assert "CMD" in (ROOT / "Dockerfile").read_text()


def test_compose_sets_only_variables_the_settings_read_and_all_production_needs():
    import trial.settings  # noqa: F401 - populates env.READ
    from trial import env

    for name in ("web", "worker", "beat"):
        variables = set(compose()["services"][name]["environment"])
        unknown = variables - env.READ
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"
        assert {
            "EDC_ENV",
            "SECRET_KEY",
            "EDC_SIGNATURE_KEY",
            "DATABASE_URL",
            "REDIS_URL",
            "ALLOWED_HOSTS",
        } <= variables


def test_the_images_collectstatic_step_succeeds(tmp_path):
    """The Dockerfile's collectstatic, with its own environment (production, throwaway
    secrets), into a folder of the test's: the manifest storage follows every reference."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    env_line = re.search(r"^ENV (.+)$", dockerfile, re.M).group(1)
    step = re.search(
        r"^RUN ((?:[A-Z_]+=\S+\s+(?:\\\n\s*)?)+)python manage.py collectstatic", dockerfile, re.M
    )
    assert step, "the Dockerfile runs collectstatic"
    env = dict(re.findall(r"([A-Z_]+)=(\S+)", env_line + " " + step.group(1)))
    assert env["EDC_ENV"] == "production"
    code = (
        "import django; from django.conf import settings; django.setup(); "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
        # Compressing every file (brotli) is slow and cannot fail on a reference: skipped.
        "settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ['css', 'js', 'woff', 'woff2'];"
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    result = run_python(code, env, drop=tuple(PRODUCTION_VARS))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
