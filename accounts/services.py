"""Writes to customer accounts: create, change (audited field by field), contacts."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from .audit import audit_record, snapshot
from .errors import ServiceError
from .hooks import CREDIT_FIELDS, run_credit_recorded, run_customer_changed
from .models import Contact, CreditStatus, Currency, Customer, PaymentTerms
from .money import to_money

CUSTOMER_FIELDS = [
    "external_ref",
    "name",
    "parent",
    "currency",
    "payment_terms",
    "credit_limit",
    "credit_status",
    "assigned_collector",
    "do_not_contact",
    "billing_address",
]
UPDATABLE = set(CUSTOMER_FIELDS) - {"external_ref"}
COLLECT_PERMISSION = "collections_app.add_activity"
CREDIT_AT_START = {"credit_status": CreditStatus.GOOD, "credit_limit": Decimal("0.00")}
# the ledger's rows that fix an account's currency (reverse relations: no import upward)
LEDGER_RELATIONS = ("invoices", "payments", "credit_memos")


def payment_terms_for_days(net_days: int) -> PaymentTerms:
    terms, _ = PaymentTerms.objects.get_or_create(
        net_days=net_days, defaults={"code": f"NET{net_days}", "name": f"Net {net_days}"}
    )
    return terms


def clean_customer_fields(changes: dict[str, Any]) -> dict[str, Any]:
    clean = dict(changes)
    if "credit_limit" in clean:
        limit = to_money(clean["credit_limit"], field="credit_limit")
        if limit < 0:
            raise ServiceError("credit limit cannot be negative", field="credit_limit")
        clean["credit_limit"] = limit
    if "credit_status" in clean and clean["credit_status"] not in CreditStatus.values:
        raise ServiceError(
            f"unknown credit status {clean['credit_status']!r}", field="credit_status"
        )
    if "currency" in clean and isinstance(clean["currency"], str):
        currency = Currency.objects.filter(code=clean["currency"]).first()
        if currency is None:
            raise ServiceError(f"unknown currency {clean['currency']!r}", field="currency")
        clean["currency"] = currency
    if "name" in clean:
        clean["name"] = one_line_name(clean["name"], field="name")
    collector = clean.get("assigned_collector")
    if collector is not None:
        check_collector(collector)
    return clean


def check_collector(user) -> None:
    """Refuse a user who may not own accounts (inactive, or no right to collect)."""
    if not user.is_active:
        raise ServiceError(f"{user} is not an active user", field="assigned_collector")
    if not can_collect(user):
        raise ServiceError(
            f"{user} cannot collect: assign accounts to collectors or credit managers",
            field="assigned_collector",
        )


def can_collect(user) -> bool:
    """Whether a user works accounts (logs calls, records promises): who may own one."""
    return user.is_active and user.has_perm(COLLECT_PERMISSION)


def one_line_name(value: Any, *, field: str) -> str:
    """A name on one line: it heads letters, e-mail headers and CSV cells."""
    name = str(value or "").strip()
    if not name:
        raise ServiceError(f"{field} is required", field=field)
    if len(name.splitlines()) > 1 or any(c in name for c in "\r\n\x85\u2028\u2029"):
        raise ServiceError(f"{field} must be on one line, without line breaks", field=field)
    return name


def customer_create(
    *,
    actor,
    external_ref: str,
    name: str,
    currency: Currency | str,
    payment_terms: PaymentTerms | None = None,
    credit_limit: Decimal | str = Decimal("0"),
    credit_source: str = "admin",
    **extra: Any,
) -> Customer:
    """A new account; a limit (or a status other than good) it starts with is the first row
    of its credit history, with ``credit_source`` as the reason."""
    external_ref, fields = new_customer_fields(
        external_ref=external_ref,
        name=name,
        currency=currency,
        payment_terms=payment_terms,
        credit_limit=credit_limit,
        **extra,
    )
    try:
        with transaction.atomic():
            customer = Customer.objects.create(external_ref=external_ref, **fields)
            audit_record(
                actor=actor,
                action="customer.create",
                instance=customer,
                after=snapshot(customer, CUSTOMER_FIELDS),
            )
            run_credit_recorded(
                actor=actor,
                customer=customer,
                changes=starting_credit(customer),
                source=credit_source,
                created=True,
            )
    except IntegrityError:
        if Customer.objects.filter(external_ref=external_ref).exists():
            raise already_exists(external_ref) from None
        raise
    return customer


def new_customer_fields(
    *,
    external_ref: str,
    name: str,
    currency: Currency | str,
    payment_terms: PaymentTerms | None = None,
    credit_limit: Decimal | str = Decimal("0"),
    **extra: Any,
) -> tuple[str, dict[str, Any]]:
    """A new account's reference and checked fields (``customer_create`` and the bulk path)."""
    external_ref = (external_ref or "").strip()
    if not external_ref:
        raise ServiceError("external_ref is required", field="external_ref")
    fields = clean_customer_fields(
        {
            "name": name,
            "currency": currency,
            "credit_limit": credit_limit,
            "payment_terms": payment_terms or payment_terms_for_days(30),
            **extra,
        }
    )
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ServiceError(f"unknown customer fields: {', '.join(sorted(unknown))}")
    return external_ref, fields


def starting_credit(customer: Customer) -> dict[str, tuple]:
    """A new account's limit or status other than the default, as a credit change."""
    return {
        k: (first, getattr(customer, k))
        for k, first in CREDIT_AT_START.items()
        if getattr(customer, k) != first
    }


def already_exists(external_ref: str) -> ServiceError:
    return ServiceError(
        f"customer {external_ref} already exists", field="external_ref", code="duplicate"
    )


