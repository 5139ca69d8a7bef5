"""Letters for the print-file tests and bench: small PDFs with a line of text on each page,
and sent letter communications of a run pointing at them."""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from dunning.models import (
    CommunicationStatus,
    DunningChannel,
    DunningCommunication,
    DunningLevel,
    DunningRun,
)


def letter_pdf(text: str, *, pages: int = 1) -> bytes:
    """A PDF of ``pages`` A4 pages, page n reading "<text> page n" in Helvetica."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for number in range(1, pages + 1):
        content = f"BT /F1 12 Tf 72 770 Td ({text} page {number}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects))
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def sent_letter(run: DunningRun, customer, pdf: bytes | str, **fields) -> DunningCommunication:
    """A letter of the run, sent, whose document is ``pdf`` (bytes, or a stored file's name);
    ``fields`` override (``status=``, ``channel=``)."""
    if isinstance(pdf, bytes):
        pdf = default_storage.save(f"dunning/documents/{uuid.uuid4().hex}.pdf", ContentFile(pdf))
    return DunningCommunication.objects.create(
        **{**_letter_fields(run, customer, pdf, _letter_level()), **fields}
    )


def sent_letters_bulk(run: DunningRun, customers, document: str) -> None:
    """Many sent letters of the run sharing one stored document (for the bench)."""
    level = _letter_level()
    DunningCommunication.objects.bulk_create(
        (DunningCommunication(**_letter_fields(run, c, document, level)) for c in customers),
        batch_size=2000,
    )


def _letter_level() -> int:
    letters = DunningLevel.objects.filter(channel=DunningChannel.LETTER)
    return letters.values_list("pk", flat=True).first()


def _letter_fields(run: DunningRun, customer, document: str, level_id: int) -> dict:
    return {
        "run": run,
        "customer": customer,
        "level_id": level_id,
        "key": f"print-{run.pk}-{customer.pk}",
        "channel": DunningChannel.LETTER,
        "status": CommunicationStatus.SENT,
        "document": document,
        "sent_at": timezone.now(),
    }
