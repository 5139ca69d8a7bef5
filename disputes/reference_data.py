"""The reason codes every installation starts with (admins edit them afterwards)."""

from __future__ import annotations

from .models import Department

# code, label, owner department, SLA in days
REASONS: list[tuple[str, str, str, int]] = [
    ("pricing", "Pricing error", Department.SALES, 10),
    ("quantity", "Quantity / short shipment", Department.SHIPPING, 10),
    ("damaged", "Damaged goods", Department.SHIPPING, 10),
    ("not_received", "Not received", Department.SHIPPING, 7),
    ("duplicate", "Duplicate billing", Department.BILLING, 5),
    ("tax", "Tax", Department.BILLING, 10),
    ("po_missing", "Missing PO", Department.BILLING, 5),
    ("quality", "Quality", Department.QUALITY, 15),
    ("other", "Other", Department.COLLECTIONS, 10),
    ("deduction", "Deduction — to be coded", Department.COLLECTIONS, 5),
]
# A short payment opens a deduction under this reason until someone codes it.
DEDUCTION_REASON = "deduction"


def ensure_dispute_reasons(DisputeReason) -> None:
    """Create the missing reasons; never overwrite what an admin changed."""
    for code, label, department, sla_days in REASONS:
        DisputeReason.objects.get_or_create(
            code=code,
            defaults={"label": label, "department": str(department), "sla_days": sla_days},
        )
