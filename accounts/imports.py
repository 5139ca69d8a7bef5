"""Customers CSV import: create or update accounts from an ERP export, all or nothing.

Two passes over the file in one transaction: the first only checks, so a file with a bad
row costs no writes; the second writes a batch of rows at a time through the set-based
services (``accounts.services_bulk``), which check, audit and record credit changes as the
one-at-a-time services do, in a fixed number of statements per batch. A blank optional cell
leaves an existing customer's value as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from .bulk_rows import as_array
from .csv_reading import (
    Columns,
    ErrorCollector,
    ImportResult,
    Row,
    Sheet,
    Source,
    batched,
    open_sheet,
)
from .errors import ServiceError
from .models import Contact, Currency, Customer, PaymentTerms
from .selectors import customers_for
from .services import payment_terms_for_days
from .services_bulk import (
    ServiceErrors,
    contact_add_many,
    customer_create_many,
    customer_update_many,
)

COLUMNS = Columns(
    required=("external_ref", "name", "currency"),
    optional=(
        "payment_terms",
        "credit_limit",
        "collector",
        "parent_ref",
        "contact_name",
        "contact_email",
        "contact_phone",
    ),
)
BATCH = 1000
# progress("checked" | "written", rows so far): how a background import shows its bar
Progress = Callable[[str, int], None]
SERVICE_FIELD_COLUMNS = {"assigned_collector": "collector", "parent": "parent_ref"}
CONTACT_FIELD_COLUMNS = {"name": "contact_name", "email": "contact_email", "phone": "contact_phone"}


@dataclass(slots=True)
class _Line:
    row: Row
    external_ref: str
    name: str
    currency: str
    payment_terms: int | None
    credit_limit: Decimal | None
    collector: str
    parent_ref: str
    contact_name: str
    contact_email: str
    contact_phone: str


def import_customers(
    source: Source, *, actor=None, progress: Progress | None = None
) -> ImportResult:
    """Import a customers CSV; any bad row refuses the whole file (``ImportRejected``)."""
    with open_sheet(source, COLUMNS) as sheet, transaction.atomic():
        _check(sheet, _scope(actor), progress)
        return _write(sheet, actor, progress)


def _scope(actor) -> QuerySet[Customer]:
    """The customers an import may name: the actor's reach, or all for a system import."""
    if actor is None:
        return Customer.objects.all()
    return customers_for(actor).select_related(None)


def _read(row: Row) -> _Line:
    """The row's values (a cell that cannot be read is an error on the row)."""
    return _Line(
        row=row,
        external_ref=row.text("external_ref", required=True, max_length=40),
        name=row.text("name", required=True, max_length=200),
        currency=row.text("currency", required=True).upper(),
        payment_terms=row.integer("payment_terms", maximum=365),
        credit_limit=row.money("credit_limit", required=False),
        collector=row.text("collector", max_length=150),
        parent_ref=row.text("parent_ref", max_length=40),
        contact_name=row.text("contact_name", max_length=120),
        contact_email=row.text("contact_email", max_length=254),
        contact_phone=row.text("contact_phone", max_length=40),
    )


def _check_line(line: _Line, currencies: set[str]) -> None:
    """What the check pass asks of a row beyond its cells (the writing pass reads only)."""
    row = line.row
    if line.currency and line.currency not in currencies:
        row.error(
            "currency",
            f"unknown currency {line.currency!r}; known: {', '.join(sorted(currencies))}",
        )
    if line.parent_ref and line.parent_ref == line.external_ref:
        row.error("parent_ref", "a customer cannot be its own parent")
    if line.contact_email:
        try:
            validate_email(line.contact_email)
        except ValidationError:
            row.error("contact_email", f"{line.contact_email!r} is not an e-mail address")
    if not line.contact_name and (line.contact_email or line.contact_phone):
        row.error("contact_name", "is required when contact_email or contact_phone is given")


def _check(sheet: Sheet, scope: QuerySet[Customer], progress: Progress | None = None) -> None:
    errors = ErrorCollector()
    seen = 0
    currencies = set(Currency.objects.values_list("code", flat=True))
    first_row: dict[str, int] = {}
    parents: dict[str, tuple[str, int]] = {}
    collectors: dict[str, list[int]] = defaultdict(list)
    for row in sheet.rows(errors):
        seen += 1
        if progress is not None and seen % BATCH == 0:
            progress("checked", seen)
        line = _read(row)
        _check_line(line, currencies)
        ref = line.external_ref
        if ref in first_row:
            row.error("external_ref", f"{ref!r} is also on row {first_row[ref]}")
            continue
        if ref:
            first_row[ref] = row.number
        if ref and line.parent_ref and line.parent_ref != ref:
            parents[ref] = (line.parent_ref, row.number)
        if line.collector:
            collectors[line.collector].append(row.number)
    _check_collectors(collectors, errors)
    _check_parents(parents, first_row, scope, errors)
    errors.raise_if_any()
    if progress is not None:
        progress("checked", seen)


