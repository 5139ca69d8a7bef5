"""Bank files through the upload page and the Celery task (eager here): every credit becomes a
payment, idempotently; debits are listed; a malformed file posts nothing and says why."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEntry
from cash import services
from cash.models import BankImport, BankTransaction, MatchSuggestion
from invoices.models import Application, Invoice, Payment
from tests.factories import CustomerFactory

from .conftest import logged_in
from .statements import Entry, bai2, camt053, mt940

pytestmark = pytest.mark.django_db


def _upload(client, content: bytes, name: str = "statement.xml"):
    return client.post(
        reverse("cash_imports"), {"file": SimpleUploadedFile(name, content)}, follow=False
    )


def _ledger() -> tuple:
    return (
        Payment.objects.count(),
        Application.objects.count(),
        BankTransaction.objects.count(),
        sorted(Invoice.objects.values_list("number", "open_amount")),
    )


def test_finance_imports_a_camt053_statement(
    finance, acme, acme_invoices, eager, django_capture_on_commit_callbacks, ledger_whole
):
    client = logged_in(finance)

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, camt053())

    job = BankImport.objects.get()
    assert response["Location"] == reverse("cash_import_detail", args=[job.pk])
    assert (job.status, job.format, job.rows_done, job.rows_total, job.percent) == (
        "done",
        "camt",
        4,
        4,
        100,
    )
    assert (
        job.credits_posted,
        job.applied_automatically,
        job.credits_unidentified,
        job.debits_listed,
    ) == (2, 1, 1, 1)
    by_ref = {p.reference: p for p in Payment.objects.all()}
    assert sorted(by_ref) == ["BNK-0001", "BNK-0002"]
    assert by_ref["BNK-0001"].unapplied_amount == Decimal("0.00")
    assert Invoice.objects.get(number="INV-0002").open_amount == Decimal("0.00")
    suggestion = MatchSuggestion.objects.get(payment=by_ref["BNK-0002"])
    assert (suggestion.invoice.number, suggestion.score, suggestion.reason) == (
        "INV-0001",
        70,
        "the only open invoice for exactly this amount; the payer name is Acme Tools Inc.'s",
    )
    unidentified = BankTransaction.objects.get(reference="BNK-0003")
    assert (unidentified.payment, unidentified.customer) == (None, None)
    page = client.get(response["Location"])
    assert b'id="import-summary"' in page.content
    auto = AuditEntry.objects.get(action="payment.auto_apply")
    assert auto.after["applied"] == [{"invoice": "INV-0002", "amount": "250.00", "score": 100}]


def test_importing_the_same_statement_again_creates_nothing(
    finance, acme, acme_invoices, eager, django_capture_on_commit_callbacks
):
    client = logged_in(finance)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, camt053())
    before = _ledger()

    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, camt053(), name="same-again.xml")

    again = BankImport.objects.order_by("-id").first()
    assert (again.status, again.already_imported, again.credits_posted) == ("done", 4, 0)
    assert _ledger() == before


def test_a_malformed_file_posts_nothing_and_the_page_lists_its_errors(
    finance, acme, acme_invoices, eager, django_capture_on_commit_callbacks
):
    client = logged_in(finance)
    before = _ledger()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, camt053(count=9))

    job = BankImport.objects.get()
    assert job.status == "failed"
    assert job.errors == [
        {
            "line": 12,
            "record": "TxsSummry/TtlNtries/NbOfNtries",
            "reason": "the statement says 9 entries but holds 4",
        }
    ]
    assert _ledger() == before
    page = client.get(response["Location"])
    assert b"Nothing was imported: the file has 1 error" in page.content
    assert b"the statement says 9 entries but holds 4" in page.content


def test_an_unknown_currency_refuses_the_whole_file_naming_the_line(
    finance, acme, acme_invoices, eager, django_capture_on_commit_callbacks
):
    before = _ledger()
    entries = [Entry("OK-1", "250.00", text="INV-0002"), Entry("ZZ-1", "5.00", currency="ZZZ")]

    with django_capture_on_commit_callbacks(execute=True):
        _upload(logged_in(finance), camt053(entries))

    job = BankImport.objects.get()
    assert (job.status, job.errors[0]["reason"]) == ("failed", "unknown currency 'ZZZ'")
    assert job.errors[0]["line"] > 0
    assert _ledger() == before


def test_an_amount_past_the_business_maximum_refuses_the_whole_file_before_posting(
    finance, acme, acme_invoices, eager, django_capture_on_commit_callbacks
):
    """Checked with the ledger's own rule (accounts.money.to_money) before any row posts: the
    row before it is not left posted, and the job does not die on a column overflow."""
    before = _ledger()
    entries = [
        Entry("OK-1", "250.00", text="INV-0002"),
        Entry("HUGE-1", "90000000000000.00", text="INV-0001"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        _upload(logged_in(finance), camt053(entries))

    job = BankImport.objects.get()
    assert job.status == "failed"
    assert [error["reason"] for error in job.errors] == [
        "90000000000000.00 is too large: the maximum amount is 1000000000000.00"
    ]
    assert _ledger() == before


@pytest.mark.parametrize(("statement", "fmt"), [(bai2, "bai2"), (mt940, "mt940")])
def test_bai2_and_mt940_files_import_the_same_way(
    statement,
    fmt,
    finance,
    acme,
    acme_invoices,
    eager,
    django_capture_on_commit_callbacks,
    ledger_whole,
):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(logged_in(finance), statement(), name=f"statement.{fmt}")

    job = BankImport.objects.get()
    assert (
        job.format,
        job.status,
        job.credits_posted,
        job.applied_automatically,
        job.credits_unidentified,
        job.debits_listed,
    ) == (fmt, "done", 2, 1, 1, 1)


def test_finance_posts_an_unidentified_credit_to_a_customer(
    finance, acme, acme_invoices, eager, django_capture_on_commit_callbacks
):
    zeta = CustomerFactory(external_ref="ZETA", name="Zeta Holdings")
    client = logged_in(finance)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, camt053())
    credit = BankTransaction.objects.get(reference="BNK-0003")

    response = client.post(
        reverse("cash_transaction_assign", args=[credit.pk]), {"customer": "zeta"}
    )

    credit.refresh_from_db()
    assert credit.payment.customer == zeta
    assert response["Location"] == reverse("cash_payment_apply", args=[credit.payment_id])
    assert BankImport.objects.get().credits_unidentified == 0
    assert AuditEntry.objects.filter(action="bank_transaction.assign").count() == 1


def test_the_progress_fragment_is_served_to_htmx(finance):
    job = BankImport.objects.create(
        file_name="big.xml", format="camt", sha256="0" * 64, content=b"", rows_total=200
    )
    BankImport.objects.filter(pk=job.pk).update(status="running", rows_done=50)

    response = logged_in(finance).get(
        reverse("cash_import_detail", args=[job.pk]), headers={"HX-Request": "true"}
    )

    assert response.templates[0].name == "cash/_import_progress.html"
    assert b'<progress id="import-bar" max="100" value="25">' in response.content
    assert b'hx-trigger="every 1s"' in response.content


def test_a_second_run_of_the_task_does_nothing(finance, acme, acme_invoices):
    job = services.bank_import_upload(actor=finance, file_name="s.xml", content=camt053())
    services.bank_import_process(bank_import_id=job.pk)
    before = _ledger()

    again = services.bank_import_process(bank_import_id=job.pk)

    assert again.status == "done"
    assert _ledger() == before


@pytest.mark.parametrize("role", ["cfo", "collector"])
def test_only_finance_and_admins_upload(role, request, acme):
    user = request.getfixturevalue(role)
    response = _upload(logged_in(user), camt053())

    assert response.status_code == 403
    assert BankImport.objects.count() == 0


@pytest.mark.parametrize("statement", [camt053, bai2, mt940], ids=["camt053", "bai2", "mt940"])
def test_a_return_naming_an_earlier_credit_voids_its_payment(
    statement, finance, acme, acme_invoices, ledger_whole
):
    first = services.bank_import_upload(actor=finance, file_name="d1", content=statement())
    services.bank_import_process(bank_import_id=first.pk)
    assert Invoice.objects.get(number="INV-0002").open_amount == Decimal("0.00")
    returns = [
        Entry("RET-1", "250.00", credit=False, text="Return BNK-0001 NSF", family="RRTN"),
        Entry("RET-2", "99.00", credit=False, text="Return BNK-0002 R01", family="RRTN"),
    ]

    second = services.bank_import_upload(actor=finance, file_name="d2", content=statement(returns))
    services.bank_import_process(bank_import_id=second.pk)

    second.refresh_from_db()
    assert (second.debits_listed, second.payments_voided) == (2, 1)
    bounced = Payment.objects.get(reference="BNK-0001")
    assert (bounced.status, bounced.unapplied_amount) == ("void", Decimal("250.00"))
    assert bounced.returned.return_date.isoformat() == "2026-03-02"
    assert Invoice.objects.get(number="INV-0002").open_amount == Decimal("250.00")
    assert Payment.objects.get(reference="BNK-0002").status == "posted"  # amount differs
    assert BankTransaction.objects.get(reference="RET-1").returns_payment == bounced
