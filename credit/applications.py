"""Credit applications of new customers (docs/credit.md): submitted with company data,
trade and bank references and the limit and terms asked for; forwarded, like a limit
request, to the credit manager or admin with the lowest authority that covers the limit;
approved (with the limit and terms decided, which creates the customer) or rejected.
The decision prints as a PDF.

Locks: the application row; the customer is created inside the same transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import Currency, Customer, PaymentTerms
from accounts.money import in_minor_units, to_money
from accounts.pdf import pdf_from_html
from accounts.services import contact_add, customer_create

from . import selectors
from .models import (
    APPLICATION_TRANSITIONS,
    ApplicationStatus,
    CreditApplication,
    CreditReason,
)
from .services import _limit_write, _lock

REQUIRED = {
    "company_name": "the company's name",
    "external_ref": "the customer number it will get",
    "address": "the address",
    "contact_name": "a contact",
    "trade_references": "at least one trade reference",
    "bank_reference": "the bank reference",
}
TEXT_FIELDS = [
    "company_name",
    "external_ref",
    "registration_number",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "trade_references",
    "bank_reference",
]


def _actor_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _amount(value, currency: str, field: str) -> Decimal:
    amount = in_minor_units(to_money(value, field=field), currency, field=field)
    if amount < 0:
        raise ServiceError("a credit limit cannot be negative", field=field)
    return amount


def credit_application_submit(
    *,
    actor,
    currency: str,
    requested_limit: Decimal | str,
    requested_terms: PaymentTerms,
    **fields: str,
) -> CreditApplication:
    """Record an application and forward it to whoever's authority covers the limit."""
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ServiceError(f"unknown fields: {', '.join(sorted(unknown))}")
    values = {name: (fields.get(name) or "").strip() for name in TEXT_FIELDS}
    for name, words in REQUIRED.items():
        if not values[name]:
            raise ServiceError(f"give {words}", field=name)
    if not Currency.objects.filter(code=currency).exists():
        raise ServiceError(f"unknown currency {currency!r}", field="currency")
    limit = _amount(requested_limit, currency, "requested_limit")
    if Customer.objects.filter(external_ref=values["external_ref"]).exists():
        raise ServiceError(
            f"customer {values['external_ref']} already exists", field="external_ref"
        )
    submitter = _actor_or_none(actor)
    approver = selectors.approver_for(amount=limit, currency=currency, exclude=submitter)
    if approver is None:
        raise ServiceError(
            f"nobody's credit authority covers {format_amount(limit, currency)} "
            "(or no exchange rate "
            "is in force for it); ask an admin to raise one",
            field="requested_limit",
            code="no_authority",
        )
    with transaction.atomic():
        application = CreditApplication.objects.create(
            **values,
            currency_id=currency,
            requested_limit=limit,
            requested_terms=requested_terms,
            submitted_by=submitter,
            assigned_to=approver,
        )
        audit_record(
            actor=actor,
            action="credit.application_submit",
            instance=application,
            after={
                "company_name": values["company_name"],
                "requested_limit": str(limit),
                "currency": currency,
                "requested_terms": requested_terms.code,
                "assigned_to": approver.pk,
            },
        )
    return application


def credit_application_decide(
    *,
    actor,
    application: CreditApplication,
    approve: bool,
    comment: str,
    limit: Decimal | str | None = None,
    terms: PaymentTerms | None = None,
) -> CreditApplication:
    """Approve with a limit and terms (the decider's authority must cover the limit; the
    customer is created with them) or reject, with a reason. Nobody decides their own."""
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError("give the reason for the decision", field="comment")
    decider = _actor_or_none(actor)
    with transaction.atomic():
        locked = CreditApplication.objects.select_for_update().get(pk=application.pk)
        target = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        if target not in APPLICATION_TRANSITIONS[locked.status]:
            raise ServiceError(
                f"this application is already {locked.get_status_display().lower()}",
                field="status",
                code="invalid_transition",
            )
        if decider is not None and decider.pk == locked.submitted_by_id:
            raise ServiceError(
                "you submitted this application: someone else decides it",
                field="status",
                code="own_application",
            )
        if approve:
            approved = _amount(
                locked.requested_limit if limit in (None, "") else limit,
                locked.currency_id,
                "limit",
            )
            terms = terms or locked.requested_terms
            if not selectors.authority_covers(
                decider, amount=approved, currency=locked.currency_id
            ):
                raise ServiceError(
                    f"{format_amount(approved, locked.currency_id)} is above your credit authority",
                    field="limit",
                    code="no_authority",
                )
            customer = customer_create(
                actor=actor,
                external_ref=locked.external_ref,
                name=locked.company_name,
                currency=locked.currency_id,
                payment_terms=terms,
                billing_address=locked.address,
            )
            contact_add(
                actor=actor,
                customer=customer,
                name=locked.contact_name,
                email=locked.contact_email,
                phone=locked.contact_phone,
                is_primary=True,
            )
            if approved > 0:
                _limit_write(
                    actor=actor,
                    customer=_lock(customer),
                    limit=approved,
                    reason=CreditReason.FINANCIAL_STATEMENTS,
                    comment=f"Credit application approved. {comment}",
                )
            locked.customer = customer
            locked.approved_limit = approved
            locked.approved_terms = terms
        locked.status = target
        locked.decided_by = decider
        locked.decided_at = timezone.now()
        locked.decision_comment = comment
        locked.save()
        audit_record(
            actor=actor,
            action="credit.application_decide",
            instance=locked,
            before={"status": ApplicationStatus.PENDING},
            after={
                "status": target,
                "comment": comment,
                "approved_limit": str(locked.approved_limit) if approve else None,
                "approved_terms": locked.approved_terms.code if approve else None,
                "customer": locked.customer_id,
            },
        )
    return locked


def applications_open() -> QuerySet[CreditApplication]:
    return CreditApplication.objects.filter(status=ApplicationStatus.PENDING)


def application_pdf(application: CreditApplication) -> bytes:
    """The printable decision (or the pending application) as a PDF."""
    html = render_to_string(
        "credit/application_pdf.html",
        {
            "application": application,
            "company": {
                "name": settings.COMPANY_NAME,
                "address_lines": settings.COMPANY_ADDRESS.replace("\\n", "\n").splitlines(),
            },
            "printed_at": timezone.localtime(),
        },
    )
    return pdf_from_html(html, language="en")
