from decimal import Decimal

import pytest

from accounts import services
from accounts.errors import ServiceError
from accounts.models import AuditEntry, Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_customer_cannot_become_the_parent_of_its_own_parent():
    group = CustomerFactory(external_ref="GROUP")
    subsidiary = CustomerFactory(external_ref="SUB", parent=group)
    branch = CustomerFactory(external_ref="BRANCH", parent=subsidiary)

    with pytest.raises(ServiceError, match="BRANCH is GROUP itself or one of its child"):
        services.customer_update(actor=None, customer=group, parent=branch)

    assert Customer.objects.get(pk=group.pk).parent_id is None
    assert AuditEntry.objects.count() == 0


def test_a_credit_limit_change_is_audited_with_before_and_after():
    customer = CustomerFactory(credit_limit=Decimal("10000.00"))

    services.customer_update(actor=None, customer=customer, credit_limit="25000.00")

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.before, entry.after) == (
        "customer.update",
        {"credit_limit": "10000.00"},
        {"credit_limit": "25000.00"},
    )


def test_a_negative_credit_limit_is_refused():
    customer = CustomerFactory(credit_limit=Decimal("10000.00"))

    with pytest.raises(ServiceError, match="cannot be negative"):
        services.customer_update(actor=None, customer=customer, credit_limit="-1.00")

    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("10000.00")
