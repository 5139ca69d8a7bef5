"""Reads behind finance's cash pages, scoped to what the user may see."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.money import ZERO
from accounts.selectors import customers_for, scope_to_portfolio
from invoices.models import CreditMemo, Invoice, Payment, PaymentStatus, Refund
from invoices.selectors import credit_memos_for, invoices_for, payments_for

from .models import (
    BankCsvMapping,
    BankImport,
    BankTransaction,
    Direction,
    MatchSuggestion,
    RefundRequest,
    UnidentifiedMark,
    WriteOffRequest,
    WriteOffStatus,
)

# an account with more open invoices than this shows the oldest ones; the rest by search
OPEN_INVOICES_SHOWN = 300


def unapplied_payments(user) -> QuerySet[Payment]:
    return (
        payments_for(user)
        .filter(status=PaymentStatus.POSTED, unapplied_amount__gt=0)
        .select_related("unidentified_mark")
        .prefetch_related(
            Prefetch(
                "suggestions",
                queryset=MatchSuggestion.objects.select_related("invoice").order_by("rank"),
            )
        )
        .order_by("received_date", "id")
    )


def unidentified_mark(payment: Payment) -> UnidentifiedMark | None:
    return UnidentifiedMark.objects.filter(payment=payment).select_related("marked_by").first()


def unapplied_credit_memos(user) -> QuerySet[CreditMemo]:
    return credit_memos_for(user).filter(unapplied_amount__gt=0).order_by("issue_date", "id")


def unidentified_credits() -> QuerySet[BankTransaction]:
    """Bank credits no customer could be found for: nobody's portfolio yet, so finance's."""
    return (
        BankTransaction.objects.filter(direction=Direction.CREDIT, payment__isnull=True)
        .select_related("currency")
        .order_by("booking_date", "id")
    )


def bank_transaction_for(pk: int) -> BankTransaction:
    """One bank row by id (finance's, like the unidentified list), or 404."""
    return get_object_or_404(BankTransaction.objects.select_related("currency"), pk=pk)


def bank_import_rows(bank_import: BankImport) -> QuerySet[BankTransaction]:
    """Every row of an import in file order, with what it became."""
    return bank_import.transactions.select_related(
        "currency", "payment", "customer", "returns_payment"
    ).order_by("line", "id")


def csv_mappings() -> QuerySet[BankCsvMapping]:
    return BankCsvMapping.objects.select_related("currency").order_by("name")


def csv_mapping(pk: int) -> BankCsvMapping:
    return get_object_or_404(BankCsvMapping, pk=pk)


def bank_debits() -> QuerySet[BankTransaction]:
    return (
        BankTransaction.objects.filter(direction=Direction.DEBIT)
        .select_related("currency")
        .order_by("-booking_date", "-id")
    )


def payment_for(user, pk: int) -> Payment:
    return get_object_or_404(payments_for(user), pk=pk)


def credit_memo_for(user, pk: int) -> CreditMemo:
    return get_object_or_404(credit_memos_for(user), pk=pk)


def open_invoices_qs(user, source: Payment | CreditMemo) -> QuerySet[Invoice]:
    """The invoices this money may settle: the payer's and its child accounts', in the
    money's currency, oldest due date first (the order cash is applied in by default)."""
    return (
        invoices_for(user)
        .filter(
            Q(customer_id=source.customer_id) | Q(customer__parent_id=source.customer_id),
            currency_id=source.currency_id,
            open_amount__gt=0,
        )
        .order_by("due_date", "issue_date", "id")
    )


def open_invoices_for(user, source: Payment | CreditMemo) -> list[Invoice]:
    return list(open_invoices_qs(user, source)[:OPEN_INVOICES_SHOWN])


def oldest_first(invoices: list[Invoice], amount: Decimal) -> dict[int, Decimal]:
    """What applying ``amount`` oldest-first would put on each invoice (the page's default)."""
    plan: dict[int, Decimal] = {}
    remaining = amount
    for invoice in invoices:
        if remaining <= ZERO:
            break
        share = min(remaining, invoice.open_amount)
        plan[invoice.pk] = share
        remaining -= share
    return plan


def live_applications(source: Payment | CreditMemo):
    """Applications of this money not yet reversed (the ones a person may reverse)."""
    return (
        source.applications.filter(reverses__isnull=True, reversed_by__isnull=True)
        .select_related("invoice")
        .order_by("effective_date", "id")
    )


def ledger_history(source: Payment | CreditMemo):
    return source.applications.select_related("invoice").order_by("created_at", "id")


def refund_history(source: Payment | CreditMemo) -> list[Refund]:
    """The money's refunds and contras with their reversals, in the order they were written;
    each knows whether it is reversed (``reversed_by``) without a query of its own."""
    return list(
        source.refunds.select_related("created_by", "reversed_by").order_by("created_at", "id")
    )


def refund_for(user, pk: int) -> Refund:
    """One refund or contra whose money belongs to a customer within the user's reach."""
    reachable = customers_for(user).values("pk")
    return get_object_or_404(
        Refund.objects.select_related("payment", "credit_memo").filter(
            Q(payment__customer__in=reachable) | Q(credit_memo__customer__in=reachable)
        ),
        pk=pk,
    )


def bank_imports() -> QuerySet[BankImport]:
    return BankImport.objects.select_related("uploaded_by").defer("content")


def write_off_requests_for(user) -> QuerySet[WriteOffRequest]:
    return scope_to_portfolio(
        WriteOffRequest.objects.select_related(
            "invoice", "invoice__customer", "requested_by", "decided_by"
        ),
        user,
        customer_path="invoice__customer",
    )


def pending_write_offs(user) -> QuerySet[WriteOffRequest]:
    return write_off_requests_for(user).filter(status=WriteOffStatus.PENDING)


def refund_requests_for(user) -> QuerySet[RefundRequest]:
    """Refund and contra requests within the user's reach (by the customer of the money)."""
    reachable = customers_for(user).values("pk")
    return RefundRequest.objects.select_related(
        "payment__customer",
        "credit_memo__customer",
        "invoice__customer",
        "requested_by",
        "decided_by",
        "refund__reversed_by",
    ).filter(
        Q(payment__customer__in=reachable)
        | Q(credit_memo__customer__in=reachable)
        | Q(invoice__customer__in=reachable)
    )


def pending_refunds(user) -> QuerySet[RefundRequest]:
    return refund_requests_for(user).filter(status=WriteOffStatus.PENDING)
