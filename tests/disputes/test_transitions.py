"""A dispute's status moves only along DISPUTE_TRANSITIONS: ``dispute_move`` refuses any
other move and records each one it makes; a trigger (disputes/0003) refuses any other move
in the database whoever writes it, and a CHECK any unknown status."""

from __future__ import annotations

import importlib
import itertools

import pytest
from django.db import IntegrityError, transaction

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from disputes.models import (
    DISPUTE_TRANSITIONS,
    Dispute,
    DisputeEvent,
    DisputeStatus,
)
from disputes.services import dispute_move, dispute_open
from tests.collections_app.workflow import account, collector, overdue_invoice
from tests.factories import dispute_record

pytestmark = pytest.mark.django_db

S = DisputeStatus
ALL_MOVES = list(itertools.product(S.values, S.values))


@pytest.fixture
def alice():
    return collector("alice")


def _in_status(alice, status: str) -> Dispute:
    customer = account(alice)
    item = overdue_invoice(customer, "500.00", days_late=10)
    return dispute_record(customer, {item: "500.00"}, status=status, opened_by=alice)


def _row(dispute) -> tuple:
    return Dispute.objects.values_list("status", "resolved_at", "outcome", "resolution").get(
        pk=dispute.pk
    )


def _audit(dispute):
    return AuditEntry.objects.filter(object_type="disputes.dispute", object_id=str(dispute.pk))


def _move(alice, dispute, to_status):
    extra = {}
    if to_status == S.RESOLVED:
        extra = {"outcome": "no_credit", "note": "customer agreed to pay"}
    elif to_status == S.OPEN:
        extra = {"note": "the customer came back with new evidence"}
    return dispute_move(actor=alice, dispute=dispute, to_status=to_status, **extra)


def test_the_trigger_allows_exactly_the_moves_of_the_table():
    migration = importlib.import_module("disputes.migrations.0003_dispute_lines_reasons_workflow")
    table = {(a, b) for a, targets in DISPUTE_TRANSITIONS.items() for b in targets}

    assert set(migration.ALLOWED) == table
    assert set(DISPUTE_TRANSITIONS) == set(S.values) == set(migration.STATUSES)


@pytest.mark.parametrize(
    ("before", "after"),
    [(a, b) for a, b in ALL_MOVES if b in DISPUTE_TRANSITIONS[a]],
)
def test_every_allowed_move_is_made_and_recorded(alice, before, after):
    dispute = _in_status(alice, before)
    events_before = DisputeEvent.objects.filter(dispute=dispute).count()

    moved = _move(alice, dispute, after)

    assert _row(dispute)[0] == after == moved.status
    event = DisputeEvent.objects.filter(dispute=dispute).latest("at", "id")
    assert (event.kind, event.from_status, event.status, event.actor) == (
        "moved",
        before,
        after,
        alice,
    )
    assert DisputeEvent.objects.filter(dispute=dispute).count() == events_before + 1
    assert _audit(dispute).count() == 1


@pytest.mark.parametrize(
    ("before", "after"),
    [(a, b) for a, b in ALL_MOVES if b not in DISPUTE_TRANSITIONS[a]],
)
def test_every_other_move_is_refused_and_nothing_changes(alice, before, after):
    dispute = _in_status(alice, before)
    row, events = _row(dispute), DisputeEvent.objects.filter(dispute=dispute).count()

    with pytest.raises(ServiceError) as refusal:
        _move(alice, dispute, after)

    assert refusal.value.code == "invalid_transition"
    assert _row(dispute) == row
    assert DisputeEvent.objects.filter(dispute=dispute).count() == events
    assert not _audit(dispute).exists()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (S.RESOLVED, S.IN_REVIEW),
        (S.WITHDRAWN, S.RESOLVED),
        (S.IN_REVIEW, S.OPEN),
        (S.RESOLVED, S.WITHDRAWN),
    ],
)
def test_the_database_refuses_a_move_outside_the_table(alice, before, after):
    dispute = _in_status(alice, before)
    row = _row(dispute)

    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(status=after)

    assert _row(dispute) == row


def test_the_database_refuses_an_unknown_status(alice):
    dispute = _in_status(alice, S.OPEN)

    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(status="lost")

    assert _row(dispute)[0] == "open"


def test_reopening_needs_a_reason(alice):
    dispute = _in_status(alice, S.RESOLVED)
    row = _row(dispute)

    with pytest.raises(ServiceError) as refusal:
        dispute_move(actor=alice, dispute=dispute, to_status=S.OPEN, note="  ")

    assert refusal.value.field == "note"
    assert _row(dispute) == row


def test_reopening_clears_the_resolution_and_the_history_keeps_it(alice):
    customer = account(alice)
    item = overdue_invoice(customer, "500.00", days_late=10)
    dispute = dispute_open(
        actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="damaged"
    )
    _move(alice, dispute, S.IN_REVIEW)
    _move(alice, dispute, S.RESOLVED)

    _move(alice, dispute, S.OPEN)

    assert _row(dispute) == ("open", None, "", "customer agreed to pay")
    history = list(
        DisputeEvent.objects.filter(dispute=dispute).values_list(
            "kind", "from_status", "status", "outcome", "note"
        )
    )
    assert history == [
        ("opened", "", "open", "", ""),
        ("moved", "open", "in_review", "", ""),
        ("moved", "in_review", "resolved", "no_credit", "customer agreed to pay"),
        ("moved", "resolved", "open", "", "the customer came back with new evidence"),
    ]


def test_resolving_needs_an_outcome_and_a_word_on_how(alice):
    dispute = _in_status(alice, S.IN_REVIEW)
    row = _row(dispute)

    with pytest.raises(ServiceError) as no_outcome:
        dispute_move(actor=alice, dispute=dispute, to_status=S.RESOLVED, note="done")
    with pytest.raises(ServiceError) as no_word:
        dispute_move(actor=alice, dispute=dispute, to_status=S.RESOLVED, outcome="no_credit")

    assert (no_outcome.value.field, no_word.value.field) == ("outcome", "resolution")
    assert _row(dispute) == row


def test_only_a_resolution_has_an_outcome(alice):
    dispute = _in_status(alice, S.OPEN)

    with pytest.raises(ServiceError) as refusal:
        dispute_move(actor=alice, dispute=dispute, to_status=S.IN_REVIEW, outcome="no_credit")

    assert refusal.value.field == "outcome"
    assert _row(dispute) == ("open", None, "", "")


def test_the_history_is_never_rewritten(alice):
    dispute = _in_status(alice, S.OPEN)

    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeEvent.objects.filter(dispute=dispute).update(status="resolved")

    assert list(DisputeEvent.objects.filter(dispute=dispute).values_list("status", flat=True)) == [
        "open"
    ]


def test_a_dispute_is_not_reopened_over_an_invoice_now_in_another_open_dispute(alice):
    """An invoice is in one open dispute at a time: dispute_open refuses a second, and so
    does reopening a resolved one whose invoice a newer dispute covers."""
    customer = account(alice)
    item = overdue_invoice(customer, "500.00", days_late=10)
    first = dispute_open(
        actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="damaged"
    )
    _move(alice, first, S.RESOLVED)
    second = dispute_open(
        actor=alice, customer=customer, invoice_ids=[item.pk], reason_code="pricing"
    )
    row = _row(first)

    with pytest.raises(ServiceError) as refusal:
        _move(alice, first, S.OPEN)

    assert (refusal.value.code, refusal.value.field) == ("duplicate", "invoices")
    assert _row(first) == row
    _move(alice, second, S.WITHDRAWN)
    _move(alice, first, S.OPEN)
    assert _row(first)[0] == "open"
