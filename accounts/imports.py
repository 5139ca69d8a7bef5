"""Customers CSV import: create or update accounts from an ERP export, all or nothing.

Two passes over the file in one transaction: the first only checks, so a file with a bad
row costs no writes; the second writes through the services, so every change is audited
as if typed in. A blank optional cell leaves an existing customer's value as it is.
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
from .services import contact_add, customer_create, customer_update, payment_terms_for_days

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


def _parse(row: Row, currencies: set[str]) -> _Line:
    line = _Line(
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
    return line


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
        line = _parse(row, currencies)
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
    """The second pass: writes through the services, remembering what it has looked up."""

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
        found = list(self.scope.filter(external_ref__in=wanted))
        self.customers.update((customer.external_ref, customer) for customer in found)
        contacts = Contact.objects.filter(customer__in=found)
        for customer_id, name, email in contacts.values_list("customer", "name", "email"):
            names, emails = self.contacts.setdefault(customer_id, (set(), set()))
            names.add(name.lower())
            emails.add(email.lower())
        usernames = {line.collector for line in lines} - self.users.keys() - {""}
        for user in get_user_model().objects.filter(username__in=usernames, is_active=True):
            self.users[user.get_username()] = user

    def take(self, line: _Line) -> None:
        """Save a line, or hold it until its parent (later in the file) has been created."""
        if line.parent_ref and line.parent_ref not in self.customers:
            self.waiting[line.parent_ref].append(line)
            return
        ready = [line]
        while ready:
            current = ready.pop()
            self.save(current)
            ready.extend(self.waiting.pop(current.external_ref, []))

    def terms_for(self, net_days: int) -> PaymentTerms:
        if net_days not in self.terms:
            self.terms[net_days] = payment_terms_for_days(net_days)
        return self.terms[net_days]

    def save(self, line: _Line) -> None:
        if self.errors:
            return
        try:
            customer = self.customers.get(line.external_ref)
            if customer is None:
                self.customers[line.external_ref] = customer = self._create(line)
                self._add_contact(line, customer)
                self.result.created += 1
                return
            changes = self._changes(line, customer)
            if changes:
                customer_update(
                    actor=self.actor, customer=customer, credit_source="import", **changes
                )
            contact_added = self._add_contact(line, customer)
        except ServiceError as exc:
            column = SERVICE_FIELD_COLUMNS.get(exc.field or "", exc.field)
            line.row.error(column if column in COLUMNS.all else None, exc.message)
            return
        if changes or contact_added:
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def _create(self, line: _Line) -> Customer:
        parent = self.customers[line.parent_ref] if line.parent_ref else None
        return customer_create(
            actor=self.actor,
            credit_source="import",
            external_ref=line.external_ref,
            name=line.name,
            currency=self.currencies[line.currency],
            payment_terms=self.terms_for(30 if line.payment_terms is None else line.payment_terms),
            credit_limit=line.credit_limit if line.credit_limit is not None else Decimal("0"),
            assigned_collector=self.users.get(line.collector),
            parent=parent,
        )

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

    def _add_contact(self, line: _Line, customer: Customer) -> bool:
        """Add the row's contact unless the customer already has one by that name or e-mail."""
        if not line.contact_name:
            return False
        names, emails = self.contacts.setdefault(customer.pk, (set(), set()))
        email = line.contact_email.lower()
        if line.contact_name.lower() in names or (email and email in emails):
            return False
        contact_add(
            actor=self.actor,
            customer=customer,
            name=line.contact_name,
            email=line.contact_email,
            phone=line.contact_phone,
            is_primary=not names,
        )
        names.add(line.contact_name.lower())
        emails.add(email)
        return True


def _write(sheet: Sheet, actor, progress: Progress | None = None) -> ImportResult:
    errors = ErrorCollector()
    result = ImportResult("customers")
    writer = _Writer(actor, result, errors)
    codes = set(writer.currencies)
    written = 0
    for rows in batched(sheet.rows(errors), BATCH):
        lines = [_parse(row, codes) for row in rows]
        writer.load(lines)
        for line in lines:
            writer.take(line)
        written += len(rows)
        if progress is not None:
            progress("written", written)
    errors.raise_if_any()
    for lines in writer.waiting.values():
        for line in lines:
            line.row.error("parent_ref", f"unknown customer {line.parent_ref!r}")
    errors.raise_if_any()
    return result
