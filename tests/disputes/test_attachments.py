"""Attachments: PDF, PNG, JPEG or .eml of at most 10 MB, the type read from the content,
the name made safe, stored through Django's storage API; comments are internal notes."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from disputes.attachments import MAX_ATTACHMENT_BYTES, safe_name
from disputes.models import DisputeAttachment, DisputeComment
from disputes.services import dispute_attachment_add, dispute_comment_add, dispute_open
from tests.collections_app.workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EML = b"From: ap@acme.example\r\nTo: credit@dunwell.local\r\nSubject: short delivery\r\n\r\nhi\r\n"
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.fixture
def dispute(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    alice = collector("alice")
    customer = account(alice)
    item = overdue_invoice(customer, "100.00", days_late=3)
    return alice, dispute_open(
        actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="damaged"
    )


@pytest.mark.parametrize(
    ("content", "name", "stored_name", "content_type"),
    [
        (PDF, "delivery note.PDF", "delivery_note.pdf", "application/pdf"),
        (PNG, "photo.png", "photo.png", "image/png"),
        (JPEG, "crate.jpeg", "crate.jpg", "image/jpeg"),
        (EML, "customer mail.eml", "customer_mail.eml", "message/rfc822"),
        (PDF, "scan.jpg", "scan.pdf", "application/pdf"),  # the content decides the type
    ],
)
def test_an_accepted_file_is_stored_with_its_type_from_its_content(
    dispute, content, name, stored_name, content_type
):
    alice, found = dispute

    attachment = dispute_attachment_add(
        actor=alice, dispute=found, upload=SimpleUploadedFile(name, content)
    )

    stored = DisputeAttachment.objects.get()
    assert (stored.name, stored.content_type, stored.size) == (
        stored_name,
        content_type,
        len(content),
    )
    assert stored.file.name.startswith(f"disputes/{found.pk}/")
    with default_storage.open(attachment.file.name, "rb") as handle:
        assert handle.read() == content
    assert AuditEntry.objects.get(action="dispute.attach").after["name"] == stored_name


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (HTML, "invoice.pdf", "file_type"),  # an HTML file renamed to .pdf
        (b"MZ\x90\x00" + b"\x00" * 60, "evil.pdf", "file_type"),
        (b"plain words", "notes.eml", "file_type"),
        (b"", "empty.pdf", "invalid"),
    ],
)
def test_a_file_of_another_type_is_refused_whatever_its_name(dispute, content, name, code):
    alice, found = dispute

    with pytest.raises(ServiceError) as refusal:
        dispute_attachment_add(actor=alice, dispute=found, upload=SimpleUploadedFile(name, content))

    assert (refusal.value.field, refusal.value.code) == ("file", code)
    assert DisputeAttachment.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dispute.attach").exists()


def test_a_file_over_10_mb_is_refused(dispute):
    alice, found = dispute
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF) + 1))

    with pytest.raises(ServiceError) as refusal:
        dispute_attachment_add(actor=alice, dispute=found, upload=upload)

    assert refusal.value.code == "too_large"
    assert DisputeAttachment.objects.count() == 0


def test_a_name_cannot_climb_out_of_the_disputes_folder(dispute):
    alice, found = dispute

    dispute_attachment_add(
        actor=alice, dispute=found, upload=SimpleUploadedFile("../../etc/passwd.pdf", PDF)
    )

    stored = DisputeAttachment.objects.get()
    assert stored.name == "passwd.pdf"
    assert ".." not in stored.file.name


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("..\\..\\boot.ini", "boot.pdf"),
        ("Réclamation été.pdf", "Reclamation_ete.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("...", "attachment.pdf"),
        ("a" * 300 + ".pdf", "a" * 90 + ".pdf"),
    ],
)
def test_names_are_made_safe(name, safe):
    assert safe_name(name, "pdf") == safe


def test_a_comment_is_kept_with_its_author_and_an_empty_one_is_refused(dispute):
    alice, found = dispute

    dispute_comment_add(actor=alice, dispute=found, body="  asked shipping for the POD  ")
    with pytest.raises(ServiceError):
        dispute_comment_add(actor=alice, dispute=found, body="   ")

    assert list(DisputeComment.objects.values_list("author", "body")) == [
        (alice.pk, "asked shipping for the POD")
    ]
