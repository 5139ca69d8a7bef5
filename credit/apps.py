from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = "Credit control"

    def ready(self) -> None:
        from accounts import context_processors
        from accounts import hooks as account_hooks
        from collections_app import queue_views, workspace_extensions
        from invoices import hooks

        from .order_services import orders_recheck_after_cash
        from .order_views import release_navigation_entries
        from .services import credit_recorded
        from .views import navigation_entries, queue_exposure_column, workspace_context

        if credit_recorded not in account_hooks.credit_recorded_hooks:
            account_hooks.credit_recorded_hooks.append(credit_recorded)
        if queue_exposure_column not in queue_views.queue_column_hooks:
            queue_views.queue_column_hooks.append(queue_exposure_column)
        if workspace_context not in workspace_extensions.context_hooks:
            workspace_extensions.context_hooks.append(workspace_context)
        if navigation_entries not in context_processors.nav_extensions:
            context_processors.nav_extensions.append(navigation_entries)
        if release_navigation_entries not in context_processors.nav_extensions:
            context_processors.nav_extensions.append(release_navigation_entries)
        if orders_recheck_after_cash not in hooks.cash_applied_hooks:
            hooks.cash_applied_hooks.append(orders_recheck_after_cash)
