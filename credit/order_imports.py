"""Orders CSV import for ERPs without the API: the same rules and refusals as
``POST /api/v1/orders/``, errors by row, all rows or none (docs/orders.md).

Read twice in one transaction, as the ledger imports are: a checking pass that writes
nothing, then ``order_receive`` row by row, each order decided at once. An order already in
Dunwell with the same content is unchanged; with other content the row is refused.
"""

from __future__ import annotations

from django.db import transaction

from accounts.csv_reading import (
    Columns,
    ErrorCollector,
    ImportResult,
    Row,
    Sheet,
    Source,
    batched,
    open_sheet,
)
from accounts.errors import ServiceError
from accounts.models import Customer
from accounts.selectors import customers_for
from orders.models import Order

from .order_services import order_check, order_receive

ORDER_COLUMNS = Columns(
    required=("external_ref", "customer_ref", "amount", "currency", "requested_ship_date"),
    optional=(),
)
BATCH = 2000
SERVICE_FIELD_COLUMNS = {"customer": "customer_ref"}


def import_orders(source: Source, *, actor=None) -> ImportResult:
    """Import an orders CSV; any bad row refuses the whole file (``ImportRejected``)."""
    with open_sheet(source, ORDER_COLUMNS) as sheet, transaction.atomic():
        _orders(sheet, actor=actor, write=False)
        return _orders(sheet, actor=actor, write=True)


def _orders(sheet: Sheet, *, actor, write: bool) -> ImportResult:
    errors = ErrorCollector()
    result = ImportResult("orders")
    scope = Customer.objects.all() if actor is None else customers_for(actor)
    first_row: dict[str, int] = {}
    for rows in batched(sheet.rows(errors), BATCH):
        refs = {row.text("customer_ref") for row in rows}
        customers = {
            c.external_ref: c
            for c in scope.select_related("currency").filter(external_ref__in=refs)
        }
        known = dict(
            Order.objects.filter(
                external_ref__in=[row.text("external_ref") for row in rows]
            ).values_list("external_ref", "body_hash")
        )
        for row in rows:
            _order_row(row, customers, known, first_row, result, actor=actor, write=write)
    errors.raise_if_any()
    return result


def _order_row(
    row: Row,
    customers: dict[str, Customer],
    known: dict[str, str],
    first_row: dict[str, int],
    result: ImportResult,
    *,
    actor,
    write: bool,
) -> None:
    ref = row.text("external_ref", required=True, max_length=60)
    customer_ref = row.text("customer_ref", required=True, max_length=40)
    amount = row.positive_money("amount")
    currency = row.text("currency", required=True).upper()
    ship = row.date("requested_ship_date")
    customer = customers.get(customer_ref)
    if customer_ref and customer is None:
        row.error("customer_ref", f"unknown customer {customer_ref!r}")
    if ref and ref in first_row:
        row.error("external_ref", f"{ref!r} is also on row {first_row[ref]}")
    elif ref:
        first_row[ref] = row.number
    if not row.ok:
        return
    fields = {
        "external_ref": ref,
        "customer": customer,
        "amount": amount,
        "currency": currency,
        "requested_ship_date": ship,
    }
    try:
        _, _, _, fingerprint = order_check(**fields)
    except ServiceError as exc:
        _service_error(row, exc)
        return
    if ref in known:
        if known[ref] != fingerprint:
            row.error(
                "external_ref",
                f"order {ref} is already in Dunwell with other content; an import does not "
                "change it (send a change through the API)",
            )
        else:
            result.unchanged += 1
        return
    result.created += 1
    if write:
        try:
            order_receive(actor=actor, **fields)
        except ServiceError as exc:
            _service_error(row, exc)


def _service_error(row: Row, exc: ServiceError) -> None:
    field = exc.field or ""
    column = SERVICE_FIELD_COLUMNS.get(field, field)
    row.error(column if column in ORDER_COLUMNS.all else None, exc.message)
