"""One printable PDF per run: every letter sent by post, in customer order, each starting on
a fresh sheet so the print shop can fold and envelope them one by one."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from pypdf import PdfReader, PdfWriter

from .models import CommunicationStatus, DunningChannel, DunningCommunication, DunningRun


def print_file_build(run_id: int) -> str:
    letters = (
        DunningCommunication.objects.filter(
            run_id=run_id, channel=DunningChannel.LETTER, status=CommunicationStatus.SENT
        )
        .exclude(document="")
        .order_by("customer__name", "pk")
    )
    writer = PdfWriter()
    count = 0
    for letter in letters.iterator():
        with letter.document.open("rb") as handle:
            reader = PdfReader(io.BytesIO(handle.read()))
        for page in reader.pages:
            writer.add_page(page)
        if len(reader.pages) % 2:  # duplex printing: the next letter starts on a new sheet
            writer.add_blank_page()
        count += 1
    run = DunningRun.objects.get(pk=run_id)
    if not count:
        return ""
    buffer = io.BytesIO()
    writer.write(buffer)
    run.print_file.save(f"run-{run.pk}-letters.pdf", ContentFile(buffer.getvalue()), save=False)
    DunningRun.objects.filter(pk=run.pk).update(print_file=run.print_file.name)
    return run.print_file.name
