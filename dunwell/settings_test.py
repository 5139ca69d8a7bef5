"""Settings for the test suite: PostgreSQL and Redis on this machine unless told otherwise.

With DATABASE_URL unset the suite uses PostgreSQL on TEST_POSTGRES_ADDRESS (127.0.0.1:5432)
or, when nothing answers there, the embedded server of ``make run`` in var/pgdata-test; with
CELERY_BROKER_URL unset, Redis on TEST_REDIS_ADDRESS (127.0.0.1:6379) or a private
redis-server on a free port (local_services.py). Chosen URLs go into the environment, so
the worker processes the tests start use the same services.
"""

import os
from pathlib import Path

from .local_services import answers, embedded_postgres_url, private_redis_url

if "DATABASE_URL" not in os.environ:
    postgres = os.environ.get("TEST_POSTGRES_ADDRESS", "127.0.0.1:5432")
    os.environ["DATABASE_URL"] = (
        f"postgres://postgres@{postgres}/dunwell_test"
        if answers(postgres)
        else embedded_postgres_url(Path(__file__).resolve().parent.parent / "var" / "pgdata-test")
    )
if "CELERY_BROKER_URL" not in os.environ:
    redis = os.environ.get("TEST_REDIS_ADDRESS", "127.0.0.1:6379")
    broker = f"redis://{redis}/15" if answers(redis) else private_redis_url()
    # No redis-server at all: the URL of the usual place, and the worker tests skip.
    os.environ["CELERY_BROKER_URL"] = broker or f"redis://{redis}/15"
os.environ.setdefault("CELERY_RESULT_BACKEND", os.environ["CELERY_BROKER_URL"])
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("MANIFEST_STATIC", "0")
# The suite runs with DEBUG off, where a placeholder key is refused (settings.py).
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret-" + "a1B2c3D4e5" * 4)

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
