"""A small book for the dunning page tests: customers at known days past due, one of each
outcome (e-mail, letter, skipped for a reason, an invoice-level skip)."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from collections_app import services as workflow
from dunning import services as dunning_services
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.factories import ContactFactory


def ensure_dunning_defaults() -> None:
    """The default policy and templates; post_migrate puts them back after a flush, this
    makes a test that needs them say so."""
    from dunning.defaults import ensure_dunning_defaults as ensure
    from dunning.models import DunningLevel, DunningPolicy, DunningTemplate

    ensure(DunningTemplate, DunningPolicy, DunningLevel)


def book() -> dict:
    owner = collector("cora")
    manager = credit_manager("carla")
    acme = account(owner, "Acme Widgets", billing_address="1 Main St\nSpringfield")
    ann = ContactFactory(
        customer=acme, name="Ann Payable", email="ap@acme.example", is_primary=True
    )
    bolt = account(owner, "Bolt Brothers", billing_address="9 Dock Rd\nPortsmouth PO1 2AB")
    ContactFactory(customer=bolt, name="Bob", email="bob@bolt.example", is_primary=True)
    quiet = account(owner, "Quiet Corp", do_not_contact=True)
    ContactFactory(customer=quiet, email="q@quiet.example")
    cedar = account(owner, "Cedar Mills", billing_address="4 Mill Lane\nLeeds")
    ContactFactory(customer=cedar, name="Cy", email="cy@cedar.example", is_primary=True)
    inv = {
        "acme_1": overdue_invoice(acme, "120.00", days_late=3, number="ACME-1"),
        "acme_2": overdue_invoice(acme, "80.00", days_late=20, number="ACME-2"),
        "bolt": overdue_invoice(bolt, "900.00", days_late=35, number="BOLT-1"),
        "quiet": overdue_invoice(quiet, "500.00", days_late=10, number="QUIET-1"),
        "cedar": overdue_invoice(cedar, "300.00", days_late=5, number="CEDAR-1"),
        "cedar_disputed": overdue_invoice(cedar, "40.00", days_late=8, number="CEDAR-2"),
    }
    workflow.dispute_raise(
        actor=owner, customer=cedar, invoice_ids=[inv["cedar_disputed"].pk], reason_code="pricing"
    )
    # Bolt's reminders went out from the previous system: its next letter is the final demand.
    for level, ago in ((1, 34), (2, 20)):
        dunning_services.invoice_dunning_history_record(
            actor=manager,
            invoice=inv["bolt"],
            level_number=level,
            sent_on=timezone.localdate() - datetime.timedelta(days=ago),
        )
    return {
        "owner": owner,
        "manager": manager,
        "acme": acme,
        "ann": ann,
        "bolt": bolt,
        "quiet": quiet,
        "cedar": cedar,
        "inv": inv,
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grant(user, *perms: str):
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return type(user).objects.get(pk=user.pk)
