"""Test set-up; which PostgreSQL and Redis the suite uses is decided in dunwell/settings_test.py."""

import os
from pathlib import Path

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CHROMIUM_MISSING = "Chromium is not installed"


def pytest_addoption(parser):
    parser.addoption(
        "--benchmarks",
        action="store_true",
        help="run tests/bench against the generated data set (make bench)",
    )


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any(CHROMIUM_MISSING in str(report.longrepr) for report in skipped):
        terminalreporter.write_line(
            "Browser tests skipped: install Chromium with `apt-get install chromium` "
            "(or `.venv/bin/playwright install chromium`)."
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
