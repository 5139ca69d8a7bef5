"""Credit applications of new customers: submitted and forwarded by authority, approved
(which creates the customer with the limit and terms decided) or rejected, in the inbox,
and printed as a PDF."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.errors import ServiceError
from accounts.models import AuditEntry, Contact, Customer, ExchangeRate, PaymentTerms
from credit.applications import credit_application_decide, credit_application_submit
from credit.models import CreditApplication, CreditChange

from .conftest import logged_in

pytestmark = pytest.mark.django_db

# Id routes of these pages: the id is an application's (no customer, no portfolio yet).
ROUTES = {"credit_application", "credit_application_pdf"}


def _submit(actor, **changes) -> CreditApplication:
    fields = {
        "company_name": "Harbor Freight Supply",
        "external_ref": "HFS-001",
        "registration_number": "HRB 12345",
        "address": "1 Dock Road\nPortsmouth",
        "contact_name": "Pat Payables",
        "contact_email": "ap@harbor.example",
        "trade_references": "Acme Metals, J. Smith, 4 years, 20k\nBolt & Co, 2 years, 5k",
        "bank_reference": "First Bank: satisfactory for 50k",
        "currency": "USD",
        "requested_limit": "150000.00",
        "requested_terms": PaymentTerms.objects.get(net_days=45),
        **changes,
    }
    return credit_application_submit(actor=actor, **fields)


def _state() -> tuple:
    return (
        list(CreditApplication.objects.values_list("pk", "status")),
        Customer.objects.count(),
        CreditChange.objects.count(),
        AuditEntry.objects.count(),
    )


def test_an_application_goes_to_the_lowest_authority_that_covers_it(manager, senior, director):
    application = _submit(manager)

    assert (application.status, application.assigned_to) == ("pending", senior)
    assert AuditEntry.objects.filter(action="credit.application_submit").count() == 1


def test_approval_creates_the_customer_with_the_limit_and_terms_decided(manager, senior):
    application = _submit(manager)
    net30 = PaymentTerms.objects.get(net_days=30)

    decided = credit_application_decide(
        actor=senior,
        application=application,
        approve=True,
        limit="120000.00",
        terms=net30,
        comment="References good; 120k to start",
    )

    customer = Customer.objects.get(external_ref="HFS-001")
    assert (decided.status, decided.customer, decided.approved_limit) == (
        "approved",
        customer,
        Decimal("120000.00"),
    )
    assert (customer.name, customer.credit_limit, customer.payment_terms) == (
        "Harbor Freight Supply",
        Decimal("120000.00"),
        net30,
    )
    assert customer.billing_address == "1 Dock Road\nPortsmouth"
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.email, contact.is_primary) == (
        "Pat Payables",
        "ap@harbor.example",
        True,
    )
    change = CreditChange.objects.get(customer=customer)
    assert (change.limit_before, change.limit_after, change.actor) == (
        Decimal("0.00"),
        Decimal("120000.00"),
        senior,
    )


@pytest.mark.parametrize(
    ("who", "changes", "field"),
    [
        ("manager", {"approve": True}, "status"),  # their own application
        ("senior", {"approve": True, "limit": "900000.00"}, "limit"),  # above authority
        ("senior", {"approve": False, "comment": " "}, "comment"),
        ("senior", {"approve": True, "limit": "10.5", "currency": "JPY"}, "limit"),
    ],
)
def test_a_refused_decision_changes_nothing(manager, senior, who, changes, field):
    currency = changes.pop("currency", "USD")
    if currency != "USD":
        ExchangeRate.objects.create(
            currency_id=currency,
            quote_currency_id="USD",
            valid_from=datetime.date(2026, 1, 1),
            rate=Decimal("0.0067"),
        )
    application = _submit(manager, currency=currency, requested_limit="1000")
    before = _state()
    actor = {"manager": manager, "senior": senior}[who]

    with pytest.raises(ServiceError) as refused:
        credit_application_decide(
            actor=actor, application=application, **{"comment": "ok", **changes}
        )

    assert refused.value.field == field
    assert _state() == before


def test_an_application_for_an_existing_customer_number_is_refused(manager, senior, customer):
    with pytest.raises(ServiceError) as refused:
        _submit(manager, external_ref=customer.external_ref)
    assert refused.value.field == "external_ref"
    assert CreditApplication.objects.count() == 0


def test_the_pages_submit_list_decide_and_print(manager, senior, collector):
    response = logged_in(manager).post(
        "/credit/applications/",
        {
            "company_name": "Harbor Freight Supply",
            "external_ref": "HFS-001",
            "address": "1 Dock Road",
            "contact_name": "Pat Payables",
            "currency": "USD",
            "requested_limit": "150,000.00",
            "requested_terms": PaymentTerms.objects.get(net_days=45).pk,
            "trade_references": "Acme Metals, 4 years",
            "bank_reference": "First Bank: satisfactory",
        },
    )
    application = CreditApplication.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("credit_application", args=[application.pk])

    inbox = logged_in(senior).get("/credit/").content.decode()
    assert "Credit application" in inbox and "Harbor Freight Supply" in inbox

    decided = logged_in(senior).post(
        reverse("credit_application", args=[application.pk]),
        {"decision": "reject", "comment": "Bank reference too weak"},
    )
    assert decided.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.customer) == ("rejected", None)

    pdf = logged_in(senior).get(reverse("credit_application_pdf", args=[application.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    for name in ROUTES:
        url = reverse(name, args=[application.pk])
        assert logged_in(collector).get(url).status_code == 403
        assert logged_in(senior).get(reverse(name, args=[application.pk + 1])).status_code == 404
