"""Issue 16, item 9: an import upload's size is checked while it streams in, not after the
whole file was spooled to memory or disk: the API's CSV imports, and this wave's bank files
(page and API) and CSV imports page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from accounts import roles
from accounts.uploads import ImportSizeLimit
from cash.models import BankImport, CsvImport
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


# --- this wave's uploads: bank files (page and API) and the CSV imports page -------------

REACHED: list[int] = []


class ReachedDjangosHandlers(FileUploadHandler):
    """Stands for Django's own upload handlers (memory, then a temporary file): counts the
    bytes that reach them."""

    def receive_data_chunk(self, raw_data, start):
        REACHED.append(len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def counted(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.hardening.test_import_upload_size.ReachedDjangosHandlers",
        *settings.FILE_UPLOAD_HANDLERS,
    ]
    REACHED.clear()
    return REACHED


def _finance_page() -> Client:
    client = Client()
    client.force_login(user_in_role(roles.FINANCE, "fiona"))
    return client


def _big(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.csv", b"x" * size, content_type="text/csv")


def test_the_bank_file_page_refuses_an_oversized_file_keeping_none_of_it(settings, counted):
    settings.CASH_IMPORT_MAX_BYTES = 1_000

    response = _finance_page().post("/cash/imports/", {"file": _big(200_000)})

    assert response.status_code == 400
    assert "the file is 200,000 bytes; at most 1,000 are accepted" in response.content.decode()
    assert counted == []
    assert BankImport.objects.count() == 0


def test_the_bank_file_api_refuses_an_oversized_file_keeping_none_of_it(settings, counted):
    settings.CASH_IMPORT_MAX_BYTES = 1_000
    client = APIClient()
    client.force_authenticate(user_in_role(roles.FINANCE, "fiona"))

    response = client.post(
        "/api/v1/cash/bank-imports/", {"file": _big(200_000)}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert "200,000 bytes" in response.json()["detail"]
    assert counted == []
    assert BankImport.objects.count() == 0


def test_the_csv_imports_page_refuses_an_oversized_file_keeping_none_of_it(settings, counted):
    settings.IMPORT_MAX_BYTES = 1_000

    response = _finance_page().post(
        "/cash/imports/csv/", {"kind": "invoices", "file": _big(200_000)}
    )

    assert response.status_code == 400
    assert "the file is 200,000 bytes; at most 1,000 are accepted" in response.content.decode()
    assert counted == []
    assert CsvImport.objects.count() == 0


def test_a_file_within_the_limit_reaches_the_csv_imports_page_whole(settings, counted):
    settings.IMPORT_MAX_BYTES = 1_000
    data = b"number,customer_ref,issue_date,due_date,amount,currency\r\n"

    response = _finance_page().post(
        "/cash/imports/csv/",
        {"kind": "invoices", "file": SimpleUploadedFile("ok.csv", data, content_type="text/csv")},
    )

    assert response.status_code == 302
    assert sum(counted) == len(data)
    assert CsvImport.objects.count() == 1


@pytest.mark.parametrize("url", ["/cash/imports/", "/cash/imports/csv/"])
def test_the_upload_pages_still_check_the_csrf_token(url, counted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_in_role(roles.FINANCE, "fiona"))

    response = client.post(url, {"kind": "invoices", "file": _big(10)})

    assert response.status_code == 403
    assert (BankImport.objects.count(), CsvImport.objects.count()) == (0, 0)
