import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry, Customer
from invoices.models import Application, IdempotencyKey, Invoice, Payment
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/imports/customers/"
INVOICES = "/api/v1/imports/invoices/"
PAYMENTS = "/api/v1/imports/payments/"
INVOICES_CSV = (
    "invoice_number,customer_ref,issue_date,due_date,amount,currency\n"
    "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD\n"
)


def record_counts() -> dict[str, int]:
    models = [Customer, Invoice, Payment, Application, AuditEntry]
    return {model.__name__: model.objects.count() for model in models}


def client_for(role: str, username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(user_in_role(role, username))
    return client


def upload(client: APIClient, url: str, content: str | bytes, **headers):
    data = content.encode() if isinstance(content, str) else content
    file = SimpleUploadedFile("import.csv", data, content_type="text/csv")
    return client.post(url, {"file": file}, format="multipart", **headers)


def test_finance_imports_customers_by_uploading_a_csv():
    client = client_for(roles.FINANCE, "fiona")

    response = upload(client, CUSTOMERS, "\ufeffexternal_ref,name,currency\nACME,Acme,EUR\n")

    assert response.status_code == 200
    assert response.json() == {
        "kind": "customers",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "summary": "customers: 1 created, 0 updated, 0 unchanged",
    }
    assert Customer.objects.get(external_ref="ACME").currency_id == "EUR"
    assert list(AuditEntry.objects.values_list("action", "actor__username")) == [
        ("customer.create", "fiona")
    ]


def test_payments_upload_applies_each_payment_to_its_invoice():
    client = client_for(roles.FINANCE, "fiona")
    inv = invoice(CustomerFactory(external_ref="ACME"), "10.00", number="INV-1")

    response = upload(
        client,
        PAYMENTS,
        "reference,customer_ref,received_date,amount,currency,invoice_number\n"
        "PAY-1,ACME,2026-03-05,10.00,USD,INV-1\n",
    )

    assert response.status_code == 200
    assert response.json()["summary"] == "payments: 1 created, 0 updated, 0 unchanged"
    inv.refresh_from_db()
    assert str(inv.open_amount) == "0.00"


def test_a_bad_upload_returns_400_with_every_error_and_writes_nothing():
    client = client_for(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME")
    before = record_counts()

    response = upload(
        client,
        INVOICES,
        "invoice_number,customer_ref,issue_date,due_date,amount,currency\n"
        "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD\n"
        "INV-2,ACME,31/03/2026,2026-03-31,10.00,USD\n"
        "INV-3,NOBODY,2026-03-01,2026-03-31,abc,USD\n",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "nothing was imported: the file has 3 errors; fix them and import the whole "
        "file again",
        "errors": [
            {
                "row": 3,
                "column": "issue_date",
                "reason": "'31/03/2026' is not a date as YYYY-MM-DD, e.g. 2026-03-31",
            },
            {
                "row": 4,
                "column": "amount",
                "reason": "'abc' is not an amount; write digits with a dot before the cents, "
                "e.g. 1234.50, without currency signs or thousands separators",
            },
            {
                "row": 4,
                "column": "customer_ref",
                "reason": "unknown customer 'NOBODY' (import the customers file first)",
            },
        ],
    }
    assert record_counts() == before


def test_a_latin1_upload_is_refused_naming_the_line():
    client = client_for(roles.FINANCE, "fiona")

    response = upload(
        client, CUSTOMERS, "external_ref,name,currency\nA1,Café,EUR\n".encode("latin-1")
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 2,
            "column": None,
            "reason": "line 2 is not UTF-8 text: byte 0xE9 after 'A1,Caf' (the file is probably "
            "Latin-1 or Windows-1252); save the file as UTF-8 (in Excel: Save As > 'CSV UTF-8 "
            "(Comma delimited)') and import it again",
        }
    ]
    assert Customer.objects.count() == 0


def test_an_upload_without_the_file_field_is_refused():
    client = client_for(roles.FINANCE, "fiona")

    response = client.post(INVOICES, {"upload": "x"}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "nothing was imported: send the CSV file as the multipart form field 'file'",
        "errors": [
            {
                "row": None,
                "column": None,
                "reason": "send the CSV file as the multipart form field 'file'",
            }
        ],
    }


def test_an_upload_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 50
    client = client_for(roles.FINANCE, "fiona")

    response = upload(client, INVOICES, INVOICES_CSV)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"nothing was imported: the file is {len(INVOICES_CSV)} bytes, more than the import "
        "limit of 50 bytes "
        "(IMPORT_MAX_BYTES); split it into smaller files"
    )


@pytest.mark.parametrize("url", [CUSTOMERS, INVOICES, PAYMENTS])
def test_a_collector_may_not_import(url):
    client = client_for(roles.COLLECTOR, "colin")
    CustomerFactory(external_ref="ACME")
    before = record_counts()

    response = upload(client, url, INVOICES_CSV)

    assert response.status_code == 403
    assert record_counts() == before


def test_an_idempotency_key_replay_returns_the_first_counts_and_creates_nothing():
    client = client_for(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME")
    first = upload(client, INVOICES, INVOICES_CSV, HTTP_IDEMPOTENCY_KEY="batch-2026-03-01")
    after_first = record_counts()

    replay = upload(client, INVOICES, INVOICES_CSV, HTTP_IDEMPOTENCY_KEY="batch-2026-03-01")

    assert first.status_code == 200
    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (
        200,
        first.json(),
        "true",
    )
    assert first.json()["summary"] == "invoices: 1 created, 0 updated, 0 unchanged"
    assert record_counts() == after_first
    assert after_first["Invoice"] == 1


def test_an_idempotency_key_reused_for_another_file_is_refused():
    client = client_for(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME")
    upload(client, INVOICES, INVOICES_CSV, HTTP_IDEMPOTENCY_KEY="k1")

    response = upload(
        client, INVOICES, INVOICES_CSV.replace("INV-1", "INV-2"), HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 422
    assert list(Invoice.objects.values_list("number", flat=True)) == ["INV-1"]


def test_a_refused_upload_keeps_its_idempotency_key_free_for_the_corrected_file():
    client = client_for(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME")
    refused = upload(
        client, INVOICES, INVOICES_CSV.replace("10.00", "-1"), HTTP_IDEMPOTENCY_KEY="k2"
    )

    corrected = upload(client, INVOICES, INVOICES_CSV, HTTP_IDEMPOTENCY_KEY="k2")

    assert (refused.status_code, corrected.status_code) == (400, 200)
    assert IdempotencyKey.objects.get(key="k2").response_status == 200
    assert Invoice.objects.count() == 1
