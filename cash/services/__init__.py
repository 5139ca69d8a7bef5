"""Every write of the cash app; money itself moves only through ``invoices.services``."""

from .bank_imports import bank_import_process, bank_import_upload, bank_transaction_assign
from .csv_imports import csv_import_process, csv_import_upload
from .csv_mappings import csv_mapping_save
from .refunds import refund_decide, refund_limit_check, refund_request, refund_reverse
from .short_payments import payment_apply_short
from .unidentified import payment_mark_unidentified
from .write_offs import write_off_decide, write_off_limit_check, write_off_request

__all__ = [
    "bank_import_process",
    "bank_import_upload",
    "bank_transaction_assign",
    "csv_import_process",
    "csv_import_upload",
    "csv_mapping_save",
    "payment_apply_short",
    "payment_mark_unidentified",
    "refund_decide",
    "refund_limit_check",
    "refund_request",
    "refund_reverse",
    "write_off_decide",
    "write_off_limit_check",
    "write_off_request",
]
