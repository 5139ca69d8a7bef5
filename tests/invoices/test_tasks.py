"""The nightly ledger check, run by a real worker over Redis against PostgreSQL."""

from decimal import Decimal

import pytest
import redis
from django.conf import settings

from invoices.models import Invoice
from invoices.tasks import ledger_check
from tests.celery_worker import running_worker
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clean_broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield
    client.flushdb()


def test_ledger_check_finds_nothing_wrong_in_a_ledger_built_by_services():
    customer = CustomerFactory()
    invoice(customer, "250.00")
    payment(customer, "100.00")
    assert ledger_check() == 0


def test_a_worker_on_redis_reports_a_balance_that_disagrees_with_its_applications(clean_broker):
    customer = CustomerFactory()
    tampered = invoice(customer, "250.00")
    invoice(customer, "80.00")
    Invoice.objects.filter(pk=tampered.pk).update(open_amount=Decimal("200.00"))

    with running_worker():
        result = ledger_check.delay()
        assert result.get(timeout=60) == 1
