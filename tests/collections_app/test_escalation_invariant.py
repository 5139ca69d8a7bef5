"""One open escalation per customer: a partial unique index, a locked check in
``escalation_raise``, and migration 0008 that resolves the duplicates of a database from
before the index."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import AuditEntry
from collections_app import services
from collections_app.models import Activity, Escalation, FollowUp
from tests.invoices.test_concurrency import run_together

from .workflow import account, collector, credit_manager


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_escalation_of_a_customer():
    customer = account(collector("alice"))
    Escalation.objects.create(customer=customer, reason="first", status="open")

    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(customer=customer, reason="second", status="open")

    assert list(Escalation.objects.values_list("reason", flat=True)) == ["first"]


@pytest.mark.django_db
def test_a_resolved_escalation_does_not_count_against_a_new_one():
    alice = collector("alice")
    customer = account(alice)
    Escalation.objects.create(customer=customer, reason="old", status="resolved")

    escalation = services.escalation_raise(actor=alice, customer=customer, reason="asks again")

    assert escalation.status == "open"
    assert Escalation.objects.filter(customer=customer).count() == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_collector_and_a_dunning_worker_escalating_together_leave_one_escalation():
    alice = collector("alice")
    credit_manager("carla")
    customer = account(alice)
    actors = [alice, None] * 4  # clicks and dunning workers (actor None), eight at once

    outcome = run_together(
        lambda i: (
            services.escalation_raise(
                actor=actors[i], customer=customer, reason=f"escalation attempt {i}"
            ).pk
        )
    )

    assert outcome.unfinished == []
    assert outcome.other_errors == {}
    assert len(outcome.results) == 1
    assert {e.code for e in outcome.service_errors.values()} == {"duplicate"}
    assert len(outcome.service_errors) == 7
    (winner,) = outcome.results.values()
    assert list(Escalation.objects.values_list("pk", "status")) == [(winner, "open")]
    # the losers left nothing behind: one timeline row, one follow-up, one audit entry
    assert Activity.objects.filter(kind="escalation").count() == 1
    assert FollowUp.objects.count() == 1
    assert AuditEntry.objects.filter(action="escalation.raise").count() == 1


BEFORE = [("collections_app", "0007_buckets_from_accounts")]
AFTER = [("collections_app", "0008_one_open_escalation")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_the_oldest_open_escalation_and_resolves_later_duplicates():
    apps = _migrate(BEFORE)
    Old = apps.get_model("collections_app", "Escalation")
    twice = account(collector("alice"), name="Twice")
    once = account(collector("bob"), name="Once")
    oldest = Old.objects.create(customer_id=twice.pk, reason="a", raised_at="2026-01-01T09:00Z")
    newer = Old.objects.create(customer_id=twice.pk, reason="b", raised_at="2026-01-02T09:00Z")
    # raised the same instant: the lower id is the older
    newest = Old.objects.create(customer_id=twice.pk, reason="c", raised_at="2026-01-02T09:00Z")
    alone = Old.objects.create(customer_id=once.pk, reason="d", raised_at="2026-01-03T09:00Z")
    closed = Old.objects.create(
        customer_id=once.pk, reason="e", raised_at="2026-01-01T09:00Z", status="resolved"
    )
    try:
        apps = _migrate(AFTER)
        New = apps.get_model("collections_app", "Escalation")

        assert dict(New.objects.values_list("pk", "status")) == {
            oldest.pk: "open",
            newer.pk: "resolved",
            newest.pk: "resolved",
            alone.pk: "open",
            closed.pk: "resolved",
        }
        resolution = (
            f"Resolved as a duplicate of escalation #{oldest.pk} (one open escalation per customer)"
        )
        assert sorted(
            AuditEntry.objects.filter(action="escalation.resolve").values_list("object_id", "after")
        ) == sorted(
            (str(pk), {"status": "resolved", "resolution": resolution})
            for pk in (newer.pk, newest.pk)
        )
        assert (
            list(Activity.objects.filter(customer=twice).values_list("summary", "note"))
            == [("Escalation resolved", resolution)] * 2
        )
    finally:  # back to the latest state for the tests after this one
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
