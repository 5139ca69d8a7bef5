"""Every write of the cash app; money itself moves only through ``invoices.services``."""

from .bank_imports import bank_import_process, bank_import_upload, bank_transaction_assign
from .write_offs import write_off_decide, write_off_request

__all__ = [
    "bank_import_process",
    "bank_import_upload",
    "bank_transaction_assign",
    "write_off_decide",
    "write_off_request",
]
