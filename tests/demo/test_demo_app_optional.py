"""The demo-data generators are an app of their own that production may leave out
(DEMO_APP=0): the site then starts and checks clean without them, and their commands are gone.
Run in a process of its own, as settings are read once per process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import django
from django.apps import apps
from django.core.management import call_command, get_commands
django.setup()
call_command("check", fail_level="ERROR")
print(apps.is_installed("demo"), "seed_demo" in get_commands(), "generate_data" in get_commands())
"""


@pytest.mark.parametrize(
    ("demo_app", "expected"), [("0", "False False False"), ("1", "True True True")]
)
def test_production_settings_may_leave_the_demo_app_out(demo_app, expected):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "dunwell.settings_test", "DEMO_APP": demo_app},
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split("\n")[-2] == expected