def customer_update(
    *,
    actor,
    customer: Customer,
    credit_source: str = "admin",
    credit_comment: str = "",
    **changes: Any,
) -> Customer:
    """Change account settings; credit limit, status and collector changes are audited, and
    a credit status or limit change goes into credit's history with ``credit_source`` (the
    path it came by: "admin", "import", "dunning") as its reason. A person deciding on credit
    uses credit's own services, which ask for a reason code."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ServiceError(f"cannot change: {', '.join(sorted(unknown))}")
    changes = clean_customer_fields(changes)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if changes.get("parent") is not None:
            _refuse_parent_loop(locked, changes["parent"])
        if "currency" in changes and changes["currency"].pk != locked.currency_id:
            _refuse_currency_change(locked)
        before = snapshot(locked, list(changes))
        before_values = {k: getattr(locked, k) for k in CREDIT_FIELDS}
        for name, value in changes.items():
            setattr(locked, name, value)
        after = snapshot(locked, list(changes))
        changed = [name for name in changes if before[name] != after[name]]
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=actor,
                action="customer.update",
                instance=locked,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
            run_customer_changed(locked.pk, changed)
            run_credit_recorded(
                actor=actor,
                customer=locked,
                changes={
                    k: (before_values[k], getattr(locked, k)) for k in changed if k in CREDIT_FIELDS
                },
                source=credit_source,
                comment=credit_comment,
            )
    for name in changes:
        setattr(customer, name, getattr(locked, name))
    return customer


def _refuse_currency_change(customer: Customer) -> None:
    """Amounts keep the currency they were booked in; the account's currency (its credit
    limit, its statement totals) cannot move away from them."""
    if with_ledger_entries([customer.pk]):
        raise currency_fixed(customer)


def with_ledger_entries(customer_ids: Iterable[int]) -> set[int]:
    """The customers among these with an invoice, payment or credit memo (a query per kind,
    stopping once every customer is found)."""
    left = set(customer_ids)
    found: set[int] = set()
    for relation in LEDGER_RELATIONS:
        if not left:
            break
        rel = Customer._meta.get_field(relation)
        booked = rel.related_model._default_manager.filter(**{f"{rel.field.attname}__in": left})
        found.update(booked.values_list(rel.field.attname, flat=True).distinct())
        left -= found
    return found


def currency_fixed(customer: Customer) -> ServiceError:
    return ServiceError(
        f"{customer.external_ref} has ledger entries in {customer.currency_id}; "
        "its currency cannot change",
        field="currency",
    )


def parent_loop(customer: Customer, parent: Customer) -> ServiceError:
    return ServiceError(
        f"{parent.external_ref} is {customer.external_ref} itself or one of its "
        "child accounts, so it cannot be its parent",
        field="parent",
    )


def _refuse_parent_loop(customer: Customer, parent: Customer) -> None:
    """Walk up from the new parent; meeting the customer again would make a loop."""
    seen: set[int] = set()
    current: Customer | None = parent
    while current is not None and current.pk not in seen:
        if current.pk == customer.pk:
            raise parent_loop(customer, parent)
        seen.add(current.pk)
        current = (
            Customer.objects.filter(pk=current.parent_id).first() if current.parent_id else None
        )


def contact_add(
    *,
    actor,
    customer: Customer,
    name: str,
    email: str = "",
    phone: str = "",
    role: str = "",
    is_primary: bool = False,
    do_not_contact: bool = False,
) -> Contact:
    contact = new_contact(
        customer=customer,
        name=name,
        email=email,
        phone=phone,
        role=role,
        is_primary=is_primary,
        do_not_contact=do_not_contact,
    )
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if is_primary:
            Contact.objects.filter(customer=customer, is_primary=True).update(is_primary=False)
        contact.save(force_insert=True)
        audit_record(
            actor=actor,
            action="contact.add",
            instance=contact,
            after=snapshot(contact, ["customer", *CONTACT_FIELDS]),
        )
    return contact


def new_contact(
    *,
    customer: Customer,
    name: str,
    email: str = "",
    phone: str = "",
    role: str = "",
    is_primary: bool = False,
    do_not_contact: bool = False,
) -> Contact:
    """The contact ``contact_add`` saves, checked but not yet saved (the bulk path's too)."""
    return Contact(
        customer=customer,
        name=one_line_name(name, field="name"),
        email=(email or "").strip(),
        phone=(phone or "").strip(),
        role=(role or "").strip(),
        is_primary=is_primary,
        do_not_contact=do_not_contact,
    )


CONTACT_FIELDS = ["name", "role", "email", "phone", "is_primary", "do_not_contact"]


def contact_update(*, actor, contact: Contact, **changes: Any) -> list[str]:
    """Change a contact's details (audited before and after); returns the fields changed.
    Making one contact primary makes the account's other primary contact not primary."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ServiceError(f"cannot change: {', '.join(sorted(unknown))}")
    for name in ("role", "email", "phone"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    if "name" in changes:
        changes["name"] = one_line_name(changes["name"], field="name")
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=contact.customer_id).first()
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        before = snapshot(locked, list(changes))
        for name, value in changes.items():
            setattr(locked, name, value)
        after = snapshot(locked, list(changes))
        changed = [name for name in changes if before[name] != after[name]]
        if not changed:
            return []
        if changes.get("is_primary"):
            Contact.objects.filter(customer_id=locked.customer_id, is_primary=True).exclude(
                pk=locked.pk
            ).update(is_primary=False)
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="contact.update",
            instance=locked,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    for name in changes:
        setattr(contact, name, getattr(locked, name))
    return changed
