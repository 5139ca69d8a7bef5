"""Bank statements in: upload, then (in a Celery task) every credit becomes a Payment through
the ledger's ``payment_post``, ranked against the payer's open invoices and applied when the
matcher is sure enough. Debits and returns are listed.

All or nothing where it matters: the whole file is checked before a row is written (a
malformed file is refused with the line and record of every problem and posts nothing).
Then each row is written in its own transaction, the progress counted between rows, so the
page can show it; a row is either fully posted (transaction, payment, suggestions,
applications, audit) or not at all, and a re-run after a crash skips what is done: a bank
transaction is one row per account and reference (a UNIQUE constraint), so importing a
statement twice creates nothing new.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.money import in_minor_units, to_money
from invoices import services as ledger
from invoices.models import Payment, PaymentStatus

from .. import matching
from ..bankfiles import BankFileError, StatementLine, describe, detect_format, parse, problem
from ..models import (
    BankCsvMapping,
    BankImport,
    BankTransaction,
    ImportStatus,
    MatchSuggestion,
)

PROGRESS_EVERY = 25  # rows between progress updates
NEVER_AUTOMATIC = 101  # above any score: what a person posts, a person applies


def bank_import_upload(
    *, actor, file_name: str, content: bytes, csv_mapping: BankCsvMapping | None = None
) -> BankImport:
    """Store the file and queue its import (after commit); its format must be one we read
    (a CSV file is read with the bank's saved column mapping)."""
    if not content:
        raise ServiceError("the file is empty", field="file")
    try:
        fmt = "csv" if csv_mapping is not None else detect_format(content)
    except BankFileError as error:
        raise ServiceError(describe(error.errors[0]), field="file") from None
    from ..tasks import bank_import_run

    with transaction.atomic():
        bank_import = BankImport.objects.create(
            file_name=(file_name or "statement")[:200],
            format=fmt,
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            csv_mapping=csv_mapping,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="bank_import.upload",
            instance=bank_import,
            after={"file_name": bank_import.file_name, "format": fmt, "sha256": bank_import.sha256},
        )
        transaction.on_commit(lambda: bank_import_run.delay(bank_import.pk))
    return bank_import


def bank_import_process(*, bank_import_id: int, actor=None) -> BankImport:
    """Check the whole file, then post it row by row. Safe to run twice."""
    with transaction.atomic():
        job = BankImport.objects.select_for_update().get(pk=bank_import_id)
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return job
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status"])
    actor = actor or job.uploaded_by
    try:
        _fmt, lines = parse(bytes(job.content), csv_mapping=job.csv_mapping)
        _check_rows(lines)
    except BankFileError as error:
        return _finish(job, status=ImportStatus.FAILED, errors=error.errors[:1000])
    except Exception:
        # a reader that breaks on a file must not leave the page polling a job that never
        # ends: nothing was posted, so the import is refused; the task fails and logs it
        stopped = "the file could not be read (the error is logged): nothing was imported"
        _finish(job, status=ImportStatus.FAILED, errors=[problem(None, "file", stopped)])
        raise
    BankImport.objects.filter(pk=job.pk).update(rows_total=len(lines))
    threshold = settings.CASH_AUTO_APPLY_THRESHOLD
    counts = {
        "credits_posted": 0,
        "credits_unidentified": 0,
        "applied_automatically": 0,
        "already_imported": 0,
        "debits_listed": 0,
        "payments_voided": 0,
    }
    done = 0
    refused: list[dict] = []
    for line in lines:
        try:
            outcome = _row(job, line, actor=actor, threshold=threshold)
        except ServiceError as error:
            refused.append(problem(line.line, error.field or "row", error.message))
            outcome = []
        except Exception:
            # the row rolled back, the rows before it stand: stop, and say so on the page
            # rather than leave its bar part-full for ever (a new upload posts the rest)
            BankImport.objects.filter(pk=job.pk).update(rows_done=done, **counts)
            job.refresh_from_db()
            stopped = (
                "the import stopped at this row (the error is logged): "
                "it and the rows after it are not posted"
            )
            _finish(job, status=ImportStatus.FAILED, errors=[problem(line.line, "row", stopped)])
            raise
        for key in outcome:
            counts[key] += 1
        done += 1
        if done % PROGRESS_EVERY == 0:
            BankImport.objects.filter(pk=job.pk).update(rows_done=done, **counts)
    BankImport.objects.filter(pk=job.pk).update(rows_done=done, **counts)
    job.refresh_from_db()
    return _finish(job, status=ImportStatus.DONE, errors=refused)


def _finish(job: BankImport, *, status: str, errors: list[dict]) -> BankImport:
    with transaction.atomic():
        job = BankImport.objects.select_for_update().get(pk=job.pk)
        job.status = status
        job.errors = errors
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "finished_at"])
        audit_record(
            actor=job.uploaded_by,
            action="bank_import.finish",
            instance=job,
            after={
                "status": status,
                "rows": job.rows_total,
                "credits_posted": job.credits_posted,
                "credits_unidentified": job.credits_unidentified,
                "applied_automatically": job.applied_automatically,
                "already_imported": job.already_imported,
                "debits_listed": job.debits_listed,
                "payments_voided": job.payments_voided,
                "errors": len(errors),
            },
        )
    return job


