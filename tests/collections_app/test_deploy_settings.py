"""Production settings come from the environment and pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x9Qe7!vR2#mL5@tB8$wZ1%nC4^hJ6&fD0*gS3(yU" * 2,
    "ALLOWED_HOSTS": "ar.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "TIME_ZONE": "Europe/London",
    "REPORTING_CURRENCY": "GBP",
}


SETTINGS_VARIABLES = {
    *PRODUCTION_ENV,
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "MANIFEST_STATIC",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py with exactly the given settings variables, none of the test suite's."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_at_warning_level():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_settings_are_read_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.TIME_ZONE, s.REPORTING_CURRENCY, "
        "s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.SESSION_COOKIE_SECURE)"
    )
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "False ['ar.example.com'] Europe/London GBP "
        "django.db.backends.postgresql redis://127.0.0.1:6379/0 True"
    )


def test_without_a_database_url_the_quickstart_uses_embedded_postgres_and_a_filesystem_broker():
    code = (
        "from django.conf import settings as s; from django.db import connection as c; "
        "c.ensure_connection(); "
        "print(c.vendor, s.DATABASES['default']['HOST'].endswith('var/pgdata'), "
        "s.CELERY_BROKER_URL)"
    )
    result = _manage("shell", "-c", code, env={"DEBUG": "1"})  # as `make run` starts it
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "postgresql True filesystem://"
