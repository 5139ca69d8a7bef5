"""collections_app/0007: stored queue buckets take the names of accounts/buckets.py."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import CustomerFactory

BEFORE = [("collections_app", "0006_dunning_moves_out")]
AFTER = [("collections_app", "0007_buckets_from_accounts")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_bucket_names_map_to_the_shared_ones_and_91_plus_splits_by_days():
    apps = _migrate(BEFORE)
    QueueState = apps.get_model("collections_app", "QueueState")
    stored = {}
    for bucket, days in [
        ("current", 0),
        ("1-30", 12),
        ("31-60", 45),
        ("61-90", 75),
        ("91+", 91),
        ("91+", 120),
        ("91+", 121),
    ]:
        customer = CustomerFactory()
        QueueState.objects.create(
            customer_id=customer.pk,
            currency_id="USD",
            oldest_bucket=bucket,
            oldest_days_past_due=days,
            refreshed_at=timezone.now(),
        )
        stored[customer.pk] = days
    try:
        apps = _migrate(AFTER)
        QueueState = apps.get_model("collections_app", "QueueState")

        migrated = {
            stored[pk]: (bucket, missing)
            for pk, bucket, missing in QueueState.objects.values_list(
                "customer_id", "oldest_bucket", "missing_rates"
            )
        }
        assert migrated == {
            0: ("current", []),
            12: ("1_30", []),
            45: ("31_60", []),
            75: ("61_90", []),
            91: ("91_120", []),
            120: ("91_120", []),
            121: ("over_120", []),
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
