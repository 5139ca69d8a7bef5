from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles_and_reference_data(sender, using="default", **kwargs) -> None:
    """Keep the role groups and reference rows in step with the code after every migrate
    (and after a test database flush, which empties them)."""
    from django.contrib.auth.models import Group, Permission

    from accounts.models import Currency, PaymentTerms
    from accounts.reference_data import ensure_reference_data
    from accounts.roles import sync_role_groups

    ensure_reference_data(Currency, PaymentTerms)
    sync_role_groups(Group, Permission)


class CollectionsAppConfig(AppConfig):
    name = "collections_app"
    verbose_name = "Collections workflow"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles_and_reference_data, sender=self)

        from accounts import hooks as account_hooks
        from cash import hooks as cash_hooks
        from disputes import hooks as dispute_hooks
        from invoices import hooks as ledger_hooks

        from .services.disputes import on_dispute_credited
        from .services.promises import on_cash_applied
        from .services.reactions import (
            on_customers_changed,
            on_dispute_changed,
            on_ledger_changed,
            on_money_out,
        )

        for hooks, reaction in (
            (ledger_hooks.cash_applied_hooks, on_cash_applied),
            (ledger_hooks.ledger_changed_hooks, on_ledger_changed),
            (account_hooks.customer_changed_hooks, on_customers_changed),
            (dispute_hooks.dispute_changed_hooks, on_dispute_changed),
            (dispute_hooks.dispute_credited_hooks, on_dispute_credited),
            (cash_hooks.money_out_hooks, on_money_out),
        ):
            if reaction not in hooks:
                hooks.append(reaction)
