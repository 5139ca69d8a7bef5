"""disputes/0002: disputes resolved before the migration get a resolution date."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import AuditEntry
from tests.factories import CustomerFactory

BEFORE = [("disputes", "0001_dispute")]
AFTER = [("disputes", "0002_resolution")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_resolved_disputes_take_their_date_from_the_audit_trail_or_else_their_opening():
    apps = _migrate(BEFORE)
    Dispute = apps.get_model("disputes", "Dispute")
    customer = CustomerFactory(name="Migrated")
    opened = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)

    def dispute(status):
        return Dispute.objects.create(
            customer_id=customer.pk,
            amount="10.00",
            currency_id="USD",
            reason_code="tax",
            status=status,
            opened_at=opened,
        )

    audited, unaudited, still_open = dispute("resolved"), dispute("resolved"), dispute("open")
    entry = AuditEntry.objects.create(
        action="dispute.resolve",
        object_type="disputes.dispute",
        object_id=str(audited.pk),
        before={"status": "open"},
        after={"status": "resolved", "resolution": "credit note"},
    )
    try:
        apps = _migrate(AFTER)
        Dispute = apps.get_model("disputes", "Dispute")

        rows = dict(
            (pk, (resolved_at, resolution))
            for pk, resolved_at, resolution in Dispute.objects.values_list(
                "pk", "resolved_at", "resolution"
            )
        )
        assert rows == {
            audited.pk: (entry.created_at, "credit note"),
            unaudited.pk: (opened, ""),
            still_open.pk: (None, ""),
        }
    finally:
        # back to the latest state of every app, whatever was unapplied on the way down
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
