"""The printable letters of a run: every letter sent by post, in customer order, each starting
on a fresh sheet so the print shop can fold and envelope them one by one.

pypdf holds every page it merges in memory (2.26 GB for 10,000 letters in one file), so the
letters are merged in parts of ``LETTERS_PER_PART`` written to disk one at a time. A run that
fits in one part prints as one PDF; a larger one as a ZIP of numbered parts
(``run-7-letters-part-01-of-20.pdf``, ...) that print in order, each a print job of its own.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from django.core.files import File
from pypdf import PdfReader, PdfWriter

from accounts.csv_reading import batched

from .models import CommunicationStatus, DunningChannel, DunningCommunication, DunningRun

LETTERS_PER_PART = 500


def print_file_build(run_id: int, *, letters_per_part: int = LETTERS_PER_PART) -> str:
    letters = (
        DunningCommunication.objects.filter(
            run_id=run_id, channel=DunningChannel.LETTER, status=CommunicationStatus.SENT
        )
        .exclude(document="")
        .order_by("customer__name", "pk")
        .only("pk", "document")
    )
    run = DunningRun.objects.get(pk=run_id)
    with tempfile.TemporaryDirectory(prefix=f"dunning-print-{run_id}-") as folder:
        parts = []
        for number, chunk in enumerate(batched(letters.iterator(), letters_per_part), start=1):
            part = Path(folder) / f"part-{number}.pdf"
            _part_write(chunk, part)
            parts.append(part)
        if not parts:
            return ""
        if len(parts) == 1:
            printable, name = parts[0], f"run-{run.pk}-letters.pdf"
        else:
            printable, name = Path(folder) / "parts.zip", f"run-{run.pk}-letters.zip"
            _zip_write(parts, printable, stem=f"run-{run.pk}-letters")
        with printable.open("rb") as handle:
            run.print_file.save(name, File(handle), save=False)
    DunningRun.objects.filter(pk=run.pk).update(print_file=run.print_file.name)
    return run.print_file.name


def _part_write(letters: list[DunningCommunication], path: Path) -> None:
    writer = PdfWriter()
    for letter in letters:
        with letter.document.open("rb") as handle:
            reader = PdfReader(handle)
            for page in reader.pages:
                writer.add_page(page)
            if len(reader.pages) % 2:  # duplex printing: the next letter starts on a new sheet
                writer.add_blank_page()
    with path.open("wb") as out:
        writer.write(out)


def _zip_write(parts: list[Path], path: Path, *, stem: str) -> None:
    width = len(str(len(parts)))
    # Stored, not deflated: the PDFs' streams are compressed already.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, part in enumerate(parts, start=1):
            name = f"{stem}-part-{number:0{width}d}-of-{len(parts):0{width}d}.pdf"
            archive.write(part, arcname=name)
