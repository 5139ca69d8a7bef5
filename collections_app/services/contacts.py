"""The account's contact details from the workspace: a contact added or changed, the
billing address traced to a new place. ``accounts.services`` owns the records and their
audit rows; these add the line on the timeline, in the same transaction."""

from __future__ import annotations

from django.db import transaction

from accounts import services as accounts
from accounts.models import Contact, Customer

from ..models import ActivityKind
from .activities import activity_add

FIELD_LABELS = {
    "name": "name",
    "role": "role",
    "email": "e-mail",
    "phone": "phone",
    "is_primary": "primary",
    "do_not_contact": "do not contact",
}


def _describe(contact: Contact) -> str:
    parts = [contact.name]
    if contact.role:
        parts.append(contact.role)
    if contact.phone:
        parts.append(contact.phone)
    if contact.email:
        parts.append(contact.email)
    flags = [
        label
        for flag, label in (
            (contact.is_primary, "primary"),
            (contact.do_not_contact, "do not contact"),
        )
        if flag
    ]
    return " · ".join(parts) + (f" ({', '.join(flags)})" if flags else "")


def contact_add(
    *,
    actor,
    customer: Customer,
    name: str,
    role: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    do_not_contact: bool = False,
) -> Contact:
    with transaction.atomic():
        contact = accounts.contact_add(
            actor=actor,
            customer=customer,
            name=name,
            role=role,
            phone=phone,
            email=email,
            is_primary=is_primary,
            do_not_contact=do_not_contact,
        )
        activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.DETAILS,
            summary=f"Contact added: {_describe(contact)}",
        )
    return contact


def contact_update(*, actor, contact: Contact, **changes) -> list[str]:
    with transaction.atomic():
        changed = accounts.contact_update(actor=actor, contact=contact, **changes)
        if changed:
            what = ", ".join(FIELD_LABELS[name] for name in changed)
            activity_add(
                actor=actor,
                customer=contact.customer,
                kind=ActivityKind.DETAILS,
                summary=f"Contact changed ({what}): {_describe(contact)}",
            )
    return changed


def billing_address_update(*, actor, customer: Customer, billing_address: str) -> bool:
    """The address letters go to; the old one stays in the audit row and on the timeline."""
    address = "\n".join(line.strip() for line in billing_address.strip().splitlines())
    with transaction.atomic():
        # read under the lock: the page's copy of the account may be older than the row
        before = (
            Customer.objects.select_for_update()
            .values_list("billing_address", flat=True)
            .get(pk=customer.pk)
        )
        accounts.customer_update(actor=actor, customer=customer, billing_address=address)
        if address == before:
            return False
        activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.DETAILS,
            summary="Billing address changed",
            note=f"{address}\n\n(was: {' / '.join(before.splitlines()) or 'none on file'})",
        )
    return True
