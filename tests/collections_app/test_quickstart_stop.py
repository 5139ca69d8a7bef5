"""`make run`'s processes (the Procfile under honcho) stop on Ctrl-C, the embedded
PostgreSQL with them: nothing is left holding the data directory.

The quickstart runs for real here, in a data directory and on a port of its own: the `db`
process starts the embedded server, web, worker and beat join it; SIGINT goes to honcho as
Ctrl-C sends it."""

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pgserver") is None or not (VENV_BIN / "honcho").exists(),
    reason="the quickstart needs pgserver and honcho (make install)",
)

# Beat reads its schedule from django_celery_beat's tables; only those are made here (the
# whole schema takes longer than this test may), without the post-migrate hooks, which
# read the workflow's tables.
BEAT_TABLES = """
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dunwell.settings")
django.setup()
from django.core.management import call_command
from django.db.models.signals import post_migrate
post_migrate.receivers.clear()
call_command("migrate", "django_celery_beat", interactive=False, verbosity=0)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _quickstart_env(var_dir: Path, port: int) -> dict[str, str]:
    settings_variables = {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in settings_variables}
    return {
        **env,
        "DEBUG": "1",
        "DUNWELL_VAR_DIR": str(var_dir),
        "DUNWELL_PORT": str(port),
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }


def _servers_on(pgdata: Path) -> list[int]:
    """Processes running a PostgreSQL server on ``pgdata``."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if any(part.endswith("postgres") for part in cmdline[:1]) and str(pgdata) in cmdline:
            found.append(process.info["pid"])
    return found


def _wait_for(condition, *, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {seconds} s; honcho said:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@pytest.fixture
def var_dir():
    # not pytest's tmp_path: other pytest runs on the machine prune those while this runs
    folder = Path(tempfile.mkdtemp(prefix="dunwell-quickstart-"))
    yield folder
    from dunwell.embedded_postgres import server_stop

    server_stop(folder / "pgdata")  # a failed test leaves no server behind
    shutil.rmtree(folder, ignore_errors=True)


def test_ctrl_c_on_make_run_stops_the_embedded_postgresql_with_the_rest(var_dir):
    pgdata = var_dir / "pgdata"
    port = _free_port()
    env = _quickstart_env(var_dir, port)
    subprocess.run([sys.executable, "-c", BEAT_TABLES], cwd=ROOT, env=env, check=True)
    log = var_dir / "honcho.log"
    with log.open("w") as out:
        honcho = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "start", "-f", "Procfile"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: _answers(port), seconds=40, what="the web server", log=log)
        _wait_for(
            lambda: "beat: Starting" in log.read_text() and "Connected to" in log.read_text(),
            seconds=30,
            what="beat and the worker",
            log=log,
        )
        assert _servers_on(pgdata), "no PostgreSQL on the quickstart's data directory"
        assert " stopped" not in log.read_text(), log.read_text()[-3000:]

        honcho.send_signal(signal.SIGINT)

        honcho.wait(timeout=20)
        _wait_for(
            lambda: not _servers_on(pgdata) and not (pgdata / "postmaster.pid").exists(),
            seconds=5,
            what="the embedded PostgreSQL stopping",
            log=log,
        )
    finally:
        if honcho.poll() is None:
            honcho.kill()
            honcho.wait()
    said = log.read_text()
    assert f"database: stopped {pgdata}" in said
    assert "db.1 stopped (rc=0)" in said
