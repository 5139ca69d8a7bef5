"""Orders CSV import for ERPs without the API: the same rules and refusals as
``POST /api/v1/orders/``, errors by row, all rows or none (docs/orders.md).

One pass checks every row (``order_check``, once a row) and writes nothing; if no row is
refused, the checked orders are stored with ``order_receive_checked`` in the same
transaction, each decided at once. An order already in Dunwell with the same content is
unchanged; with other content, or under a reference the importer sees on another customer,
the row is refused.
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

from .order_services import CheckedOrder, order_check, order_receive_checked

ORDER_COLUMNS = Columns(
    required=("external_ref", "customer_ref", "amount", "currency", "requested_ship_date"),
    optional=(),
)
BATCH = 2000
SERVICE_FIELD_COLUMNS = {"customer": "customer_ref"}


def import_orders(source: Source, *, actor=None) -> ImportResult:
    """Import an orders CSV; any bad row refuses the whole file (``ImportRejected``)."""
    with open_sheet(source, ORDER_COLUMNS) as sheet, transaction.atomic():
        errors = ErrorCollector()
        result = ImportResult("orders")
        to_store = _checked_rows(sheet, errors, result, actor=actor)
        errors.raise_if_any()
        for row, checked in to_store:
            try:
                order_receive_checked(actor=actor, order=checked)
            except ServiceError as exc:  # another request took the reference meanwhile
                _service_error(row, exc)
        errors.raise_if_any()
        return result


def _checked_rows(
    sheet: Sheet, errors: ErrorCollector, result: ImportResult, *, actor
) -> list[tuple[Row, CheckedOrder]]:
    scope = Customer.objects.all() if actor is None else customers_for(actor)
    first_row: dict[str, int] = {}
    to_store = []
    for rows in batched(sheet.rows(errors), BATCH):
        refs = {row.text("customer_ref") for row in rows}
        customers = {
            c.external_ref: c
            for c in scope.select_related("currency").filter(external_ref__in=refs)
        }
        # the orders the importer may see under these references: ref → {customer: hash}
        known: dict[str, dict[int, str]] = {}
        for customer_id, ref, fingerprint in Order.objects.filter(
            external_ref__in=[row.text("external_ref") for row in rows],
            customer__in=scope.values("pk"),
        ).values_list("customer_id", "external_ref", "body_hash"):
            known.setdefault(ref, {})[customer_id] = fingerprint
        for row in rows:
            checked = _order_row(row, customers, known, first_row, result)
            if checked is not None:
                to_store.append((row, checked))
    return to_store


def _order_row(
    row: Row,
    customers: dict[str, Customer],
    known: dict[str, dict[int, str]],
    first_row: dict[str, int],
    result: ImportResult,
) -> CheckedOrder | None:
    """The row checked once; the order to store, or None (refused, or already in)."""
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
        return None
    try:
        checked = order_check(
            external_ref=ref,
            customer=customer,
            amount=amount,
            currency=currency,
            requested_ship_date=ship,
        )
    except ServiceError as exc:
        _service_error(row, exc)
        return None
    held = known.get(ref, {})
    if customer.pk in held:
        if held[customer.pk] != checked.fingerprint:
            row.error(
                "external_ref",
                f"order {ref} is already in Dunwell with other content; an import does not "
                "change it (send a change through the API)",
            )
        else:
            result.unchanged += 1
        return None
    if held:
        row.error("external_ref", f"order {ref} was already received for another customer")
        return None
    result.created += 1
    return checked


def _service_error(row: Row, exc: ServiceError) -> None:
    field = exc.field or ""
    column = SERVICE_FIELD_COLUMNS.get(field, field)
    row.error(column if column in ORDER_COLUMNS.all else None, exc.message)
