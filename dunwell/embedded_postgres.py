"""The quickstart's database: a PostgreSQL server embedded in the virtualenv (pgserver).

Used only when DATABASE_URL is unset, so ``make run`` needs no service. It is PostgreSQL,
not SQLite, because the queue score, aging and KPIs are computed in PostgreSQL SQL
(FILTER, DISTINCT ON, ON CONFLICT) — the quickstart runs the same code as production.
The server lives in ``var/pgdata``; it starts with the first process that needs it and
stops when the last one (web, worker, beat, a manage.py command) exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

DATABASE_NAME = "dunwell"


def quickstart_database(pgdata: Path) -> dict:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as missing:
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL (pgserver) is not installed: "
            "run `make install`, or set DATABASE_URL=postgres://user@host:5432/dunwell"
        ) from missing
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
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
