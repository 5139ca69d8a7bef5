"""The shared shape of the ``import_*`` commands: a path in, counts or every error out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.csv_reading import ImportRejected, ImportResult


class CsvImportCommand(BaseCommand):
    """Exit 0 with the counts, or 1 after printing one line per error (nothing written)."""

    kind = ""
    importer: Callable[..., ImportResult]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help=f"the {self.kind} CSV file (UTF-8)")
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="the active user recorded in the audit trail as having made the changes",
        )

    def handle(self, *args, path: Path, actor: str | None = None, **options) -> None:
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user is called {actor!r}")
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            result = type(self).importer(path, actor=user)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(rejected.detail) from None
        self.stdout.write(str(result))
