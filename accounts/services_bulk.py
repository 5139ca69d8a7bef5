"""Set-based writes to customer accounts, for a batch at a time (the customer import).

Each function does what its one-at-a-time service in ``services`` does for every item —
the same checks (by the same functions), the same audit entries, the same credit history
and the same hooks — in a fixed number of statements per batch: one INSERT or UPDATE for
the rows, one for their audit entries, and each hook once with every customer touched.
Every item is checked before anything is written; refused items are all named at once in
``ServiceErrors`` and nothing of the batch is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .audit import audit_record_many, snapshot
from .bulk_rows import as_array, insert_rows, update_columns
from .errors import ServiceError
from .hooks import CREDIT_FIELDS, run_credits_recorded, run_customers_changed
from .models import Contact, Customer
from .services import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    UPDATABLE,
    already_exists,
    check_collector,
    clean_customer_fields,
    currency_fixed,
    new_contact,
    new_customer_fields,
    parent_loop,
    payment_terms_for_days,
    starting_credit,
    with_ledger_entries,
)

NOT_GIVEN = object()


class ServiceErrors(ServiceError):
    """Items of a batch were refused: ``errors`` maps the position of each refused item to
    its refusal (the first one found, as the one-at-a-time service would raise it)."""

    def __init__(self, errors: Mapping[int, ServiceError]):
        self.errors = dict(sorted(errors.items()))
        first = next(iter(self.errors.values()))
        super().__init__(first.message, field=first.field, code=first.code)


def customer_create_many(
    *, actor, customers: Sequence[Mapping[str, Any]], credit_source: str = "admin"
) -> list[Customer]:
    """New accounts, each item with ``customer_create``'s keyword arguments. An item's
    ``parent`` is a saved customer or the ``external_ref`` of another item: parents are set
    after the INSERT, so a parent may come after its children. Returned in item order."""
    if not customers:
        return []
    errors: dict[int, ServiceError] = {}
    made: dict[int, Customer] = {}
    parent_refs: dict[int, str] = {}
    checked: dict[int, ServiceError | None] = {}
    default_terms = None
    for position, given in enumerate(customers):
        item = dict(given)
        if isinstance(item.get("parent"), str):
            parent_refs[position] = item.pop("parent").strip()
        if item.get("payment_terms") is None:
            default_terms = default_terms or payment_terms_for_days(30)
            item["payment_terms"] = default_terms
        collector = item.pop("assigned_collector", NOT_GIVEN)
        try:
            external_ref, fields = new_customer_fields(**item)
            _check_collector_once(collector, checked)
        except ServiceError as exc:
            errors[position] = exc
            continue
        if collector is not NOT_GIVEN:
            fields["assigned_collector"] = collector
        made[position] = Customer(external_ref=external_ref, **fields)
    _refuse_twice_in_batch(made, errors)
    _refuse_parent_refs(made, parent_refs, errors)
    if errors:
        raise ServiceErrors(errors)
    new = list(made.values())
    with transaction.atomic():
        _insert(made)
        by_ref = {customer.external_ref: customer for customer in new}
        children = [made[position] for position in parent_refs]
        for position, ref in parent_refs.items():
            made[position].parent = by_ref[ref]
        update_columns(children, ["parent"])
        audit_record_many(
            actor=actor,
            action="customer.create",
            instances=new,
            after=lambda customer: snapshot(customer, CUSTOMER_FIELDS),
        )
        run_credits_recorded(
            actor=actor,
            records=[(customer, starting_credit(customer)) for customer in new],
            source=credit_source,
            created=True,
        )
    return new


def _check_collector_once(collector: Any, checked: dict[int, ServiceError | None]) -> None:
    """``check_collector`` once per user of a batch: asking the auth backends whether a user
    may collect costs more than the rest of a row's checks."""
    if collector is NOT_GIVEN or collector is None:
        return
    if collector.pk not in checked:
        try:
            check_collector(collector)
            checked[collector.pk] = None
        except ServiceError as exc:
            checked[collector.pk] = exc
    refusal = checked[collector.pk]
    if refusal is not None:
        raise refusal


def _refuse_twice_in_batch(made: dict[int, Customer], errors: dict[int, ServiceError]) -> None:
    seen: set[str] = set()
    for position, customer in made.items():
        if customer.external_ref in seen:
            errors[position] = already_exists(customer.external_ref)
        seen.add(customer.external_ref)


