"""Finance's cash pages: who may use them, posting, applying (partly, oldest first),
reversing, voiding, credit memos, write-offs, the unapplied list and its filters."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEntry
from cash import services as cash_services
from cash.models import BankImport, RefundRequest, WriteOffRequest
from invoices import services
from invoices.models import Adjustment, Application, CreditMemo, Invoice, Payment
from tests.factories import CustomerFactory, UserFactory, invoice, payment, user_in_role

from .conftest import logged_in

pytestmark = pytest.mark.django_db

# Id routes whose reach is checked here; tests/collections_app/test_reach.py requires them.
ROUTES = {
    "cash_payment_apply",
    "cash_payment_void",
    "cash_credit_memo_apply",
    "cash_application_reverse",
    "cash_write_off",
    "cash_import_detail",
    "cash_transaction_assign",
    "cash_write_off_decide",
    "cash_csv_import_detail",  # finance and admins only: tests/cash/test_csv_import_jobs.py
    "cash_payment_unidentified",
    "cash_payment_short",
    "cash_payment_refund",
    "cash_credit_memo_refund",
    "cash_invoice_contra",
    "cash_refund_decide",
    "cash_refund_reverse",
    # a bank's column mapping is company-wide, not a customer's: finance only (below)
    "cash_csv_mapping_edit",
}
PAGES = [
    "cash_index",
    "cash_unapplied",
    "cash_payment_new",
    "cash_credit_memo_new",
    "cash_imports",
    "cash_write_offs",
]


def _state() -> tuple:
    return (
        list(Payment.objects.values_list("pk", "unapplied_amount", "status")),
        sorted(Invoice.objects.values_list("pk", "open_amount")),
        Application.objects.count(),
        CreditMemo.objects.count(),
        Adjustment.objects.count(),
        AuditEntry.objects.count(),
    )


# --- who ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_a_collector_is_refused_every_cash_page(collector, name):
    assert logged_in(collector).get(reverse(name)).status_code == 403


def test_a_collector_is_refused_a_payment_of_their_own_portfolio(collector):
    mine = CustomerFactory(assigned_collector=collector)
    cash = payment(mine, "10.00")

    response = logged_in(collector).get(reverse("cash_payment_apply", args=[cash.pk]))

    assert response.status_code == 403


def test_the_cfo_reads_but_cannot_post(cfo, acme):
    client = logged_in(cfo)
    before = _state()

    assert client.get(reverse("cash_unapplied")).status_code == 200
    assert client.get(reverse("cash_payment_new")).status_code == 403
    response = client.post(
        reverse("cash_payment_new"),
        {"customer": "ACME", "amount": "5", "received_date": "2026-02-01", "reference": "X"},
    )

    assert response.status_code == 403
    assert _state() == before


def test_without_the_team_view_another_portfolio_is_not_found(acme):
    """Cash pages start from the portfolio-scoped selectors, like every page."""
    clerk = UserFactory(username="narrow")
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_cash", "work_cash"]),
    )
    cash = payment(acme, "10.00")
    memo = services.credit_memo_issue(
        actor=None,
        customer=acme,
        number="CM-1",
        issue_date=datetime.date(2026, 1, 1),
        amount="5",
        reason="r",
    )

    inv = invoice(acme, "10.00")
    (application,) = services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("1.00"))],
    )
    request = WriteOffRequest.objects.create(
        invoice=inv, kind="write_off", amount=Decimal("5.00"), currency_id="USD", reason="r"
    )
    clerk.user_permissions.add(Permission.objects.get(codename="approve_write_off"))
    client = logged_in(clerk)
    before = _state()

    assert client.get(reverse("cash_payment_apply", args=[cash.pk])).status_code == 404
    assert client.get(reverse("cash_credit_memo_apply", args=[memo.pk])).status_code == 404
    assert client.post(reverse("cash_payment_void", args=[cash.pk])).status_code == 404
    assert client.get(reverse("cash_write_off", args=[inv.pk])).status_code == 404
    reverse_url = reverse("cash_application_reverse", args=[application.pk])
    assert client.post(reverse_url, {"note": "x"}).status_code == 404
    decide_url = reverse("cash_write_off_decide", args=[request.pk])
    assert client.post(decide_url, {"decision": "approve"}).status_code == 404
    # refunds, contras and marks start from the same selectors
    refund = {"kind": "refund", "amount": "1.00", "reference": "R-1", "reason": "r"}
    for name, pk in (
        ("cash_payment_refund", cash.pk),
        ("cash_credit_memo_refund", memo.pk),
        ("cash_invoice_contra", inv.pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404
        assert client.post(reverse(name, args=[pk]), refund).status_code == 404
    unidentified = reverse("cash_payment_unidentified", args=[cash.pk])
    assert client.post(unidentified, {"note": "no idea"}).status_code == 404
    short = reverse("cash_payment_short", args=[cash.pk])
    assert client.post(short, {"invoice": inv.pk, "reason": "pricing"}).status_code == 404
    pending = RefundRequest.objects.create(
        payment=cash,
        kind="refund",
        amount=Decimal("2.00"),
        currency_id="USD",
        reference="R-2",
        reason="r",
    )
    clerk.user_permissions.add(Permission.objects.get(codename="approve_refund"))
    client = logged_in(clerk)
    refund_decide = reverse("cash_refund_decide", args=[pending.pk])
    assert client.post(refund_decide, {"decision": "approve"}).status_code == 404
    assert _state() == before
    paid_back = services.unapplied_refund(
        actor=None, source=cash, kind="refund", amount="1.00", reference="R-3", reason="r"
    )
    before = _state()
    reverse_refund = reverse("cash_refund_reverse", args=[paid_back.pk])
    assert client.post(reverse_refund, {"reason": "returned"}).status_code == 404
    assert _state() == before


def test_a_bank_csv_mapping_is_finances_not_a_collectors(finance, collector):
    from cash.models import BankCsvMapping

    mapping = BankCsvMapping.objects.create(
        name="Demo bank",
        account="DE00",
        date_column="Date",
        amount_column="Amount",
        currency_id="EUR",
    )
    url = reverse("cash_csv_mapping_edit", args=[mapping.pk])
    assert logged_in(collector).get(url).status_code == 403
    assert logged_in(collector).post(url, {"name": "x"}).status_code == 403
    assert logged_in(finance).get(url).status_code == 200
    assert BankCsvMapping.objects.get().name == "Demo bank"


def _tabs(response) -> list[tuple[str, bool]]:
    """The cash section's tabs: (label, marked as the current page)."""
    from lxml import html

    (nav,) = html.fromstring(response.content).xpath('//nav[@class="cash-tabs"]')
    return [(a.text_content().strip(), a.get("aria-current") == "page") for a in nav.iter("a")]


