"""Test settings: PostgreSQL from DATABASE_URL (default: the local dunwell_test database)."""

import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dunwell_test")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def pytest_addoption(parser):
    parser.addoption(
        "--benchmarks",
        action="store_true",
        help="run tests/bench against the generated data set (make bench)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--benchmarks"):
        return
    skip = pytest.mark.skip(reason="benchmark: run with make bench")
    for item in items:
        if "tests/bench/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)


@pytest.fixture
def shared_data():
    """The read-only third-party files beside the checkout; skip when they are absent."""
    folder = SHARED / "data"
    if not folder.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return folder


@pytest.fixture(autouse=True)
def _no_login_lockouts(settings):
    settings.AXES_ENABLED = False
