from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Sales orders"

    def ready(self) -> None:
        from collections_app import workspace_extensions
        from invoices import hooks

        from .services import orders_invoice_by_reference
        from .workspace import workspace_context

        if orders_invoice_by_reference not in hooks.ledger_changed_hooks:
            hooks.ledger_changed_hooks.append(orders_invoice_by_reference)
        if workspace_context not in workspace_extensions.context_hooks:
            workspace_extensions.context_hooks.append(workspace_context)