def _refuse_parent_refs(
    made: dict[int, Customer], parent_refs: dict[int, str], errors: dict[int, ServiceError]
) -> None:
    """A parent named by reference is another new customer, and no chain of them loops."""
    position_of = {customer.external_ref: position for position, customer in made.items()}
    settled: set[int] = set()  # chains known to end at a saved parent or at none
    for start, ref in parent_refs.items():
        if start not in made:
            continue
        if ref not in position_of:
            reason = f"unknown customer {ref!r}: not among the new customers"
            errors[start] = ServiceError(reason, field="parent")
            continue
        chain = [start]
        current: int | None = position_of[ref]
        while current in parent_refs and current not in settled and current not in chain:
            chain.append(current)
            current = position_of.get(parent_refs[current])
        if current == start:
            errors[start] = parent_loop(made[start], made[position_of[ref]])
        elif current not in chain:
            settled.update(chain)


def _insert(made: dict[int, Customer]) -> None:
    try:
        with transaction.atomic():
            insert_rows(list(made.values()))
    except IntegrityError:
        refs = [customer.external_ref for customer in made.values()]
        taken = set(
            Customer.objects.filter(external_ref__in=refs).values_list("external_ref", flat=True)
        )
        if not taken:
            raise
        raise ServiceErrors(
            {
                position: already_exists(customer.external_ref)
                for position, customer in made.items()
                if customer.external_ref in taken
            }
        ) from None


def customer_update_many(
    *,
    actor,
    changes: Sequence[tuple[Customer, Mapping[str, Any]]],
    credit_source: str = "admin",
    credit_comment: str = "",
) -> list[list[str]]:
    """``customer_update`` for many accounts (each at most once): the rows locked in id
    order, one UPDATE of the fields that really changed, a ``customer.update`` entry with
    before and after for each changed account. A new parent is checked against the parents
    of the whole batch, so every item that would close a loop is refused. Returns each
    item's changed fields."""
    if not changes:
        return []
    errors: dict[int, ServiceError] = {}
    cleaned: dict[int, tuple[Customer, dict[str, Any]]] = {}
    seen: set[int] = set()
    checked: dict[int, ServiceError | None] = {}
    for position, (customer, given) in enumerate(changes):
        unknown = set(given) - UPDATABLE
        item = dict(given)
        collector = item.pop("assigned_collector", NOT_GIVEN)
        try:
            if unknown:
                raise ServiceError(f"cannot change: {', '.join(sorted(unknown))}")
            if customer.pk in seen:
                raise ServiceError(f"{customer.external_ref} is changed twice in one batch")
            fields = clean_customer_fields(item)
            _check_collector_once(collector, checked)
        except ServiceError as exc:
            errors[position] = exc
            continue
        finally:
            seen.add(customer.pk)
        if collector is not NOT_GIVEN:
            fields["assigned_collector"] = collector
        cleaned[position] = (customer, fields)
    changed: dict[int, list[str]] = {position: [] for position in range(len(changes))}
    with transaction.atomic():
        ids = sorted(customer.pk for customer, _ in cleaned.values())
        keys = as_array(ids, Customer._meta.pk)
        locking = Customer.objects.select_for_update().filter(pk__in=keys).order_by("pk")
        locked = {row.pk: row for row in locking}
        _refuse_loops(cleaned, locked, errors)
        _refuse_currency_changes(cleaned, locked, errors)
        if errors:
            raise ServiceErrors(errors)
        now = timezone.now()
        before: dict[int, dict[str, Any]] = {}
        after: dict[int, dict[str, Any]] = {}
        credit: list[tuple[Customer, dict[str, tuple]]] = []
        for position, (customer, fields) in cleaned.items():
            row = locked[customer.pk]
            old = snapshot(row, list(fields))
            credit_before = {k: getattr(row, k) for k in CREDIT_FIELDS}
            for name, value in fields.items():
                setattr(row, name, value)
            new = snapshot(row, list(fields))
            names = [name for name in fields if old[name] != new[name]]
            if names:
                row.updated_at = now
                changed[position] = names
                before[row.pk] = {k: old[k] for k in names}
                after[row.pk] = {k: new[k] for k in names}
                moved = [k for k in names if k in CREDIT_FIELDS]
                credit.append((row, {k: (credit_before[k], getattr(row, k)) for k in moved}))
        rows = [locked[pk] for pk in before]
        columns = sorted({name for names in changed.values() for name in names})
        if rows:
            update_columns(rows, [*columns, "updated_at"])
            audit_record_many(
                actor=actor,
                action="customer.update",
                instances=rows,
                before=lambda row: before[row.pk],
                after=lambda row: after[row.pk],
            )
        run_customers_changed({row.pk: after[row.pk].keys() for row in rows})
        run_credits_recorded(
            actor=actor, records=credit, source=credit_source, comment=credit_comment
        )
    for customer, fields in cleaned.values():
        for name in fields:
            setattr(customer, name, getattr(locked[customer.pk], name))
    return [changed[position] for position in range(len(changes))]


