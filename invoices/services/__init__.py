"""Every change to money goes through these functions (DESIGN.md "The ledger").

Locks are always taken in one order — the payment or credit memo first, then invoices
by ascending id — so concurrent postings queue instead of deadlocking or over-applying.
"""

from .adjustments import invoice_adjust
from .allocations import Allocation
from .applications import application_reverse
from .credit_memos import credit_memo_apply, credit_memo_issue
from .invoices import NewInvoice, invoice_create, invoice_create_many
from .payments import payment_apply, payment_apply_oldest_first, payment_post, payment_void
from .payments_bulk import NewPayment, payment_post_many
from .refunds import refund_reverse, unapplied_refund

__all__ = [
    "Allocation",
    "NewInvoice",
    "NewPayment",
    "application_reverse",
    "credit_memo_apply",
    "credit_memo_issue",
    "invoice_adjust",
    "invoice_create",
    "invoice_create_many",
    "payment_apply",
    "payment_apply_oldest_first",
    "payment_post",
    "payment_post_many",
    "payment_void",
    "refund_reverse",
    "unapplied_refund",
]
