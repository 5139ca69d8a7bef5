"""A credit status or limit written by accounts' own paths — the admin form, the CSV
customer import, a new customer's first limit — lands in credit's history with the path as
its reason, like a decision made on the credit page (issue 12: "history of every limit with
who, when, why")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from accounts import roles
from accounts.imports import import_customers
from accounts.models import Customer
from accounts.services import customer_create, customer_update
from collections_app.models import Activity
from credit.models import CreditChange, CreditChangeKind, CreditReason
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db


def _history(customer) -> list[tuple]:
    return list(
        CreditChange.objects.filter(customer=customer)
        .order_by("pk")
        .values_list(
            "kind", "status_before", "status_after", "limit_before", "limit_after", "reason"
        )
    )


def test_the_admin_form_records_limit_and_status_with_who_and_why():
    admin = user_in_role(roles.ADMIN, "ada")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    customer = CustomerFactory(credit_limit=Decimal("10000.00"))
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/accounts/customer/{customer.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update(
        {
            "credit_limit": "25000.00",
            "credit_status": "watch",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        }
    )
    data = {k: v for k, v in data.items() if v is not False}

    response = client.post(f"/admin/accounts/customer/{customer.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _history(customer) == [
        (CreditChangeKind.STATUS, "good", "watch", None, None, CreditReason.ADMIN),
        (CreditChangeKind.LIMIT, "", "", Decimal("10000.00"), Decimal("25000.00"), "admin"),
    ]
    assert set(CreditChange.objects.values_list("actor__username", flat=True)) == {"ada"}
    assert list(
        Activity.objects.filter(customer=customer, kind="credit")
        .order_by("pk")
        .values_list("summary", flat=True)
    ) == [
        "Credit status: Good standing → Watch (Changed in the admin)",
        f"Credit limit: 10,000.00 {customer.currency_id} → 25,000.00 {customer.currency_id} "
        "(Changed in the admin)",
    ]


def test_the_customer_import_records_new_and_changed_limits(tmp_path):
    CustomerFactory(external_ref="ACME", credit_limit=Decimal("5000.00"), currency_id="USD")
    path = tmp_path / "customers.csv"
    path.write_text(
        "external_ref,name,currency,payment_terms,credit_limit\r\n"
        "ACME,Acme Holdings,USD,30,7500.00\r\n"
        "BOLT,Bolt Brothers,USD,30,2000.00\r\n"
        "CALM,Calm Co,USD,30,\r\n"
    )
    finance = user_in_role(roles.FINANCE, "fin")

    import_customers(path, actor=finance)

    acme, bolt, calm = (Customer.objects.get(external_ref=r) for r in ("ACME", "BOLT", "CALM"))
    assert _history(acme) == [
        (CreditChangeKind.LIMIT, "", "", Decimal("5000.00"), Decimal("7500.00"), "import")
    ]
    # a new account's first limit is its first history row; no timeline line for it
    assert _history(bolt) == [
        (CreditChangeKind.LIMIT, "", "", Decimal("0.00"), Decimal("2000.00"), "import")
    ]
    assert not Activity.objects.filter(customer=bolt).exists()
    assert _history(calm) == []
    assert Activity.objects.get(customer=acme, kind="credit").summary == (
        "Credit limit: 5,000.00 USD → 7,500.00 USD (Customer import)"
    )


def test_a_change_that_is_not_about_credit_writes_no_credit_history():
    customer = CustomerFactory()
    customer_update(actor=None, customer=customer, name="Renamed Ltd")
    created = customer_create(actor=None, external_ref="NEW-1", name="New", currency="USD")
    assert (_history(customer), _history(created)) == ([], [])


def test_an_unknown_source_is_refused_and_nothing_is_written():
    from accounts.errors import ServiceError

    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    with pytest.raises(ServiceError):
        customer_update(actor=None, customer=customer, credit_limit="200.00", credit_source="x")
    customer.refresh_from_db()
    assert (customer.credit_limit, _history(customer)) == (Decimal("100.00"), [])
