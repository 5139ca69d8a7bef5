"""A communication's status moves only along COMMUNICATION_TRANSITIONS: the services move it
through one function that refuses any other move, and a trigger (dunning/0002) refuses it
in the database whoever writes it."""

from __future__ import annotations

import importlib

import pytest
from django.db import IntegrityError, transaction

from accounts.errors import ServiceError
from dunning import services as dunning
from dunning.models import (
    COMMUNICATION_TRANSITIONS,
    CommunicationStatus,
    DunningCommunication,
    DunningLevel,
    DunningRun,
    DunningRunTrigger,
    communication_move,
    communication_status_move,
)
from tests.collections_app.workflow import account, collector, credit_manager, today

pytestmark = pytest.mark.django_db

S = CommunicationStatus


@pytest.fixture
def planned():
    """A preview run's planned e-mail to one customer (written directly: the preview's own
    selection is tested in test_runs.py)."""
    manager = credit_manager("carla")
    customer = account(collector("cora"), "Acme Widgets")
    level = DunningLevel.objects.filter(policy__is_default=True).order_by("number").first()
    run = DunningRun.objects.create(as_of=today(), trigger=DunningRunTrigger.MANUAL)
    comm = DunningCommunication.objects.create(
        run=run,
        customer=customer,
        level=level,
        key=f"{customer.pk}:{level.number}:{run.pk}",
        channel="email",
        to_address="ap@acme.example",
    )
    assert comm.status == S.PLANNED
    return manager, run, comm


def _status(comm) -> str:
    return DunningCommunication.objects.values_list("status", flat=True).get(pk=comm.pk)


def test_the_trigger_allows_exactly_the_moves_of_the_table():
    migration = importlib.import_module("dunning.migrations.0002_communication_transitions")
    table = {(a, b) for a, targets in COMMUNICATION_TRANSITIONS.items() for b in targets}
    assert set(migration.ALLOWED) == table
    assert set(COMMUNICATION_TRANSITIONS) == set(S.values)


def test_legal_moves_go_through_and_say_how_many_moved(planned):
    manager, run, comm = planned

    dunning.dunning_run_approve(actor=manager, run=run)
    assert _status(comm) == S.QUEUED

    comm.refresh_from_db()
    communication_move(comm, to_status=S.SENDING, attempts=1)
    communication_move(comm, to_status=S.FAILED, last_error="mail server: down")
    dunning.dunning_communication_retry(actor=manager, communication=comm)

    comm.refresh_from_db()
    assert (comm.status, comm.attempts, comm.last_error) == (S.QUEUED, 1, "mail server: down")


def test_an_interrupted_email_never_delivered_is_attempted_again(planned):
    _manager, _run, comm = planned
    _walk_to(comm, S.QUEUED)
    comm.refresh_from_db()
    communication_move(comm, to_status=S.SENDING, attempts=1)

    communication_move(comm, to_status=S.SENDING, attempts=2)

    assert DunningCommunication.objects.values_list("status", "attempts").get(pk=comm.pk) == (
        S.SENDING,
        2,
    )


def test_an_illegal_move_is_refused_and_changes_nothing(planned):
    _manager, _run, comm = planned

    with pytest.raises(ServiceError) as refused:
        communication_move(comm, to_status=S.SENT)

    assert (refused.value.field, refused.value.code) == ("status", "invalid_transition")
    assert _status(comm) == S.PLANNED
    assert comm.status == S.PLANNED


def test_a_set_based_move_leaves_rows_in_another_status_alone(planned):
    manager, run, comm = planned
    dunning.dunning_run_approve(actor=manager, run=run)

    moved = communication_status_move(
        DunningCommunication.objects.all(), from_status=S.PLANNED, to_status=S.CANCELLED
    )

    assert moved == 0
    assert _status(comm) == S.QUEUED


def test_a_move_from_a_status_the_row_has_left_is_refused(planned):
    manager, run, comm = planned
    stale = DunningCommunication.objects.get(pk=comm.pk)
    dunning.dunning_run_approve(actor=manager, run=run)  # planned -> queued behind its back

    with pytest.raises(ServiceError):
        communication_move(stale, to_status=S.CANCELLED)

    assert _status(comm) == S.QUEUED


def test_only_a_failed_communication_can_be_retried(planned):
    manager, _run, comm = planned
    with pytest.raises(ServiceError):
        dunning.dunning_communication_retry(actor=manager, communication=comm)
    assert _status(comm) == S.PLANNED


@pytest.mark.parametrize(
    ("start", "illegal"),
    [(S.PLANNED, S.SENT), (S.SENT, S.QUEUED), (S.CANCELLED, S.QUEUED), (S.FAILED, S.SENT)],
)
def test_the_database_refuses_an_illegal_move_whoever_writes_it(planned, start, illegal):
    _manager, _run, comm = planned
    _walk_to(comm, start)

    with pytest.raises(IntegrityError), transaction.atomic():
        DunningCommunication.objects.filter(pk=comm.pk).update(status=illegal)

    assert _status(comm) == start


def _walk_to(comm, target: str) -> None:
    """Legal steps from planned to ``target``."""
    path = {
        S.PLANNED: [],
        S.CANCELLED: [S.CANCELLED],
        S.QUEUED: [S.QUEUED],
        S.SENT: [S.QUEUED, S.SENT],
        S.FAILED: [S.QUEUED, S.FAILED],
    }[target]
    for step in path:
        fields = {"sent_at": "2026-01-01T00:00Z"} if step == S.SENT else {}
        DunningCommunication.objects.filter(pk=comm.pk).update(status=step, **fields)
