"""Every change to money goes through these functions (DESIGN.md "The ledger").

Locks are always taken in one order — the payment or credit memo first, then invoices
by ascending id — so concurrent postings queue instead of deadlocking or over-applying.
"""

from .adjustments import invoice_adjust
from .allocations import Allocation
from .applications import application_reverse
from .credit_memos import credit_memo_apply, credit_memo_issue
from .invoices import invoice_create
from .payments import payment_apply, payment_apply_oldest_first, payment_post, payment_void
from .refunds import unapplied_refund

__all__ = [
    "Allocation",
    "application_reverse",
    "credit_memo_apply",
    "credit_memo_issue",
    "invoice_adjust",
    "invoice_create",
    "payment_apply",
    "payment_apply_oldest_first",
    "payment_post",
    "payment_void",
    "unapplied_refund",
]
