"""Writes to customer accounts: create, change (audited field by field), contacts."""

from __future__ import annotations

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


def payment_terms_for_days(net_days: int) -> PaymentTerms:
    terms, _ = PaymentTerms.objects.get_or_create(
        net_days=net_days, defaults={"code": f"NET{net_days}", "name": f"Net {net_days}"}
    )
    return terms


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
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
    if collector is not None and not collector.is_active:
        raise ServiceError(f"{collector} is not an active user", field="assigned_collector")
    if collector is not None and not can_collect(collector):
        raise ServiceError(
            f"{collector} cannot collect: assign accounts to collectors or credit managers",
            field="assigned_collector",
        )
    return clean


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
    external_ref = (external_ref or "").strip()
    if not external_ref:
        raise ServiceError("external_ref is required", field="external_ref")
    fields = _clean(
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
    try:
        with transaction.atomic():
            customer = Customer.objects.create(external_ref=external_ref, **fields)
            audit_record(
                actor=actor,
                action="customer.create",
                instance=customer,
                after=snapshot(customer, CUSTOMER_FIELDS),
            )
            starting = {"credit_status": CreditStatus.GOOD, "credit_limit": Decimal("0.00")}
            run_credit_recorded(
                actor=actor,
                customer=customer,
                changes={
                    k: (first, getattr(customer, k))
                    for k, first in starting.items()
                    if getattr(customer, k) != first
                },
                source=credit_source,
                created=True,
            )
    except IntegrityError:
        if Customer.objects.filter(external_ref=external_ref).exists():
            raise ServiceError(
                f"customer {external_ref} already exists", field="external_ref", code="duplicate"
            ) from None
        raise
    return customer


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
    changes = _clean(changes)
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
    if customer.invoices.exists() or customer.payments.exists() or customer.credit_memos.exists():
        raise ServiceError(
            f"{customer.external_ref} has ledger entries in {customer.currency_id}; "
            "its currency cannot change",
            field="currency",
        )


def _refuse_parent_loop(customer: Customer, parent: Customer) -> None:
    """Walk up from the new parent; meeting the customer again would make a loop."""
    seen: set[int] = set()
    current: Customer | None = parent
    while current is not None and current.pk not in seen:
        if current.pk == customer.pk:
            raise ServiceError(
                f"{parent.external_ref} is {customer.external_ref} itself or one of its "
                "child accounts, so it cannot be its parent",
                field="parent",
            )
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
    name = one_line_name(name, field="name")
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if is_primary:
            Contact.objects.filter(customer=customer, is_primary=True).update(is_primary=False)
        contact = Contact.objects.create(
            customer=customer,
            name=name.strip(),
            email=(email or "").strip(),
            phone=(phone or "").strip(),
            role=(role or "").strip(),
            is_primary=is_primary,
            do_not_contact=do_not_contact,
        )
        audit_record(
            actor=actor,
            action="contact.add",
            instance=contact,
            after=snapshot(contact, ["customer", *CONTACT_FIELDS]),
        )
    return contact


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
