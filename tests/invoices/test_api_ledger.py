"""API v1 ledger: invoices, payments (with allocations or oldest first), apply, reverse,
credit memos, adjustments; refusals are 400s naming the field, and write nothing."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEntry
from invoices import services
from invoices.models import Adjustment, Application, CreditMemo, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _without(row: dict, *names: str) -> dict:
    return {k: v for k, v in row.items() if k not in names}


def _ledger_state() -> dict:
    return {
        "invoices": sorted(Invoice.objects.values_list("pk", "number", "open_amount")),
        "payments": sorted(Payment.objects.values_list("pk", "reference", "unapplied_amount")),
        "credit_memos": sorted(CreditMemo.objects.values_list("pk", "unapplied_amount")),
        "applications": Application.objects.count(),
        "adjustments": Adjustment.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def alice():
    return user_in_role(roles.COLLECTOR, "alice")


@pytest.fixture
def finance():
    return user_in_role(roles.FINANCE, "fiona")


@pytest.fixture
def acme(alice):
    return CustomerFactory(external_ref="ACME", name="Acme", assigned_collector=alice)


# --- invoices -------------------------------------------------------------------------------


def test_finance_posts_an_invoice_with_money_as_two_place_strings(finance, acme):
    response = _api(finance).post(
        "/api/v1/invoices/",
        {
            "number": "INV-1",
            "customer": "ACME",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "1200.5",
            "currency": "USD",
            "po_number": "PO-9",
        },
        format="json",
    )

    assert response.status_code == 201
    created = Invoice.objects.get()
    assert _without(response.json(), "created_at") == {
        "id": created.pk,
        "number": "INV-1",
        "customer": "ACME",
        "customer_id": acme.pk,
        "issue_date": "2026-01-01",
        "due_date": "2026-01-31",
        "amount": "1200.50",
        "currency": "USD",
        "open_amount": "1200.50",
        "po_number": "PO-9",
    }
    assert (created.amount, created.open_amount) == (Decimal("1200.50"), Decimal("1200.50"))
    assert AuditEntry.objects.get().action == "invoice.create"


def test_a_duplicate_invoice_number_is_refused_naming_the_field(finance, acme):
    invoice(acme, "100.00", number="INV-1")
    before = _ledger_state()

    response = _api(finance).post(
        "/api/v1/invoices/",
        {
            "number": "INV-1",
            "customer": "ACME",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "5.00",
            "currency": "USD",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "invoice INV-1 already exists",
        "code": "duplicate",
        "field": "number",
    }
    assert _ledger_state() == before


def test_an_invoice_due_before_it_is_issued_is_refused(finance, acme):
    response = _api(finance).post(
        "/api/v1/invoices/",
        {
            "number": "INV-1",
            "customer": "ACME",
            "issue_date": "2026-01-31",
            "due_date": "2026-01-01",
            "amount": "5.00",
            "currency": "USD",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "due date 2026-01-01 is before issue date 2026-01-31",
        "code": "invalid",
        "field": "due_date",
    }
    assert Invoice.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (
            "/api/v1/invoices/",
            {
                "number": "INV-1",
                "customer": "ACME",
                "issue_date": "2026-01-01",
                "due_date": "2026-01-31",
                "amount": "5.00",
                "currency": "USD",
            },
        ),
        (
            "/api/v1/payments/",
            {
                "reference": "PAY-1",
                "customer": "ACME",
                "received_date": "2026-02-01",
                "amount": "5",
            },
        ),
    ],
)
def test_a_collector_cannot_post_invoices_or_payments(url, body, alice, acme):
    before = _ledger_state()

    response = _api(alice).post(url, body, format="json")

    assert response.status_code == 403
    assert _ledger_state() == before


def _numbers(user, **params) -> list[str]:
    response = _api(user).get("/api/v1/invoices/", params)
    assert response.status_code == 200
    return [row["number"] for row in response.json()["results"]]


def test_invoice_list_filters_by_currency_openness_customer_and_dates(finance, acme):
    euro = CustomerFactory(external_ref="EURO", currency_id="EUR")
    invoice(acme, "100.00", number="USD-OPEN", issue_date=datetime.date(2026, 1, 1))
    paid = invoice(acme, "50.00", number="USD-PAID", issue_date=datetime.date(2026, 2, 1))
    payment(acme, "50.00", allocations=[services.Allocation(paid.pk, Decimal("50.00"))])
    invoice(euro, "70.00", number="EUR-OPEN", issue_date=datetime.date(2026, 3, 1))

    assert _numbers(finance, currency="EUR") == ["EUR-OPEN"]
    assert _numbers(finance, is_open="true") == ["USD-OPEN", "EUR-OPEN"]
    assert _numbers(finance, is_open="false") == ["USD-PAID"]
    assert _numbers(finance, customer_ref="ACME") == ["USD-OPEN", "USD-PAID"]
    assert _numbers(finance, customer=acme.pk, is_open="true") == ["USD-OPEN"]
    assert _numbers(finance, due_before="2026-02-28") == ["USD-OPEN"]
    assert _numbers(finance, issued_after="2026-02-01") == ["USD-PAID", "EUR-OPEN"]
    assert _numbers(finance, ordering="-amount") == ["USD-OPEN", "EUR-OPEN", "USD-PAID"]


# --- payments -------------------------------------------------------------------------------


def test_finance_posts_a_payment_applied_by_allocations_at_the_received_date(finance, acme):
    first = invoice(acme, "100.00", number="INV-1")
    second = invoice(acme, "200.00", number="INV-2")

    response = _api(finance).post(
        "/api/v1/payments/",
        {
            "reference": "PAY-1",
            "customer": "ACME",
            "received_date": "2026-02-01",
            "amount": "250.00",
            "method": "wire",
            "allocations": [
                {"invoice": first.pk, "amount": "100.00"},
                {"invoice": second.pk, "amount": "120.00"},
            ],
        },
        format="json",
    )

    assert response.status_code == 201
    cash = Payment.objects.get()
    assert _without(response.json(), "created_at") == {
        "id": cash.pk,
        "reference": "PAY-1",
        "customer": "ACME",
        "customer_id": acme.pk,
        "received_date": "2026-02-01",
        "amount": "250.00",
        "currency": "USD",
        "unapplied_amount": "30.00",
        "method": "wire",
    }
    assert sorted(
        Application.objects.values_list("invoice__number", "amount", "effective_date")
    ) == [
        ("INV-1", Decimal("100.00"), datetime.date(2026, 2, 1)),
        ("INV-2", Decimal("120.00"), datetime.date(2026, 2, 1)),
    ]
    assert sorted(Invoice.objects.values_list("number", "open_amount")) == [
        ("INV-1", Decimal("0.00")),
        ("INV-2", Decimal("80.00")),
    ]
    assert cash.created_by == finance
    assert ledger_discrepancies() == []


def test_a_payment_posted_oldest_first_settles_the_oldest_due_invoice_first(finance, acme):
    invoice(acme, "300.00", number="NEWER", issue_date=datetime.date(2026, 2, 1))
    invoice(acme, "200.00", number="OLDER", issue_date=datetime.date(2026, 1, 1))

    response = _api(finance).post(
        "/api/v1/payments/",
        {
            "reference": "PAY-1",
            "customer": "ACME",
            "received_date": "2026-03-01",
            "amount": "450.00",
            "apply_oldest_first": True,
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["unapplied_amount"] == "0.00"
    assert sorted(Invoice.objects.values_list("number", "open_amount")) == [
        ("NEWER", Decimal("50.00")),
        ("OLDER", Decimal("0.00")),
    ]
    assert set(Application.objects.values_list("effective_date", flat=True)) == {
        datetime.date(2026, 3, 1)
    }


def test_an_over_application_is_refused_naming_the_allocation_and_writes_nothing(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    before = _ledger_state()

    response = _api(finance).post(
        "/api/v1/payments/",
        {
            "reference": "PAY-1",
            "customer": "ACME",
            "received_date": "2026-02-01",
            "amount": "500.00",
            "allocations": [{"invoice": target.pk, "amount": "150.00"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "150.00 exceeds the open balance 100.00 of invoice INV-1",
        "code": "over_application",
        "field": "allocations[0]",
    }
    assert _ledger_state() == before


def test_cash_cannot_settle_another_customers_invoice(finance, acme):
    stranger = CustomerFactory(external_ref="STRANGER")
    theirs = invoice(stranger, "100.00", number="THEIRS")
    before = _ledger_state()

    response = _api(finance).post(
        "/api/v1/payments/",
        {
            "reference": "PAY-1",
            "customer": "ACME",
            "received_date": "2026-02-01",
            "amount": "100.00",
            "allocations": [{"invoice": theirs.pk, "amount": "100.00"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "invoice THEIRS belongs to another customer",
        "code": "invalid",
        "field": "allocations[0]",
    }
    assert _ledger_state() == before


def test_a_payment_list_shows_money_as_strings_and_filters_unapplied(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    payment(acme, "100.00", reference="APPLIED", allocations=[services.Allocation(target.pk, 100)])
    payment(acme, "75.5", reference="OPEN")

    response = _api(finance).get("/api/v1/payments/", {"has_unapplied": "true"})

    assert response.status_code == 200
    assert [
        (row["reference"], row["amount"], row["unapplied_amount"])
        for row in response.json()["results"]
    ] == [("OPEN", "75.50", "75.50")]


# --- apply and reverse ----------------------------------------------------------------------


def test_finance_applies_unapplied_cash_to_an_invoice(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    cash = payment(acme, "80.00", reference="PAY-1")

    response = _api(finance).post(
        f"/api/v1/payments/{cash.pk}/apply/",
        {
            "allocations": [{"invoice": target.pk, "amount": "60.00"}],
            "effective_date": "2026-02-10",
        },
        format="json",
    )

    assert response.status_code == 201
    application = Application.objects.get()
    assert [_without(row, "created_at") for row in response.json()] == [
        {
            "id": application.pk,
            "invoice": target.pk,
            "invoice_number": "INV-1",
            "payment": cash.pk,
            "payment_reference": "PAY-1",
            "credit_memo": None,
            "credit_memo_number": None,
            "amount": "60.00",
            "currency": "USD",
            "effective_date": "2026-02-10",
            "reverses": None,
            "note": "",
        }
    ]
    target.refresh_from_db()
    cash.refresh_from_db()
    assert (target.open_amount, cash.unapplied_amount) == (Decimal("40.00"), Decimal("20.00"))
    assert application.created_by == finance


def test_apply_oldest_first_through_the_apply_action(finance, acme):
    invoice(acme, "30.00", number="OLDER", issue_date=datetime.date(2026, 1, 1))
    invoice(acme, "30.00", number="NEWER", issue_date=datetime.date(2026, 1, 20))
    cash = payment(acme, "45.00", reference="PAY-1")

    response = _api(finance).post(
        f"/api/v1/payments/{cash.pk}/apply/",
        {"oldest_first": True, "effective_date": "2026-02-01"},
        format="json",
    )

    assert response.status_code == 201
    assert [(row["invoice_number"], row["amount"]) for row in response.json()] == [
        ("OLDER", "30.00"),
        ("NEWER", "15.00"),
    ]


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (
            {"oldest_first": True, "allocations": [{"invoice": 1, "amount": "1.00"}]},
            {"non_field_errors": ["give either allocations or oldest_first=true"]},
        ),
        ({}, {"non_field_errors": ["give either allocations or oldest_first=true"]}),
        (
            {"allocations": [{"invoice": "INVOICE", "amount": "1.00"}]},
            {"allocations": {"0": {"invoice": ["A valid integer is required."]}}},
        ),
    ],
)
def test_an_apply_request_that_is_not_one_thing_or_the_other_is_refused(
    body, refusal, finance, acme
):
    invoice(acme, "30.00", number="INV-1")
    cash = payment(acme, "45.00", reference="PAY-1")
    before = _ledger_state()

    response = _api(finance).post(f"/api/v1/payments/{cash.pk}/apply/", body, format="json")

    assert response.status_code == 400
    assert response.json() == refusal
    assert _ledger_state() == before


def test_applying_more_than_is_unapplied_is_refused_and_nothing_changes(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    cash = payment(acme, "50.00", reference="PAY-1")
    before = _ledger_state()

    response = _api(finance).post(
        f"/api/v1/payments/{cash.pk}/apply/",
        {"allocations": [{"invoice": target.pk, "amount": "60.00"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "60.00 exceeds the unapplied 50.00 of payment PAY-1",
        "code": "over_application",
        "field": "allocations",
    }
    assert _ledger_state() == before


def test_finance_reverses_an_application_once(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    cash = payment(acme, "100.00", reference="PAY-1")
    (original,) = services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[services.Allocation(target.pk, Decimal("100.00"))],
        effective_date=datetime.date(2026, 2, 1),
    )

    response = _api(finance).post(
        f"/api/v1/applications/{original.pk}/reverse/",
        {"note": "NSF cheque", "effective_date": "2026-02-15"},
        format="json",
    )

    assert response.status_code == 201
    reversal = Application.objects.get(reverses=original)
    assert _without(response.json(), "created_at") == {
        "id": reversal.pk,
        "invoice": target.pk,
        "invoice_number": "INV-1",
        "payment": cash.pk,
        "payment_reference": "PAY-1",
        "credit_memo": None,
        "credit_memo_number": None,
        "amount": "-100.00",
        "currency": "USD",
        "effective_date": "2026-02-15",
        "reverses": original.pk,
        "note": "NSF cheque",
    }
    target.refresh_from_db()
    cash.refresh_from_db()
    assert (target.open_amount, cash.unapplied_amount) == (Decimal("100.00"), Decimal("100.00"))
    before = _ledger_state()

    again = _api(finance).post(f"/api/v1/applications/{original.pk}/reverse/", {}, format="json")

    assert again.status_code == 400
    assert again.json() == {
        "detail": f"application {original.pk} is already reversed",
        "code": "already_reversed",
        "field": "application",
    }
    assert _ledger_state() == before


def test_application_list_filters_by_payment_and_reversal(finance, acme):
    target = invoice(acme, "100.00", number="INV-1")
    cash = payment(acme, "100.00", reference="PAY-1")
    other = payment(acme, "10.00", reference="PAY-2")
    (original,) = services.payment_apply(
        actor=None, payment=cash, allocations=[services.Allocation(target.pk, Decimal("90.00"))]
    )
    reversal = services.application_reverse(actor=None, application=original)
    (kept,) = services.payment_apply(
        actor=None, payment=other, allocations=[services.Allocation(target.pk, Decimal("10.00"))]
    )

    def ids(**params) -> set[int]:
        response = _api(finance).get("/api/v1/applications/", params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(payment=cash.pk) == {original.pk, reversal.pk}
    assert ids(is_reversal="true") == {reversal.pk}
    assert ids(is_reversal="false") == {original.pk, kept.pk}
    assert ids(invoice=target.pk) == {original.pk, reversal.pk, kept.pk}


# --- credit memos and adjustments -----------------------------------------------------------


def test_finance_issues_a_credit_memo_and_applies_the_rest_later(finance, acme):
    first = invoice(acme, "100.00", number="INV-1")
    second = invoice(acme, "100.00", number="INV-2")

    issued = _api(finance).post(
        "/api/v1/credit-memos/",
        {
            "number": "CM-1",
            "customer": "ACME",
            "issue_date": "2026-02-01",
            "amount": "70.00",
            "reason": "Damaged in transit",
            "allocations": [{"invoice": first.pk, "amount": "40.00"}],
        },
        format="json",
    )
    memo = CreditMemo.objects.get()
    applied = _api(finance).post(
        f"/api/v1/credit-memos/{memo.pk}/apply/",
        {"allocations": [{"invoice": second.pk, "amount": "30.00"}]},
        format="json",
    )

    assert issued.status_code == 201
    assert _without(issued.json(), "created_at") == {
        "id": memo.pk,
        "number": "CM-1",
        "customer": "ACME",
        "customer_id": acme.pk,
        "issue_date": "2026-02-01",
        "amount": "70.00",
        "currency": "USD",
        "unapplied_amount": "30.00",
        "reason": "Damaged in transit",
    }
    assert applied.status_code == 201
    assert [
        (row["invoice_number"], row["credit_memo_number"], row["payment"], row["amount"])
        for row in applied.json()
    ] == [("INV-2", "CM-1", None, "30.00")]
    memo.refresh_from_db()
    assert memo.unapplied_amount == Decimal("0.00")
    assert sorted(Invoice.objects.values_list("number", "open_amount")) == [
        ("INV-1", Decimal("60.00")),
        ("INV-2", Decimal("70.00")),
    ]
    assert ledger_discrepancies() == []


def test_a_credit_memo_names_its_invoices_and_cannot_apply_oldest_first(finance, acme):
    invoice(acme, "100.00", number="INV-1")
    memo = services.credit_memo_issue(
        actor=None,
        customer=acme,
        number="CM-1",
        issue_date=datetime.date(2026, 2, 1),
        amount="10.00",
        reason="Price",
    )
    before = _ledger_state()

    response = _api(finance).post(
        f"/api/v1/credit-memos/{memo.pk}/apply/", {"oldest_first": True}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"oldest_first": "credit memos name their invoices"}
    assert _ledger_state() == before


@pytest.mark.parametrize(
    ("reason", "refusal"),
    [
        ({}, {"reason": ["This field is required."]}),
        (
            {"reason": ""},
            {"detail": "say why the credit is issued", "code": "invalid", "field": "reason"},
        ),
    ],
)
def test_a_credit_memo_without_a_reason_is_refused(reason, refusal, finance, acme):
    before = _ledger_state()

    response = _api(finance).post(
        "/api/v1/credit-memos/",
        {
            "number": "CM-1",
            "customer": "ACME",
            "issue_date": "2026-02-01",
            "amount": "7.00",
            **reason,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == refusal
    assert _ledger_state() == before


def test_credit_manager_writes_off_part_of_an_invoice(acme):
    manager = user_in_role(roles.CREDIT_MANAGER, "carl")
    target = invoice(acme, "100.00", number="INV-1")

    response = _api(manager).post(
        "/api/v1/adjustments/",
        {"invoice": target.pk, "kind": "write_off", "amount": "40.00", "reason": "Bankrupt"},
        format="json",
    )

    assert response.status_code == 201
    adjustment = Adjustment.objects.get()
    assert response.json() == {
        "id": adjustment.pk,
        "invoice": target.pk,
        "kind": "write_off",
        "amount": "40.00",
        "currency": "USD",
        "effective_date": timezone.localdate().isoformat(),
        "reason": "Bankrupt",
    }
    target.refresh_from_db()
    assert target.open_amount == Decimal("60.00")
    assert AuditEntry.objects.filter(action="invoice.adjust").count() == 1


def test_a_small_balance_write_off_above_the_limit_is_refused(acme):
    manager = user_in_role(roles.CREDIT_MANAGER, "carl")
    target = invoice(acme, "100.00", number="INV-1")
    before = _ledger_state()

    response = _api(manager).post(
        "/api/v1/adjustments/",
        {"invoice": target.pk, "kind": "small_balance", "amount": "30.00", "reason": "Tidy"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "a small-balance write-off is at most 25.00; use a write-off for 30.00",
        "code": "invalid",
        "field": "amount",
    }
    assert _ledger_state() == before


# --- query counts ---------------------------------------------------------------------------


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _count_queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.json()["count"], len(queries)


def test_the_invoice_list_runs_the_same_queries_for_1_and_50_rows(alice, acme):
    client = _token_client(alice)

    invoice(acme, "10.00", number="INV-000")
    one = _count_queries(client, "/api/v1/invoices/")
    for n in range(1, 50):
        invoice(acme, "10.00", number=f"INV-{n:03d}")
    fifty = _count_queries(client, "/api/v1/invoices/")

    assert one == (1, 5)
    assert fifty == (50, 5)


def test_the_payment_list_runs_the_same_queries_for_1_and_50_rows(alice, acme):
    client = _token_client(alice)

    payment(acme, "10.00", reference="PAY-000")
    one = _count_queries(client, "/api/v1/payments/")
    for n in range(1, 50):
        payment(acme, "10.00", reference=f"PAY-{n:03d}")
    fifty = _count_queries(client, "/api/v1/payments/")

    assert one == (1, 5)
    assert fifty == (50, 5)


def test_the_application_list_runs_the_same_queries_for_1_and_50_rows(alice, acme):
    client = _token_client(alice)
    target = invoice(acme, "1000.00", number="INV-1")
    cash = payment(acme, "1000.00", reference="PAY-1")
    memo = services.credit_memo_issue(
        actor=None,
        customer=acme,
        number="CM-1",
        issue_date=datetime.date(2026, 1, 1),
        amount="100.00",
        reason="Price",
    )

    def apply(source) -> None:
        allocation = [services.Allocation(target.pk, Decimal("1.00"))]
        if source is cash:
            services.payment_apply(actor=None, payment=cash, allocations=allocation)
        else:
            services.credit_memo_apply(actor=None, credit_memo=memo, allocations=allocation)

    apply(cash)
    one = _count_queries(client, "/api/v1/applications/")
    for n in range(49):
        apply(cash if n % 2 else memo)
    fifty = _count_queries(client, "/api/v1/applications/")

    assert one == (1, 5)
    assert fifty == (50, 5)
