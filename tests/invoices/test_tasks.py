"""The nightly ledger check, run by a real worker over Redis against PostgreSQL."""

import os
from decimal import Decimal

import pytest

from invoices.models import Invoice
from invoices.tasks import ledger_check
from tests.celery_worker import running_worker
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db(transaction=True)


# A queue of this run's own: another run's worker on the same Redis never takes our task.
QUEUE = f"ledger-check-test-{os.getpid()}"


def test_ledger_check_finds_nothing_wrong_in_a_ledger_built_by_services():
    customer = CustomerFactory()
    invoice(customer, "250.00")
    payment(customer, "100.00")
    assert ledger_check() == 0


def test_a_worker_on_redis_reports_a_balance_that_disagrees_with_its_applications():
    customer = CustomerFactory()
    tampered = invoice(customer, "250.00")
    invoice(customer, "80.00")
    Invoice.objects.filter(pk=tampered.pk).update(open_amount=Decimal("200.00"))

    with running_worker(queues=QUEUE):
        result = ledger_check.apply_async(queue=QUEUE)
        assert result.get(timeout=60) == 1
