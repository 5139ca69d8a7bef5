"""dunning/0001: the tables made while dunning was a package of collections_app move to the
dunning app with every row, and the role groups keep their dunning permissions."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts import roles
from tests.factories import CustomerFactory, invoice

BEFORE = [("collections_app", "0005_default_dunning_policy")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.mark.django_db(transaction=True)
def test_a_dunning_book_made_in_collections_app_moves_to_the_dunning_app_whole():
    # The ledger's own rows first, through today's services (the ledger is not rolled back).
    customer = CustomerFactory()
    item = invoice(customer, "250.00", issue_date=datetime.date(2026, 9, 1))
    apps = _migrate(BEFORE)
    assert "collections_app_dunningrun" in _tables()
    Run = apps.get_model("collections_app", "DunningRun")
    Communication = apps.get_model("collections_app", "DunningCommunication")
    Line = apps.get_model("collections_app", "DunningLine")
    Level = apps.get_model("collections_app", "DunningLevel")
    Profile = apps.get_model("collections_app", "DunningProfile")
    # A content type as an existing database has it, with the groups' permission on it.
    old_type, _ = ContentType.objects.get_or_create(app_label="collections_app", model="dunningrun")
    view_run, _ = Permission.objects.get_or_create(
        content_type=old_type, codename="view_dunningrun", defaults={"name": "Can view run"}
    )
    managers, _ = Group.objects.get_or_create(name=roles.CREDIT_MANAGER)
    managers.permissions.add(view_run)

    level = Level.objects.order_by("number").first()
    run = Run.objects.create(
        as_of=datetime.date(2026, 11, 2),
        trigger="manual",
        status="done",
        approved_at=timezone.now(),
    )
    comm = Communication.objects.create(
        run=run,
        customer_id=customer.pk,
        level=level,
        key=f"{customer.pk}:1:{run.pk}",
        channel="letter",
        status="sent",
        sent_at=timezone.now(),
    )
    Line.objects.create(
        communication=comm,
        invoice_id=item.pk,
        currency_id=item.currency_id,
        open_amount="250.00",
        days_past_due=32,
        level_number=1,
        previous_level_number=0,
    )
    Profile.objects.create(customer_id=customer.pk, language="de")

    try:
        apps = _migrate()
        tables = _tables()
        assert "collections_app_dunningrun" not in tables
        assert {
            "dunning_dunningrun",
            "dunning_dunningcommunication",
            "dunning_dunningline",
        } <= tables
        Run = apps.get_model("dunning", "DunningRun")
        Communication = apps.get_model("dunning", "DunningCommunication")
        Profile = apps.get_model("dunning", "DunningProfile")
        moved = Communication.objects.get(pk=comm.pk)
        assert (moved.run_id, moved.customer_id, moved.key) == (run.pk, customer.pk, comm.key)
        assert list(moved.lines.values_list("invoice_id", "open_amount")) == [
            (item.pk, item.amount)
        ]
        assert Run.objects.get(pk=run.pk).status == "done"
        assert Profile.objects.get(customer_id=customer.pk).language == "de"
        # The same permission row, now under the dunning app: the group still has it.
        view_run.refresh_from_db()
        assert view_run.content_type.app_label == "dunning"
        assert managers.permissions.filter(pk=view_run.pk).exists()
    finally:
        _migrate()