def _check_collectors(collectors: dict[str, list[int]], errors: ErrorCollector) -> None:
    active: set[str] = set()
    for chunk in batched(collectors, BATCH):
        users = get_user_model().objects.filter(username__in=chunk, is_active=True)
        active.update(users.values_list("username", flat=True))
    for username, rows in collectors.items():
        if username not in active:
            for number in rows:
                errors.add(number, "collector", f"no active user is called {username!r}")


def _check_parents(
    parents: dict[str, tuple[str, int]],
    in_file: dict[str, int],
    scope: QuerySet[Customer],
    errors: ErrorCollector,
) -> None:
    """Every parent exists (here or in the file) and no chain of parents loops back."""
    outside = {parent for parent, _ in parents.values() if parent not in parents}
    known_parent: dict[str, str | None] = {}
    for chunk in batched(outside, BATCH):
        found = scope.filter(external_ref__in=chunk)
        known_parent.update(found.values_list("external_ref", "parent__external_ref"))
    existing = set(known_parent)
    known_parent.update((ref, None) for ref in outside - existing)
    for parent, number in parents.values():
        if parent not in in_file and parent not in existing:
            reason = f"unknown customer {parent!r}: neither in Dunwell nor in this file"
            errors.add(number, "parent_ref", reason)

    def parent_of(ref: str) -> str | None:
        if ref in parents:
            return parents[ref][0]
        if ref not in known_parent:
            found = scope.filter(external_ref=ref).values_list("parent__external_ref", flat=True)
            known_parent[ref] = found.first()
        return known_parent[ref]

    for start, (_, number) in parents.items():
        chain = [start]
        current = parent_of(start)
        while current is not None and current not in chain:
            chain.append(current)
            current = parent_of(current)
        if current == start:
            loop = " -> ".join([*chain, start])
            errors.add(number, "parent_ref", f"parents would go round in a loop: {loop}")


