"""Issue 16, item 9: an import upload's size is checked while it streams in, not after the
whole file was spooled to memory or disk."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts import roles
from accounts.uploads import ImportSizeLimit
from invoices.models import Invoice
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db


def _handler(settings, limit: int) -> ImportSizeLimit:
    settings.IMPORT_MAX_BYTES = limit
    handler = ImportSizeLimit(RequestFactory().post("/"))
    handler.new_file("file", "big.csv", "text/csv", None)
    return handler


def test_bytes_past_the_limit_are_counted_but_not_kept(settings):
    handler = _handler(settings, 100)

    kept = [handler.receive_data_chunk(b"x" * 60, start) for start in (0, 60, 120)]
    refused = handler.file_complete(180)

    assert kept == [b"x" * 60, None, None]
    assert (refused.size, refused.read()) == (180, b"")


def test_reading_stops_far_past_the_limit(settings):
    handler = _handler(settings, 100)

    with pytest.raises(StopUpload) as stopped:
        for start in range(0, 10_000, 60):
            handler.receive_data_chunk(b"x" * 60, start)

    assert stopped.value.connection_reset
    assert start < 1_000


def test_a_file_within_the_limit_passes_through(settings):
    handler = _handler(settings, 100)

    assert handler.receive_data_chunk(b"x" * 100, 0) == b"x" * 100
    assert handler.file_complete(100) is None


@pytest.mark.parametrize("size", [5_000, 5_000_000])
def test_the_api_refuses_an_oversized_upload_naming_the_limit(settings, size):
    settings.IMPORT_MAX_BYTES = 1_000
    client = APIClient()
    client.force_authenticate(user_in_role(roles.FINANCE, "fiona"))
    data = b"number,customer\r\n" + b"x" * size

    response = client.post(
        "/api/v1/imports/invoices/",
        {"file": SimpleUploadedFile("big.csv", data, content_type="text/csv")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "more than the import limit of 1,000 bytes" in response.json()["detail"]
    assert Invoice.objects.count() == 0
