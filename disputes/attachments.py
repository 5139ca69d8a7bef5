"""What a dispute may carry: PDF, PNG, JPEG or an e-mail (.eml), at most 10 MB, the type
read from the first bytes of the file (a name says nothing), the name reduced to safe
characters with the extension of the type found."""

from __future__ import annotations

import os
import re
import unicodedata

from django.core.files.uploadedfile import UploadedFile

from accounts.errors import ServiceError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# RFC 5322 header names an e-mail starts with (after optional blank lines).
_EML_HEADER = re.compile(
    rb"^(?:\r?\n)*(?:Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|"
    rb"Delivered-To|Reply-To|Cc|X-[A-Za-z0-9-]+|DKIM-Signature|Content-Type):[ \t]",
    re.IGNORECASE,
)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the first bytes, or None for anything else."""
    if head.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if _EML_HEADER.match(head):
        # served only as a download (message/rfc822, nosniff): an HTML part inside is inert
        return "message/rfc822", "eml"
    return None


def safe_name(name: str, extension: str) -> str:
    """The base name only (no directories, no ``..``), ASCII letters, digits, dot, dash and
    underscore, at most 100 characters, with the extension of the type found."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = os.path.splitext(base)[0]
    stem = _SAFE.sub("_", stem).strip("._-")[:90] or "attachment"
    return f"{stem}.{extension}"


def checked_upload(upload: UploadedFile) -> tuple[str, str, int]:
    """(safe name, content type, size) of an acceptable upload; else a ServiceError."""
    size = upload.size or 0
    if size <= 0:
        raise ServiceError("the file is empty", field="file")
    if size > MAX_ATTACHMENT_BYTES:
        raise ServiceError("a file may be at most 10 MB", field="file", code="too_large")
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    found = sniff(head)
    if found is None:
        raise ServiceError(
            "attach a PDF, PNG, JPEG or e-mail (.eml) file", field="file", code="file_type"
        )
    content_type, extension = found
    return safe_name(upload.name, extension), content_type, size