class _Writer:
    """The second pass: a batch of rows at a time through the set-based services, remembering
    what it has looked up."""

    def __init__(self, actor, result: ImportResult, errors: ErrorCollector):
        self.actor = actor
        self.result = result
        self.errors = errors
        self.scope = _scope(actor)
        self.currencies = {currency.code: currency for currency in Currency.objects.all()}
        self.net_days = dict(PaymentTerms.objects.values_list("pk", "net_days"))
        self.terms: dict[int, PaymentTerms] = {}
        self.users: dict[str, Any] = {}
        self.customers: dict[str, Customer] = {}
        self.contacts: dict[int, tuple[set[str], set[str]]] = {}
        self.waiting: dict[str, list[_Line]] = defaultdict(list)

    def load(self, lines: list[_Line]) -> None:
        refs = {line.external_ref for line in lines} | {line.parent_ref for line in lines}
        wanted = refs - self.customers.keys() - {""}
        wanted_array = as_array(wanted, Customer._meta.get_field("external_ref"))
        found = list(self.scope.filter(external_ref__in=wanted_array))
        self.customers.update((customer.external_ref, customer) for customer in found)
        if found:
            self._load_contacts([customer.pk for customer in found])
        usernames = {line.collector for line in lines} - self.users.keys() - {""}
        for user in get_user_model().objects.filter(username__in=usernames, is_active=True):
            self.users[user.get_username()] = user

    def _load_contacts(self, customer_ids: list[int]) -> None:
        """The names and e-mails of the contacts these customers have (lower case)."""
        keys = as_array(customer_ids, Customer._meta.pk)
        contacts = Contact.objects.filter(customer_id__in=keys)
        for customer_id, name, email in contacts.values_list("customer", "name", "email"):
            names, emails = self.contacts.setdefault(customer_id, (set(), set()))
            names.add(name.lower())
            emails.add(email.lower())

    def ready(self, lines: list[_Line]) -> list[_Line]:
        """The lines that can be written now, parents before children: a line whose parent
        comes later in the file is held until its parent's batch."""
        ready: list[_Line] = []
        taken: set[str] = set()
        for line in lines:
            parent = line.parent_ref
            if parent and parent not in self.customers and parent not in taken:
                self.waiting[parent].append(line)
                continue
            held = [line]
            while held:
                current = held.pop()
                ready.append(current)
                taken.add(current.external_ref)
                held.extend(self.waiting.pop(current.external_ref, []))
        return ready

    def terms_for(self, net_days: int) -> PaymentTerms:
        if net_days not in self.terms:
            self.terms[net_days] = payment_terms_for_days(net_days)
        return self.terms[net_days]

    def write(self, lines: list[_Line]) -> None:
        """Create the new customers, change the known ones, add the contacts: each a set."""
        if self.errors or not lines:
            return
        new = [line for line in lines if line.external_ref not in self.customers]
        known = [line for line in lines if line.external_ref in self.customers]
        if not self._create(new):
            return
        changed = self._update(known)
        if changed is None:
            return
        with_contact = self._add_contacts(lines)
        if with_contact is None:
            return
        self.result.created += len(new)
        touched = changed | with_contact
        self.result.updated += sum(1 for line in known if line.external_ref in touched)
        self.result.unchanged += sum(1 for line in known if line.external_ref not in touched)

    def _refused(self, lines: list[_Line], exc: ServiceError, columns: dict[str, str]) -> None:
        """Each refused item's error on its row, in the column the service's field is."""
        refused = exc.errors if isinstance(exc, ServiceErrors) else {None: exc}
        for position, error in refused.items():
            column = columns.get(error.field or "", error.field)
            column = column if column in COLUMNS.all else None
            if position is None:
                self.errors.add(None, column, error.message)
            else:
                lines[position].row.error(column, error.message)

    def _create(self, lines: list[_Line]) -> bool:
        items = [
            {
                "external_ref": line.external_ref,
                "name": line.name,
                "currency": self.currencies[line.currency],
                "payment_terms": self.terms_for(
                    30 if line.payment_terms is None else line.payment_terms
                ),
                "credit_limit": Decimal("0") if line.credit_limit is None else line.credit_limit,
                "assigned_collector": self.users.get(line.collector),
                "parent": self._parent(line),
            }
            for line in lines
        ]
        try:
            created = customer_create_many(
                actor=self.actor, customers=items, credit_source="import"
            )
        except ServiceError as exc:
            self._refused(lines, exc, SERVICE_FIELD_COLUMNS)
            return False
        self.customers.update((customer.external_ref, customer) for customer in created)
        return True

    def _parent(self, line: _Line) -> Customer | str | None:
        """The parent account, or the reference of one created in the same batch."""
        if not line.parent_ref:
            return None
        return self.customers.get(line.parent_ref, line.parent_ref)

    def _update(self, lines: list[_Line]) -> set[str] | None:
        """The known customers whose row differs, changed; their references."""
        changing = []
        changes = []
        for line in lines:
            customer = self.customers[line.external_ref]
            fields = self._changes(line, customer)
            if fields:
                changing.append(line)
                changes.append((customer, fields))
        try:
            customer_update_many(actor=self.actor, changes=changes, credit_source="import")
        except ServiceError as exc:
            self._refused(changing, exc, SERVICE_FIELD_COLUMNS)
            return None
        return {line.external_ref for line in changing}

    def _changes(self, line: _Line, customer: Customer) -> dict[str, object]:
        changes: dict[str, object] = {}
        if line.name != customer.name:
            changes["name"] = line.name
        if line.currency != customer.currency_id:
            changes["currency"] = self.currencies[line.currency]
        terms = line.payment_terms
        if terms is not None and terms != self.net_days.get(customer.payment_terms_id):
            changes["payment_terms"] = self.terms_for(terms)
        if line.credit_limit is not None and line.credit_limit != customer.credit_limit:
            changes["credit_limit"] = line.credit_limit
        collector = self.users.get(line.collector)
        if collector is not None and collector.pk != customer.assigned_collector_id:
            changes["assigned_collector"] = collector
        parent = self.customers.get(line.parent_ref)
        if parent is not None and parent.pk != customer.parent_id:
            changes["parent"] = parent
        return changes

    def _add_contacts(self, lines: list[_Line]) -> set[str] | None:
        """Each row's contact unless its customer already has one by that name or e-mail;
        the first contact of a customer is its primary one. The references given one."""
        adding = []
        items = []
        for line in lines:
            if not line.contact_name:
                continue
            customer = self.customers[line.external_ref]
            names, emails = self.contacts.setdefault(customer.pk, (set(), set()))
            email = line.contact_email.lower()
            if line.contact_name.lower() in names or (email and email in emails):
                continue
            adding.append(line)
            items.append(
                {
                    "customer": customer,
                    "name": line.contact_name,
                    "email": line.contact_email,
                    "phone": line.contact_phone,
                    "is_primary": not names,
                }
            )
            names.add(line.contact_name.lower())
            emails.add(email)
        try:
            contact_add_many(actor=self.actor, contacts=items)
        except ServiceError as exc:
            self._refused(adding, exc, CONTACT_FIELD_COLUMNS)
            return None
        return {line.external_ref for line in adding}


def _write(sheet: Sheet, actor, progress: Progress | None = None) -> ImportResult:
    errors = ErrorCollector()
    result = ImportResult("customers")
    writer = _Writer(actor, result, errors)
    written = 0
    for rows in batched(sheet.rows(errors), BATCH):
        lines = [_read(row) for row in rows]
        writer.load(lines)
        writer.write(writer.ready(lines))
        written += len(rows)
        if progress is not None:
            progress("written", written)
    errors.raise_if_any()
    for lines in writer.waiting.values():
        for line in lines:
            line.row.error("parent_ref", f"unknown customer {line.parent_ref!r}")
    errors.raise_if_any()
    return result
