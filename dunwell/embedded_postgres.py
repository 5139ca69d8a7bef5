"""The quickstart's database: a PostgreSQL server embedded in the virtualenv (pgserver).

Used only when DATABASE_URL is unset, so ``make run`` needs no service. It is PostgreSQL,
not SQLite, because the queue score, aging and KPIs are computed in PostgreSQL SQL
(FILTER, DISTINCT ON, ON CONFLICT) — the quickstart runs the same code as production.
The server lives in ``var/pgdata``; it starts with the first process that needs it and
stops when the last one (a manage.py command) exits. Under ``make run`` the Procfile's
``db`` process (``python -m dunwell.embedded_postgres``) holds it and stops it when honcho
stops the rest: Ctrl-C (SIGINT to honcho, SIGTERM to each process) or SIGTERM. A process
killed without running its exit handlers leaves its pid in pgserver's list of handles;
dead pids are dropped before each start, so they never keep the server up.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

DATABASE_NAME = "dunwell"
HANDLES = ".handle_pids.json"

_servers: dict[Path, object] = {}


def _pgserver():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as missing:
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL (pgserver) is not installed: "
            "run `make install`, or set DATABASE_URL=postgres://user@host:5432/dunwell"
        ) from missing
    return pgserver


def _forget_dead_handles(pgdata: Path) -> None:
    """pgserver stops the server when the last process in its list exits; a pid left by a
    killed process would keep it up for ever."""
    import psutil
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import DiskList

    handles = DiskList(pgdata / HANDLES)
    with PostgresServer._lock:
        pids = handles.get()
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.put(alive)


def quickstart_database(pgdata: Path) -> dict:
    pgserver = _pgserver()
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _servers[pgdata] = server
    info = server.get_postmaster_info()
    # web, worker and beat start together: one of them creates the database
    with type(server)._lock:
        exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'dunwell';")
        if "(0 rows)" in exists:
            server.psql("CREATE DATABASE dunwell;")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir) if info.socket_dir else "127.0.0.1",
        "PORT": "" if info.socket_dir else str(info.port),
    }


def server_stop(pgdata: Path, *, timeout: float = 10) -> None:
    """Stop the server in ``pgdata`` now, whoever started it, and forget every handle:
    nothing of this run may hold it any longer. SIGINT is PostgreSQL's fast shutdown (open
    sessions are ended); the postmaster's pid is in ``postmaster.pid``, whichever system
    user pgserver runs it as."""
    import psutil
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import DiskList

    with PostgresServer._lock:
        try:
            pid = int((pgdata / "postmaster.pid").read_text().split()[0])
            postmaster = psutil.Process(pid)
            postmaster.send_signal(signal.SIGINT)
            postmaster.wait(timeout)
        except (FileNotFoundError, IndexError, ValueError, psutil.NoSuchProcess):
            pass  # not running
        DiskList(pgdata / HANDLES).put([])


def serve() -> None:
    """The Procfile's ``db`` process: start (or join) the quickstart's server, wait, and on
    SIGINT or SIGTERM stop it before exiting. With DATABASE_URL set there is nothing to
    hold, but the process still waits: honcho stops everything when one process ends."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dunwell.settings")
    from django.conf import settings

    settings.DATABASES  # noqa: B018 (reading the settings starts the embedded server)
    embedded = list(_servers)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    where = ", ".join(str(path) for path in embedded) or "DATABASE_URL (not embedded)"
    print(f"database: {where}; Ctrl-C stops it with the rest", flush=True)
    while not stop.wait(0.5):
        pass
    for pgdata in embedded:
        server_stop(pgdata)
        print(f"database: stopped {pgdata}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    # run as a script this file is __main__; the settings use the module's own copy (and its
    # list of servers), so serve from that one
    from dunwell.embedded_postgres import serve as serve_from_module

    serve_from_module()
