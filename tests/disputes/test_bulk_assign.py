"""Bulk assignment on /disputes/: several disputes to a department and/or a person, each
with its own event and audit entry, all or nothing, only within reach."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from disputes.models import Dispute, DisputeEvent
from disputes.services import KEEP, dispute_bulk_assign
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import dispute_record, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    alice, bob = collector("alice"), collector("bob")
    mine, theirs = account(alice, "Mine"), account(bob, "Theirs")
    first = dispute_record(mine, {overdue_invoice(mine, "10.00", days_late=3): "10.00"})
    second = dispute_record(
        mine, {overdue_invoice(mine, "20.00", days_late=3): "20.00"}, reason="tax"
    )
    other = dispute_record(theirs, {overdue_invoice(theirs, "30.00", days_late=3): "30.00"})
    return alice, first, second, other


def _routing():
    return sorted(Dispute.objects.values_list("pk", "department", "assignee"))


def test_the_page_assigns_the_ticked_disputes_with_an_event_and_audit_each(client, book):
    alice, first, second, other = book
    client.force_login(alice)
    page = client.get(reverse("dispute_list")).content.decode()
    assert 'form="bulk-assign"' in page

    response = client.post(
        reverse("dispute_bulk_assign"),
        {
            "ids": [first.pk, second.pk],
            "department": "quality",
            "assignee": str(alice.pk),
            "next": "/disputes/?status=active",
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/disputes/?status=active")
    assert set(
        Dispute.objects.filter(pk__in=[first.pk, second.pk]).values_list("department", "assignee")
    ) == {("quality", alice.pk)}
    assert DisputeEvent.objects.filter(kind="assigned").count() == 2
    assert AuditEntry.objects.filter(action="dispute.assign").count() == 2
    assert Dispute.objects.get(pk=other.pk).department == "sales"


def test_blank_keeps_each_ones_department_or_person(book):
    alice, first, second, _other = book
    dispute_bulk_assign(actor=alice, disputes=[first, second], assignee=alice)
    assert set(
        Dispute.objects.filter(pk__in=[first.pk, second.pk]).values_list("department", "assignee")
    ) == {("sales", alice.pk), ("billing", alice.pk)}
    dispute_bulk_assign(actor=alice, disputes=[first, second], department="quality")
    assert set(
        Dispute.objects.filter(pk__in=[first.pk, second.pk]).values_list("department", "assignee")
    ) == {("quality", alice.pk)}
    dispute_bulk_assign(actor=alice, disputes=[first], assignee=None, department=None)
    assert Dispute.objects.get(pk=first.pk).assignee is None


def test_a_dispute_out_of_reach_is_never_assigned(client, book):
    alice, first, _second, other = book
    client.force_login(alice)
    before = _routing()
    client.post(reverse("dispute_bulk_assign"), {"ids": [other.pk], "department": "quality"})
    assert _routing() == before
    # ticked beside one in reach: refused whole, nothing moves
    response = client.post(
        reverse("dispute_bulk_assign"),
        {"ids": [first.pk, other.pk], "department": "quality"},
        follow=True,
    )
    assert "those you can reach" in response.content.decode()
    assert _routing() == before


def test_one_refusal_leaves_every_dispute_as_it_was(book):
    alice, first, second, _other = book
    gone = user_in_role(roles.COLLECTOR, "gone")
    gone.is_active = False
    gone.save()
    before = (_routing(), AuditEntry.objects.count(), DisputeEvent.objects.count())
    with pytest.raises(ServiceError) as refusal:
        dispute_bulk_assign(actor=alice, disputes=[first, second], assignee=gone)
    assert getattr(refusal.value, "field", None) == "assignee"
    with pytest.raises(ServiceError):
        dispute_bulk_assign(actor=alice, disputes=[first], assignee=KEEP)
    assert (_routing(), AuditEntry.objects.count(), DisputeEvent.objects.count()) == before


def test_a_reader_without_work_rights_gets_no_bulk_form_and_a_403(client, book):
    _alice, first, _second, _other = book
    cfo = user_in_role(roles.CFO, "cfo")
    client.force_login(cfo)
    assert 'form="bulk-assign"' not in client.get(reverse("dispute_list")).content.decode()
    before = _routing()
    response = client.post(
        reverse("dispute_bulk_assign"), {"ids": [first.pk], "department": "quality"}
    )
    assert response.status_code == 403
    assert _routing() == before