@pytest.mark.parametrize(
    ("name", "args"),
    [("cash_csv_imports", []), ("cash_csv_import_detail", ["job"])],
)
def test_csv_imports_is_a_tab_of_its_own_marked_on_its_pages(
    finance, name, args, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = cash_services.csv_import_upload(
        actor=finance, kind="customers", upload=SimpleUploadedFile("c.csv", b"external_ref\n")
    )
    url = reverse(name, args=[job.pk if a == "job" else a for a in args])

    tabs = _tabs(logged_in(finance).get(url))

    assert ("CSV imports", True) in tabs
    assert ("Bank files", False) in tabs
    assert [label for label, current in tabs if current] == ["CSV imports"]


def test_bank_files_is_marked_on_its_page_and_the_cfo_has_no_csv_imports_tab(finance, cfo):
    tabs = _tabs(logged_in(finance).get(reverse("cash_imports")))
    assert [label for label, current in tabs if current] == ["Bank files"]
    assert ("CSV imports", False) in tabs
    # the CFO reads the bank files but may not import CSVs (403): no tab to a refusal
    cfo_tabs = _tabs(logged_in(cfo).get(reverse("cash_imports")))
    assert "CSV imports" not in [label for label, _ in cfo_tabs]


def test_the_nav_shows_cash_to_finance_and_not_to_collectors(finance, collector):
    finance_page = logged_in(finance).get(reverse("cash_imports"))
    assert b'<a href="/cash/" aria-current="page">Cash</a>' in finance_page.content
    assert b'href="/cash/"' not in logged_in(collector).get(reverse("queue")).content


# --- post and apply ------------------------------------------------------------------------


def test_finance_posts_a_payment_and_lands_on_its_apply_page(finance, acme, acme_invoices):
    response = logged_in(finance).post(
        reverse("cash_payment_new"),
        {
            "customer": "acme",
            "amount": "1,000.00",
            "currency": "",
            "received_date": "2026-02-03",
            "reference": "WIRE-77",
            "method": "wire",
        },
    )

    cash = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cash_payment_apply", args=[cash.pk])
    assert (cash.customer, cash.amount, cash.currency_id, cash.method, cash.created_by) == (
        acme,
        Decimal("1000.00"),
        "USD",
        "wire",
        finance,
    )
    assert AuditEntry.objects.filter(action="payment.post", object_id=str(cash.pk)).count() == 1


def test_post_errors_are_shown_beside_their_fields_and_nothing_is_written(finance, acme):
    payment(acme, "10.00", reference="TAKEN")
    before = _state()

    response = logged_in(finance).post(
        reverse("cash_payment_new"),
        {
            "customer": "NOBODY",
            "amount": "12.345",
            "received_date": "2026-02-30",
            "reference": "X",
            "method": "wire",
        },
    )
    duplicate = logged_in(finance).post(
        reverse("cash_payment_new"),
        {
            "customer": "ACME",
            "amount": "12.00",
            "received_date": "2026-02-03",
            "reference": "TAKEN",
            "method": "wire",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "customer": ["no customer with the reference 'NOBODY'"],
        "amount": ["'12.345' has more than two decimal places"],
        "received_date": ["Enter a valid date."],
    }
    assert b'class="field has-error field-customer"' in response.content
    assert duplicate.status_code == 400
    assert duplicate.context["form"].errors == {"reference": ["payment TAKEN already exists"]}
    assert _state() == before


def test_the_apply_page_ticks_the_oldest_invoices_first(finance, acme, acme_invoices):
    cash = payment(acme, "300.00", reference="P-1")

    response = logged_in(finance).get(reverse("cash_payment_apply", args=[cash.pk]))

    rows = [(r["invoice"].number, r["checked"], r["amount"]) for r in response.context["rows"]]
    assert rows == [
        ("INV-0001", True, Decimal("100.00")),
        ("INV-0002", True, Decimal("200.00")),
        ("INV-0003", False, Decimal("400.00")),
    ]
    assert b'id="remainder"' in response.content
    assert b'src="/static/js/cash-apply.js"' in response.content


def test_the_apply_page_offers_child_accounts_invoices_in_the_same_currency(finance, acme):
    child = CustomerFactory(parent=acme, name="Acme West")
    euro = CustomerFactory(parent=acme, currency_id="EUR")
    invoice(child, "50.00", number="W-1")
    invoice(euro, "70.00", number="E-1", currency="EUR")
    cash = payment(acme, "30.00")

    response = logged_in(finance).get(reverse("cash_payment_apply", args=[cash.pk]))

    assert [r["invoice"].number for r in response.context["rows"]] == ["W-1"]


def test_finance_applies_part_and_leaves_the_rest_on_account(
    finance, acme, acme_invoices, ledger_whole
):
    cash = payment(acme, "300.00", reference="P-1")
    first, _, third = acme_invoices

    response = logged_in(finance).post(
        reverse("cash_payment_apply", args=[cash.pk]),
        {
            "invoice": [str(first.pk), str(third.pk)],
            f"amount-{first.pk}": "100.00",
            f"amount-{third.pk}": "150.00",
        },
    )

    assert response.status_code == 302
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("50.00")
    assert sorted(Invoice.objects.values_list("number", "open_amount")) == [
        ("INV-0001", Decimal("0.00")),
        ("INV-0002", Decimal("250.00")),
        ("INV-0003", Decimal("250.00")),
    ]
    assert set(Application.objects.values_list("created_by", flat=True)) == {finance.pk}


def test_an_over_application_is_shown_on_its_row_and_nothing_is_applied(
    finance, acme, acme_invoices
):
    cash = payment(acme, "300.00", reference="P-1")
    first, second, _ = acme_invoices
    before = _state()

    response = logged_in(finance).post(
        reverse("cash_payment_apply", args=[cash.pk]),
        {
            "invoice": [str(first.pk), str(second.pk)],
            f"amount-{first.pk}": "100.00",
            f"amount-{second.pk}": "260.00",
        },
    )
    bad_amount = logged_in(finance).post(
        reverse("cash_payment_apply", args=[cash.pk]),
        {"invoice": [str(first.pk)], f"amount-{first.pk}": "ten"},
    )

    assert response.status_code == 400
    rows = {r["invoice"].number: r for r in response.context["rows"]}
    assert rows["INV-0002"]["error"] == "260.00 exceeds the open balance 250.00 of invoice INV-0002"
    assert rows["INV-0002"]["amount"] == "260.00"
    assert bad_amount.status_code == 400
    rows = {r["invoice"].number: r for r in bad_amount.context["rows"]}
    assert rows["INV-0001"]["error"] == "INV-0001: 'ten' is not a number"
    assert _state() == before


def test_another_customers_invoice_cannot_be_slipped_in(finance, acme, acme_invoices):
    other = invoice(CustomerFactory(), "80.00", number="OTHER-1")
    cash = payment(acme, "80.00")
    before = _state()

    response = logged_in(finance).post(
        reverse("cash_payment_apply", args=[cash.pk]),
        {"invoice": [str(other.pk)], f"amount-{other.pk}": "80.00"},
    )

    assert response.status_code == 400
    assert (
        response.context["form_error"] == f"invoice '{other.pk}' is not one this money may settle"
    )
    assert _state() == before


# --- reverse, void --------------------------------------------------------------------------


def test_finance_reverses_an_application(finance, acme, acme_invoices, ledger_whole):
    cash = payment(acme, "100.00", reference="P-1")
    (application,) = services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[services.Allocation(invoice_id=acme_invoices[0].pk, amount=Decimal(100))],
    )

    response = logged_in(finance).post(
        reverse("cash_application_reverse", args=[application.pk]), {"note": "wrong invoice"}
    )

    assert response.status_code == 302
    reversal = Application.objects.get(reverses=application)
    assert (reversal.amount, reversal.note, reversal.created_by) == (
        Decimal("-100.00"),
        "wrong invoice",
        finance,
    )
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("100.00")


def test_finance_voids_a_bounced_cheque(finance, acme, acme_invoices, ledger_whole):
    cash = payment(acme, "100.00", reference="CHQ-9", received_date=datetime.date(2026, 2, 1))
    services.payment_apply_oldest_first(actor=None, payment=cash)
    client = logged_in(finance)

    response = client.post(
        reverse("cash_payment_void", args=[cash.pk]),
        {"return_date": "2026-02-06", "reason": "NSF"},
    )

    assert response.status_code == 302
    cash.refresh_from_db()
    assert (cash.status, cash.unapplied_amount) == ("void", Decimal("100.00"))
    page = client.get(response["Location"])
    assert b'id="void-badge"' in page.content
    assert b'id="apply-form"' not in page.content
    assert b"2026-02-06 \xc2\xb7 NSF" in page.content


def test_a_void_refusal_is_shown_beside_its_field(finance, acme, acme_invoices):
    cash = payment(acme, "100.00", reference="CHQ-9", received_date=datetime.date(2026, 2, 1))
    before = _state()

    response = logged_in(finance).post(
        reverse("cash_payment_void", args=[cash.pk]),
        {"return_date": "2026-01-01", "reason": "NSF"},
    )

    assert response.status_code == 400
    assert response.context["void_form"].errors == {
        "return_date": ["the return date 2026-01-01 is before the payment arrived (2026-02-01)"]
    }
    assert _state() == before


# --- credit memos, write-offs -------------------------------------------------------------


def test_finance_issues_a_credit_memo_and_applies_it(finance, acme, acme_invoices, ledger_whole):
    client = logged_in(finance)

    issued = client.post(
        reverse("cash_credit_memo_new"),
        {
            "customer": "ACME",
            "number": "CM-100",
            "amount": "60.00",
            "issue_date": "2026-02-01",
            "reason": "Damaged goods",
        },
    )
    memo = CreditMemo.objects.get()
    first = acme_invoices[0]
    applied = client.post(
        issued["Location"], {"invoice": [str(first.pk)], f"amount-{first.pk}": "60.00"}
    )

    assert issued["Location"] == reverse("cash_credit_memo_apply", args=[memo.pk])
    assert applied.status_code == 302
    memo.refresh_from_db()
    first.refresh_from_db()
    assert (memo.unapplied_amount, first.open_amount) == (Decimal("0.00"), Decimal("40.00"))


def test_finance_writes_off_a_small_balance(finance, acme, acme_invoices, ledger_whole):
    first = acme_invoices[0]
    cash = payment(acme, "95.00")
    services.payment_apply_oldest_first(actor=None, payment=cash)
    back = reverse("cash_payment_apply", args=[cash.pk])

    response = logged_in(finance).post(
        reverse("cash_write_off", args=[first.pk]),
        {"kind": "small_balance", "amount": "5.00", "reason": "Bank charges", "next": back},
    )
    elsewhere = logged_in(finance).post(
        reverse("cash_write_off", args=[acme_invoices[1].pk]),
        {"kind": "small_balance", "amount": "1.00", "reason": "x", "next": "https://evil.example/"},
    )

    assert response["Location"] == back
    assert elsewhere["Location"] == reverse("cash_unapplied")
    first.refresh_from_db()
    assert first.open_amount == Decimal("0.00")
    assert Adjustment.objects.filter(invoice=first).get().created_by == finance


def test_a_write_off_above_the_small_balance_limit_is_refused_beside_the_amount(
    finance, acme, acme_invoices
):
    before = _state()

    response = logged_in(finance).post(
        reverse("cash_write_off", args=[acme_invoices[2].pk]),
        {"kind": "small_balance", "amount": "400.00", "reason": "tidy"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "amount": ["a small-balance write-off is at most 25.00; use a write-off for 400.00"]
    }
    assert _state() == before


# --- the unapplied list --------------------------------------------------------------------


def test_the_unapplied_list_shows_payments_and_credits_with_something_left(finance, acme):
    today = datetime.date.today()
    full = payment(acme, "10.00", reference="LEFT", received_date=today - datetime.timedelta(40))
    inv = invoice(acme, "10.00")
    done = payment(acme, "10.00", reference="DONE")
    services.payment_apply_oldest_first(actor=None, payment=done)
    services.credit_memo_issue(
        actor=None, customer=acme, number="CM-9", issue_date=today, amount="7", reason="r"
    )

    response = logged_in(finance).get(reverse("cash_unapplied"))

    assert [p.reference for p in response.context["page"]] == ["LEFT"]
    assert response.context["page"][0].age == 40
    assert [m.number for m in response.context["memos"]] == ["CM-9"]
    assert inv.pk
    assert full.pk


def test_the_unapplied_list_filters_by_customer_currency_and_age(finance, acme):
    today = datetime.date.today()
    euro = CustomerFactory(external_ref="EUROCO", name="Euro Co", currency_id="EUR")
    payment(acme, "10.00", reference="OLD-USD", received_date=today - datetime.timedelta(70))
    payment(acme, "10.00", reference="NEW-USD", received_date=today)
    payment(euro, "10.00", reference="OLD-EUR", received_date=today - datetime.timedelta(70))
    client = logged_in(finance)

    def refs(query: dict) -> list[str]:
        response = client.get(reverse("cash_unapplied"), query)
        return sorted(p.reference for p in response.context["page"])

    assert refs({}) == ["NEW-USD", "OLD-EUR", "OLD-USD"]
    assert refs({"customer": "acme tools"}) == ["NEW-USD", "OLD-USD"]
    assert refs({"customer": "EUROCO"}) == ["OLD-EUR"]
    assert refs({"currency": "EUR"}) == ["OLD-EUR"]
    assert refs({"older_than": "60"}) == ["OLD-EUR", "OLD-USD"]
    assert refs({"older_than": "60", "currency": "USD"}) == ["OLD-USD"]


def test_the_unapplied_list_runs_the_same_queries_for_1_and_50_payments(finance):
    client = logged_in(finance)
    customers = [CustomerFactory() for _ in range(5)]
    payment(customers[0], "1.00")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cash_unapplied")).status_code == 200
        return len(queries)

    one = count()
    for n in range(49):
        payment(customers[n % 5], "1.00")
    assert count() == one


# --- write-offs above the approval limit ---------------------------------------------------


@pytest.fixture
def big_invoice(acme):
    return invoice(acme, "5000.00", number="BIG-1")


def test_a_write_off_above_the_limit_waits_for_a_credit_managers_approval(
    finance, big_invoice, ledger_whole
):
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")

    asked = logged_in(finance).post(
        reverse("cash_write_off", args=[big_invoice.pk]),
        {"kind": "write_off", "amount": "1500.00", "reason": "Customer insolvent"},
    )
    request = WriteOffRequest.objects.get()
    big_invoice.refresh_from_db()
    assert (asked.status_code, request.status, big_invoice.open_amount) == (
        302,
        "pending",
        Decimal("5000.00"),
    )
    assert Adjustment.objects.count() == 0
    manager_client = logged_in(manager)
    assert b"Write-offs (1)" in manager_client.get(reverse("cash_write_offs")).content

    decided = manager_client.post(
        reverse("cash_write_off_decide", args=[request.pk]),
        {"decision": "approve", "comment": "ok, filed with the receiver"},
    )

    request.refresh_from_db()
    big_invoice.refresh_from_db()
    assert decided.status_code == 302
    assert (request.status, request.decided_by, request.adjustment.created_by) == (
        "approved",
        manager,
        manager,
    )
    assert big_invoice.open_amount == Decimal("3500.00")
    assert list(
        AuditEntry.objects.filter(action__startswith="write_off.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["write_off.request", "write_off.decide"]


def test_a_write_off_within_the_limit_is_written_at_once(finance, big_invoice):
    logged_in(finance).post(
        reverse("cash_write_off", args=[big_invoice.pk]),
        {"kind": "write_off", "amount": "1000.00", "reason": "Goodwill"},
    )

    big_invoice.refresh_from_db()
    assert big_invoice.open_amount == Decimal("4000.00")


def test_finance_cannot_approve_a_write_off(finance, big_invoice):
    request = cash_services.write_off_request(
        actor=finance, invoice=big_invoice, kind="write_off", amount="2000", reason="x"
    )

    response = logged_in(finance).post(
        reverse("cash_write_off_decide", args=[request.pk]), {"decision": "approve"}
    )

    request.refresh_from_db()
    assert (response.status_code, request.status) == (403, "pending")


def test_a_second_request_for_the_same_invoice_is_refused_beside_the_amount(finance, big_invoice):
    client = logged_in(finance)
    body = {"kind": "write_off", "amount": "2000.00", "reason": "x"}
    client.post(reverse("cash_write_off", args=[big_invoice.pk]), body)

    response = client.post(reverse("cash_write_off", args=[big_invoice.pk]), body)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "amount": ["invoice BIG-1 already has a write-off waiting for approval"]
    }


def test_the_apply_page_runs_the_same_queries_for_1_and_50_invoices(finance, acme):
    cash = payment(acme, "5.00")
    client = logged_in(finance)
    invoice(acme, "10.00")
    url = reverse("cash_payment_apply", args=[cash.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    for _ in range(49):
        invoice(acme, "10.00")
    assert count() == one


def test_the_apply_page_runs_the_same_queries_for_1_and_20_refunds(finance, acme):
    cash = payment(acme, "500.00")
    client = logged_in(finance)
    url = reverse("cash_payment_apply", args=[cash.pk])

    def refund(n: int, *, reverse_it: bool) -> None:
        paid = services.unapplied_refund(
            actor=None, source=cash, kind="refund", amount="1.00", reference=f"W-{n}", reason="r"
        )
        if reverse_it:
            services.refund_reverse(actor=None, refund=paid, reason="returned")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    refund(0, reverse_it=True)
    one = count()
    for n in range(1, 20):
        refund(n, reverse_it=n % 2 == 0)
    assert count() == one


def test_the_imports_page_runs_the_same_queries_for_1_and_50_imports(finance):
    client = logged_in(finance)

    def add(n: int) -> None:
        for _ in range(n):
            BankImport.objects.create(
                file_name="s.xml", format="camt", sha256="0" * 64, content=b"", uploaded_by=finance
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cash_imports")).status_code == 200
        return len(queries)

    add(1)
    one = count()
    add(49)
    assert count() == one