def _check_rows(lines: list[StatementLine]) -> None:
    """Every row must be postable before any is: known currency, an amount the ledger takes
    (at most AMOUNT_MAX, two places: ``accounts.money.to_money``), its currency's minor units."""
    known = {c.code: c for c in Currency.objects.all()}
    errors = []
    for line in lines:
        currency = known.get(line.currency)
        if currency is None:
            errors.append(problem(line.line, "amount", f"unknown currency {line.currency!r}"))
            continue
        try:
            to_money(line.amount)
            in_minor_units(line.amount, currency)
        except ServiceError as error:
            errors.append(problem(line.line, "amount", error.message))
    if errors:
        raise BankFileError(errors)


def _row(job: BankImport, line: StatementLine, *, actor, threshold: int) -> list[str]:
    """One statement row in one transaction; returns the counters it moves."""
    try:
        with transaction.atomic():
            txn = BankTransaction.objects.create(
                bank_import=job,
                account=line.account,
                reference=line.reference,
                line=line.line,
                direction=line.direction,
                kind=line.kind,
                booking_date=line.booking_date,
                amount=line.amount,
                currency_id=line.currency,
                bank_code=line.bank_code,
                payer_name=line.payer_name,
                payer_account=line.payer_account,
                remittance=line.remittance,
            )
            if line.direction == "debit" and line.kind == "return":
                returned = _void_returned(txn, actor=actor)
                return ["debits_listed", *(["payments_voided"] if returned else [])]
            if line.direction != "credit" or line.kind != "payment":
                return ["debits_listed"]
            customer, _why = matching.identify_customer(
                remittance=line.remittance,
                payer_name=line.payer_name,
                payer_account=line.payer_account,
                currency=line.currency,
            )
            if customer is None:
                return ["credits_unidentified"]
            applied = _post(txn, customer=customer, actor=actor, threshold=threshold)
            return ["credits_posted", *(["applied_automatically"] if applied else [])]
    except IntegrityError:
        if BankTransaction.objects.filter(account=line.account, reference=line.reference).exists():
            return ["already_imported"]
        raise


