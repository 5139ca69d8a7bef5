"""Cash application at statement scale: 10,000 generated bank credits (the remittance styles,
RF references, noisy payers, combined, part and short payments of tests/cash/generated.py)
against a book of 1,500 customers, imported, matched and posted by the task's service in one
process. Prints straight-through by payment and by invoice, the wrong-apply rate and the time
per 10,000 payments.

It brings its own customers and invoices and writes inside the test's transaction, which is
rolled back: the bench database stays as generate_data left it (any migrated database will do).
On ``dunwell_bench`` the generate_data book's 226,000 open invoices are in the same currency,
and the matcher's search of invoice numbers by digits (a ``regexp_replace`` scan of the open
invoices, docs/cash.md) is paid on every credit: run it on a small migrated database to
measure the matcher and the ledger, on the bench database to see that scan's cost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dunwell_bench \\
        .venv/bin/pytest tests/bench/test_bench_cash.py -s --benchmarks -p no:warnings

CASH_BENCH_CREDITS changes the number of credits (default 10,000).
"""

from __future__ import annotations

import os
import random
import time

import pytest
from django.conf import settings

from cash import services
from cash.models import BankImport
from tests.cash import generated
from tests.cash.statements import camt053

pytestmark = pytest.mark.django_db


def test_matching_10000_credits():
    count = int(os.environ.get("CASH_BENCH_CREDITS", "10000"))
    rng = random.Random(2026)
    data = generated.book(rng, customers=max(40, count // 6), invoices=(8, 14))
    entries, cases = generated.credits(data, rng, count)
    job = services.bank_import_upload(actor=None, file_name="bench.xml", content=camt053(entries))

    started = time.perf_counter()
    services.bank_import_process(bank_import_id=job.pk)
    elapsed = time.perf_counter() - started

    job = BankImport.objects.get(pk=job.pk)
    assert job.status == "done", job.errors[:5]
    measured = generated.measure(cases)
    per_10k = elapsed / len(entries) * 10_000
    print(
        f"\ncash matching at threshold {settings.CASH_AUTO_APPLY_THRESHOLD}: {measured.line()}; "
        f"wrong-apply rate {len(measured.wrong) / max(1, measured.applications):.3%}; "
        f"{len(entries)} rows (with {len(data.customers)} history credits) in {elapsed:.1f} s: "
        f"{per_10k / 60:.1f} min per 10,000 payments imported, matched and posted"
    )
    assert measured.wrong == []
