"""Orders CSV import (``POST /api/v1/imports/orders/``): the API's rules, errors by row, all
rows or none; a file sent again changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEntry
from credit import services as credit_services
from orders.models import Order, OrderDecision
from tests.factories import CustomerFactory

from .conftest import api

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/orders/"
HEADER = "external_ref,customer_ref,amount,currency,requested_ship_date\n"


def upload(user, content: str, **headers):
    file = SimpleUploadedFile("orders.csv", content.encode(), content_type="text/csv")
    return api(user).post(URL, {"file": file}, format="multipart", **headers)


def _state() -> tuple:
    return (
        sorted(Order.objects.values_list("external_ref", "status", "amount")),
        OrderDecision.objects.count(),
        AuditEntry.objects.filter(action__startswith="order.").count(),
    )


def test_each_row_is_decided_like_an_api_order(erp, manager, customer):
    stopped = CustomerFactory(external_ref="STOPPED", credit_limit=1000)
    credit_services.credit_status_set(
        actor=manager, customer=stopped, status="stop", reason="legal"
    )

    response = upload(
        erp,
        HEADER + "SO-1,ACME,1200.00,USD,2026-12-20\n"
        "SO-2,ACME,60000.00,usd,2026-12-21\n"
        "SO-3,STOPPED,10.00,USD,2026-12-22\n",
    )

    assert response.status_code == 200
    assert response.json()["summary"] == "orders: 3 created, 0 updated, 0 unchanged"
    orders = {o.external_ref: o for o in Order.objects.all()}
    assert {ref: o.status for ref, o in orders.items()} == {
        "SO-1": "released",
        "SO-2": "held",
        "SO-3": "held",
    }
    assert [r["code"] for r in orders["SO-2"].reasons] == ["over_limit"]
    assert [r["code"] for r in orders["SO-3"].reasons] == ["account_stop"]
    assert orders["SO-1"].decided_by == erp


def test_the_same_file_again_leaves_every_order_unchanged(erp, customer):
    content = HEADER + "SO-1,ACME,1200.00,USD,2026-12-20\nSO-2,ACME,5.00,USD,2026-12-21\n"
    upload(erp, content)
    before = _state()

    response = upload(erp, content)

    assert response.json()["summary"] == "orders: 0 created, 0 updated, 2 unchanged"
    assert _state() == before


def test_bad_rows_are_refused_by_row_and_column_and_nothing_is_stored(erp, collector, customer):
    CustomerFactory(external_ref="EURO", currency_id="EUR", assigned_collector=collector)
    upload(erp, HEADER + "SO-OLD,ACME,10.00,USD,2026-12-20\n")
    before = _state()

    response = upload(
        erp,
        HEADER + "SO-1,ACME,1200.00,USD,2026-12-20\n"  # fine, but the file is refused whole
        "SO-2,NOBODY,10.00,USD,2026-12-20\n"
        "SO-3,EURO,10.00,USD,2026-12-20\n"
        "SO-4,ACME,0.00,USD,2026-12-20\n"
        "SO-5,ACME,100000000.01,USD,2026-12-20\n"
        "SO-6,ACME,10.00,USD,20.12.2026\n"
        "SO-1,ACME,1200.00,USD,2026-12-20\n"
        "SO-OLD,ACME,11.00,USD,2026-12-20\n",
    )

    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [
        (3, "customer_ref"),
        (4, "currency"),
        (5, "amount"),
        (6, "amount"),
        (7, "requested_ship_date"),
        (8, "external_ref"),
        (9, "external_ref"),
    ]
    assert _state() == before


def test_a_collector_may_not_import_orders(collector, customer):
    response = upload(collector, HEADER + "SO-1,ACME,1.00,USD,2026-12-20\n")

    assert response.status_code == 403
    assert _state() == ([], 0, 0)


def test_each_row_is_checked_once(erp, customer, monkeypatch):
    from credit import order_imports

    calls = []
    real = order_imports.order_check

    def counting(**fields):
        calls.append(fields["external_ref"])
        return real(**fields)

    monkeypatch.setattr(order_imports, "order_check", counting)
    response = upload(
        erp, HEADER + "SO-1,ACME,1200.00,USD,2026-12-20\nSO-2,ACME,5.00,USD,2026-12-21\n"
    )

    assert response.json()["summary"] == "orders: 2 created, 0 updated, 0 unchanged"
    assert calls == ["SO-1", "SO-2"]
    assert Order.objects.count() == 2


def test_a_reference_the_importer_sees_on_another_customer_is_refused(erp, customer):
    CustomerFactory(external_ref="SISTER")
    upload(erp, HEADER + "SO-1,ACME,10.00,USD,2026-12-20\n")
    before = _state()

    response = upload(erp, HEADER + "SO-1,SISTER,10.00,USD,2026-12-20\n")

    assert response.status_code == 400
    assert [(e["row"], e["column"], e["reason"]) for e in response.json()["errors"]] == [
        (2, "external_ref", "order SO-1 was already received for another customer")
    ]
    assert _state() == before