LOOPS_SQL = """
WITH RECURSIVE proposed(id, parent_id) AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(parents)s::bigint[])
),
up(start, id) AS (
    SELECT id, parent_id FROM proposed WHERE parent_id IS NOT NULL
  UNION
    SELECT up.start, CASE WHEN p.id IS NULL THEN c.parent_id ELSE p.parent_id END
    FROM up
    JOIN {table} c ON c.id = up.id
    LEFT JOIN proposed p ON p.id = up.id
    WHERE up.id <> up.start
)
SELECT DISTINCT start FROM up WHERE id = start
"""


def _refuse_loops(
    cleaned: dict[int, tuple[Customer, dict[str, Any]]],
    locked: dict[int, Customer],
    errors: dict[int, ServiceError],
) -> None:
    """Walk up from every new parent in one statement, with the batch's parents in place of
    the stored ones: meeting the customer again would make a loop (``customer_update``'s
    rule, for the batch at once)."""
    moves = {
        customer.pk: (position, fields["parent"])
        for position, (customer, fields) in cleaned.items()
        if "parent" in fields and position not in errors
    }
    if not any(parent is not None for _, parent in moves.values()):
        return
    ids = list(moves)
    parents = [None if parent is None else parent.pk for _, parent in moves.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            LOOPS_SQL.format(table=connection.ops.quote_name(Customer._meta.db_table)),
            {"ids": ids, "parents": parents},
        )
        looping = [pk for (pk,) in cursor.fetchall()]
    for pk in looping:
        position, parent = moves[pk]
        errors[position] = parent_loop(locked[pk], parent)


def _refuse_currency_changes(
    cleaned: dict[int, tuple[Customer, dict[str, Any]]],
    locked: dict[int, Customer],
    errors: dict[int, ServiceError],
) -> None:
    moving = {
        customer.pk: position
        for position, (customer, fields) in cleaned.items()
        if "currency" in fields
        and fields["currency"].pk != locked[customer.pk].currency_id
        and position not in errors
    }
    for pk in with_ledger_entries(moving):
        errors[moving[pk]] = currency_fixed(locked[pk])


def contact_add_many(*, actor, contacts: Sequence[Mapping[str, Any]]) -> list[Contact]:
    """New contacts, each item with ``contact_add``'s keyword arguments: one INSERT and a
    ``contact.add`` entry each. A primary one makes its account's other primary contact
    not primary; at most one item per account may be primary."""
    if not contacts:
        return []
    errors: dict[int, ServiceError] = {}
    made: dict[int, Contact] = {}
    primary: set[int] = set()
    for position, item in enumerate(contacts):
        try:
            contact = new_contact(**item)
            if contact.is_primary and contact.customer_id in primary:
                raise ServiceError(
                    "only one new contact of an account can be its primary contact",
                    field="is_primary",
                )
        except ServiceError as exc:
            errors[position] = exc
            continue
        if contact.is_primary:
            primary.add(contact.customer_id)
        made[position] = contact
    if errors:
        raise ServiceErrors(errors)
    new = list(made.values())
    with transaction.atomic():
        ids = as_array({contact.customer_id for contact in new}, Customer._meta.pk)
        list(Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
        if primary:
            accounts = as_array(primary, Customer._meta.pk)
            Contact.objects.filter(customer_id__in=accounts, is_primary=True).update(
                is_primary=False
            )
        insert_rows(new)
        audit_record_many(
            actor=actor,
            action="contact.add",
            instances=new,
            after=lambda contact: snapshot(contact, ["customer", *CONTACT_FIELDS]),
        )
    return new
