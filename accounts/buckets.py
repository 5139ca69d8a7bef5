"""The aging buckets: one definition, labels included, for the queue, the workspace, letters
and statements, reports and exports. Days are days past due (or since issue, for the
aging's "invoice" basis); day 0 is current."""

from __future__ import annotations

BUCKETS = ("current", "1_30", "31_60", "61_90", "91_120", "over_120")
BUCKET_LABELS = {
    "current": "Current",
    "1_30": "1\u201330",
    "31_60": "31\u201360",
    "61_90": "61\u201390",
    "91_120": "91\u2013120",
    "over_120": "Over 120",
}
# days past due (basis "due") or since issue (basis "invoice") → bucket
# SQL fragments only: they are interpolated with a column expression, never with a value.
BUCKET_DAYS = {
    "current": "{days} <= 0",
    "1_30": "{days} BETWEEN 1 AND 30",
    "31_60": "{days} BETWEEN 31 AND 60",
    "61_90": "{days} BETWEEN 61 AND 90",
    "91_120": "{days} BETWEEN 91 AND 120",
    "over_120": "{days} > 120",
}
_WHENS = " ".join(f"WHEN {BUCKET_DAYS[b]} THEN '{b}'" for b in BUCKETS[:-1])
BUCKET_SQL = f"CASE {_WHENS} ELSE '{BUCKETS[-1]}' END"


def bucket_of(days_past_due: int) -> str:
    """The bucket key of an item ``days_past_due`` days late (BUCKET_SQL, in Python)."""
    for limit, bucket in ((0, "current"), (30, "1_30"), (60, "31_60"), (90, "61_90")):
        if days_past_due <= limit:
            return bucket
    return "91_120" if days_past_due <= 120 else "over_120"