def _post(txn: BankTransaction, *, customer: Customer, actor, threshold: int) -> bool:
    """The credit becomes a payment of ``customer``, ranked and maybe applied."""
    payment = ledger.payment_post(
        actor=actor,
        customer=customer,
        reference=_payment_reference(txn),
        received_date=txn.booking_date,
        amount=txn.amount,
        currency=txn.currency_id,
        method="bank",
    )
    txn.customer = customer
    txn.payment = payment
    txn.save(update_fields=["customer", "payment"])
    payer_known = bool(txn.payer_account) and (
        BankTransaction.objects.filter(payer_account=txn.payer_account, customer=customer)
        .exclude(pk=txn.pk)
        .exists()
    )
    payer_name_known = bool(matching.name_key(txn.payer_name)) and any(
        matching.name_key(name) == matching.name_key(txn.payer_name)
        for name in BankTransaction.objects.filter(customer=customer)
        .exclude(pk=txn.pk)
        .values_list("payer_name", flat=True)
        .distinct()[:200]
    )
    candidates = matching.rank(
        customer=customer,
        amount=payment.amount,
        currency=payment.currency_id,
        remittance=txn.remittance,
        payer_name=txn.payer_name,
        payer_known=payer_known,
        payer_name_known=payer_name_known,
        received_date=payment.received_date,
    )
    MatchSuggestion.objects.bulk_create(
        MatchSuggestion(
            payment=payment,
            invoice=c.invoice,
            amount=c.amount,
            score=c.score,
            reason=c.reason,
            rank=rank,
        )
        for rank, c in enumerate(candidates, start=1)
    )
    plan = matching.automatic_plan(candidates, threshold)
    if not plan:
        return False
    ledger.payment_apply(
        actor=actor,
        payment=payment,
        allocations=[ledger.Allocation(invoice_id=c.invoice.pk, amount=c.amount) for c in plan],
        effective_date=payment.received_date,
    )
    for c in plan:
        if c.settle > 0:
            ledger.invoice_adjust(
                actor=actor,
                invoice=c.invoice,
                kind=c.settle_kind,
                amount=c.settle,
                reason=c.settle_reason,
                effective_date=payment.received_date,
            )
    audit_record(
        actor=actor,
        action="payment.auto_apply",
        instance=payment,
        after={
            "threshold": threshold,
            "applied": [
                {
                    "invoice": c.invoice.number,
                    "amount": str(c.amount),
                    "score": c.score,
                    **({"settled": str(c.settle), "as": c.settle_reason} if c.settle else {}),
                }
                for c in plan
            ],
        },
    )
    return True


def _void_returned(txn: BankTransaction, *, actor) -> bool:
    """A return that names an earlier credit of this account by its bank reference, for the
    same amount and currency, voids that credit's payment (reversing its applications at the
    return's booking date). Anything less certain is only listed for finance."""
    words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9\-/]{5,}", txn.remittance))
    if not words:
        return False
    originals = list(
        BankTransaction.objects.filter(
            account=txn.account,
            reference__in=words,
            direction="credit",
            amount=txn.amount,
            currency_id=txn.currency_id,
            payment__status=PaymentStatus.POSTED,
        ).select_related("payment")[:2]
    )
    if len(originals) != 1 or originals[0].payment.received_date > txn.booking_date:
        return False
    original = originals[0]
    ledger.payment_void(
        actor=actor,
        payment=original.payment,
        return_date=txn.booking_date,
        reason=f"returned by the bank: {txn.bank_code or 'return'} ({txn.reference})"[:200],
    )
    txn.returns_payment = original.payment
    txn.save(update_fields=["returns_payment"])
    return True


def _payment_reference(txn: BankTransaction) -> str:
    """The bank's reference when it is free and fits, else a stable one derived from it."""
    if len(txn.reference) <= 60 and not Payment.objects.filter(reference=txn.reference).exists():
        return txn.reference
    digest = hashlib.sha256(f"{txn.account}|{txn.reference}".encode()).hexdigest()[:24]
    return f"BANK-{digest}"


def bank_transaction_assign(
    *, actor, bank_transaction: BankTransaction, customer: Customer
) -> Payment:
    """Finance names the customer of an unidentified credit: it becomes their payment."""
    with transaction.atomic():
        locked = BankTransaction.objects.select_for_update().get(pk=bank_transaction.pk)
        if locked.payment_id is not None:
            raise ServiceError(
                f"bank transaction {locked.reference} is already posted", field="customer"
            )
        if locked.direction != "credit" or locked.kind != "payment":
            raise ServiceError("only a credit received can become a payment", field="customer")
        _post(locked, customer=customer, actor=actor, threshold=NEVER_AUTOMATIC)
        audit_record(
            actor=actor,
            action="bank_transaction.assign",
            instance=locked,
            after={"customer": customer.external_ref, "payment": locked.payment.reference},
        )
        BankImport.objects.filter(pk=locked.bank_import_id, credits_unidentified__gt=0).update(
            credits_unidentified=F("credits_unidentified") - 1,
            credits_posted=F("credits_posted") + 1,
        )
    return locked.payment
