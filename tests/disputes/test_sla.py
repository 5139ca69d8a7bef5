"""SLA: the due date by reason; the beat task e-mails the owner once before and once after
a breach (idempotent, also under two workers); breached disputes in the credit inbox."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEntry
from disputes.models import DepartmentMember, Dispute, DisputeReason
from disputes.services import dispute_move, dispute_open
from disputes.sla import dispute_sla_notify, sla_recipients
from disputes.tasks import dispute_sla_notices
from tests.collections_app.workflow import (
    account,
    collector,
    credit_manager,
    overdue_invoice,
    today,
)
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DISPUTE_SLA_WARNING_DAYS = 2


@pytest.fixture
def case():
    alice = collector("alice")
    alice.email = "alice@dunwell.example"
    alice.save()
    customer = account(alice, "Northwind")
    sid = user_in_role(roles.RESOLVER, "sid", email="sid@dunwell.example")
    DepartmentMember.objects.create(user=sid, department="sales")
    item = overdue_invoice(customer, "500.00", days_late=10)
    dispute = dispute_open(
        actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="pricing"
    )
    return alice, sid, customer, dispute


def _due(dispute, days_from_today: int) -> None:
    Dispute.objects.filter(pk=dispute.pk).update(
        due_date=today() + datetime.timedelta(days=days_from_today)
    )


def test_the_due_date_is_the_reasons_sla_days_and_follows_an_admin_change(case):
    alice, _sid, customer, dispute = case
    assert dispute.due_date == today() + datetime.timedelta(days=10)
    DisputeReason.objects.filter(code="tax").update(sla_days=3)
    item = overdue_invoice(customer, "50.00", days_late=1)
    taxed = dispute_open(actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="tax")
    assert taxed.due_date == today() + datetime.timedelta(days=3)


def test_the_owner_is_the_assignee_else_the_department_else_the_opener(case):
    _alice, sid, _customer, dispute = case
    assert sla_recipients(dispute) == ["sid@dunwell.example"]
    Dispute.objects.filter(pk=dispute.pk).update(department="quality")
    dispute.refresh_from_db()
    assert sla_recipients(dispute) == ["alice@dunwell.example"]
    Dispute.objects.filter(pk=dispute.pk).update(assignee=sid)
    dispute.refresh_from_db()
    assert sla_recipients(dispute) == ["sid@dunwell.example"]


def test_nothing_before_the_warning_window(case):
    _alice, _sid, _customer, dispute = case
    _due(dispute, 3)
    sent = dispute_sla_notify()
    assert (sent.warned, sent.breached, len(mail.outbox)) == ([], [], 0)


def test_one_warning_before_and_one_notice_after_the_breach(case):
    _alice, _sid, _customer, dispute = case
    _due(dispute, 2)
    assert dispute_sla_notify().warned == [dispute.pk]
    assert dispute_sla_notify().warned == []  # a second run sends nothing
    assert [m.to for m in mail.outbox] == [["sid@dunwell.example"]]
    assert "is due in 2 days" in mail.outbox[0].subject
    assert reverse("dispute", args=[dispute.pk]) in mail.outbox[0].body

    _due(dispute, -1)
    assert dispute_sla_notices() == {"warned": 0, "breached": 1}
    assert dispute_sla_notices() == {"warned": 0, "breached": 0}
    assert len(mail.outbox) == 2
    assert "past its SLA" in mail.outbox[1].subject
    assert sorted(
        AuditEntry.objects.filter(action__startswith="dispute.sla_").values_list(
            "action", flat=True
        )
    ) == ["dispute.sla_breach", "dispute.sla_warning"]


def test_a_closed_dispute_gets_no_notice(case):
    alice, _sid, _customer, dispute = case
    _due(dispute, -5)
    dispute_move(actor=alice, dispute=dispute, to_status="withdrawn", note="sent in error")
    sent = dispute_sla_notify()
    assert (sent.warned, sent.breached, len(mail.outbox)) == ([], [], 0)


def test_a_failed_send_stamps_nothing_and_is_retried(case, settings):
    _alice, _sid, _customer, dispute = case
    _due(dispute, -1)
    settings.EMAIL_BACKEND = "tests.disputes.test_sla.FailingBackend"
    with pytest.raises(ConnectionError):
        dispute_sla_notify()
    assert Dispute.objects.get(pk=dispute.pk).sla_breach_notified_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert dispute_sla_notify().breached == [dispute.pk]


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("smtp down")


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_notice(case):
    _alice, _sid, _customer, dispute = case
    _due(dispute, -1)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(dispute_sla_notify().breached)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[], [dispute.pk]]
    assert len(mail.outbox) == 1


def test_breached_disputes_are_in_the_credit_managers_inbox(case, client):
    _alice, _sid, _customer, dispute = case
    manager = credit_manager("carla")
    client.force_login(manager)
    page = client.get(reverse("credit_inbox")).content.decode()
    assert f"Dispute {dispute.pk}</a>" not in page

    _due(dispute, -1)
    page = client.get(reverse("credit_inbox")).content.decode()
    assert f"Dispute {dispute.pk}</a>" in page
    assert "Dispute past its SLA" in page
    assert "Credit (1)" in page
